import type { DetectorDef } from '../../config/detectors.js';
import { leakPlan, LeakScanner, type LeakPlan } from '../../engine/leak-scan.js';
import { OUTCOMES, type AuditEvent, type EventStringField, type Outcome } from '../../events/audit-event.js';
import { createDecoder, type DecoderSettings } from '../../events/formats/decode.js';
import { splitPiece, type Line, type Piece } from '../../sources/lines.js';
import { decodeLine, IngestCounters, type PieceTally } from '../ingest.js';

/** Everything a decode worker needs, as plain data (it crosses to another thread). */
export interface DecodeSetup {
  readonly decoder: DecoderSettings;
  readonly maxBytes: number;
  /** Optional string fields some detector matches on or groups by: the only ones handed back. */
  readonly fields: readonly OptionalStringField[];
  /** One per leak detector: a worker scans with them and hands back the message only on a find. */
  readonly leakPlans: readonly LeakPlan[];
}

export type OptionalStringField = Exclude<EventStringField, 'callerId' | 'tool' | 'outcome'>;
const OPTIONAL: readonly OptionalStringField[] = ['sessionId', 'argsHash', 'errorType', 'serverVersion'];

/**
 * The events of a piece in columns: a thread reads typed arrays and flat string arrays back far
 * cheaper than it would copy event objects (measured: cloning an event cost more than parsing it).
 */
export interface DecodedPiece {
  readonly tally: PieceTally;
  readonly count: number;
  readonly ts: Float64Array<ArrayBuffer>;
  /** Index into OUTCOMES. */
  readonly outcome: Uint8Array<ArrayBuffer>;
  /** Per event: callerId, tool, timestamp, then `fields` (null where absent). */
  readonly strings: readonly (string | null)[];
  /** Event index and decoded message of the events a leak scan flagged. */
  readonly originals: readonly (readonly [number, unknown])[];
}

export function decodeSetup(defs: readonly DetectorDef[], decoder: DecoderSettings, maxBytes: number): DecodeSetup {
  const used = new Set<EventStringField>();
  const leakPlans: LeakPlan[] = [];
  for (const d of defs) {
    for (const f of d.groupBy) used.add(f);
    for (const f of d.where.keys()) used.add(f);
    if (d.kind === 'streak') for (const f of d.resetWhere.keys()) used.add(f);
    if (d.kind === 'leak') leakPlans.push(leakPlan(d));
  }
  return { decoder, maxBytes, fields: OPTIONAL.filter((f) => used.has(f)), leakPlans };
}

const OUTCOME_INDEX: ReadonlyMap<Outcome, number> = new Map(OUTCOMES.map((o, i) => [o, i]));

/** Decodes pieces as the serial path would, lines numbered from 1 within each piece. */
export function pieceDecoder(setup: DecodeSetup): (piece: Piece) => DecodedPiece {
  const { decode } = createDecoder(setup.decoder);
  const scanners = setup.leakPlans.map((p) => new LeakScanner(p));
  const fields = setup.fields;
  return (piece) => {
    const lines: Line[] = [];
    splitPiece(piece, 0, setup.maxBytes, lines);
    const counters = new IngestCounters();
    const ts = new Float64Array(lines.length);
    const outcome = new Uint8Array(lines.length);
    const strings: (string | null)[] = [];
    const originals: [number, unknown][] = [];
    let count = 0;
    for (const line of lines) {
      const e = decodeLine(line, decode, setup.maxBytes, counters);
      if (e === undefined) continue;
      ts[count] = e.ts;
      outcome[count] = OUTCOME_INDEX.get(e.outcome) ?? 0;
      strings.push(e.callerId, e.tool, e.timestamp);
      for (const f of fields) strings.push(e[f] ?? null);
      if (e.original !== undefined && scanners.some((s) => s.find(e.original) !== undefined)) originals.push([count, e.original]);
      count++;
    }
    return { tally: counters.tally(), count, ts: ts.slice(0, count), outcome: outcome.slice(0, count), strings, originals };
  };
}

/**
 * Rebuilds the events of a decoded piece and hands them to `each` in order, with the decoder's
 * event shape (one hidden class for the engine). Fields no detector reads are left out;
 * `original` is there only where a leak scan found something, and the leak detector scans exactly
 * those again.
 */
export function eachEvent(p: DecodedPiece, fields: readonly OptionalStringField[], each: (e: AuditEvent) => void): void {
  const stride = 3 + fields.length;
  // Offset of each optional field within an event's strings, or -1 when it was not handed back.
  const [session, hash, errorType, version] = OPTIONAL.map((f) => {
    const k = fields.indexOf(f);
    return k === -1 ? -1 : 3 + k;
  }) as [number, number, number, number];
  const s = p.strings;
  const opt = (j: number, k: number): string | undefined => (k === -1 ? undefined : (s[j + k] ?? undefined));
  let next = 0;
  for (let i = 0; i < p.count; i++) {
    const j = i * stride;
    let original: unknown;
    const flagged = p.originals[next];
    if (flagged !== undefined && flagged[0] === i) {
      original = flagged[1];
      next++;
    }
    each({
      callerId: s[j] as string,
      tool: s[j + 1] as string,
      outcome: OUTCOMES[p.outcome[i] as number] as Outcome,
      timestamp: s[j + 2] as string,
      ts: p.ts[i] as number,
      sessionId: opt(j, session),
      argsHash: opt(j, hash),
      argsSize: undefined,
      errorType: opt(j, errorType),
      durationMs: undefined,
      serverVersion: opt(j, version),
      original,
    });
  }
}
