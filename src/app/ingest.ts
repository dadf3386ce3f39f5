import type { Engine } from '../engine/engine.js';
import type { Transition } from '../engine/transition.js';
import type { AuditEvent } from '../events/audit-event.js';
import { parseLine, type ParseResult } from '../events/parse.js';
import { eachLine, readPieces, type Line } from '../sources/lines.js';

export interface RejectionSample {
  readonly line: number;
  readonly reason: string;
  readonly detail: string;
}

/** What happened to every line of an input; the numbers add up: read = blank + accepted + rejected + late. */
export class IngestCounters {
  read = 0;
  blank = 0;
  accepted = 0;
  rejected = 0;
  late = 0;
  /** Kept fields cut to input.maxFieldLength (the events were accepted). */
  truncated = 0;
  /** Decoded messages per input format (interesting with --format auto). */
  readonly byFormat = new Map<string, number>();
  readonly rejectedByReason = new Map<string, number>();
  readonly samples: RejectionSample[] = [];
  readonly transitionsByDetector = new Map<string, { fired: number; resolved: number }>();

  reject(line: number, reason: string, detail: string): void {
    this.rejected++;
    this.rejectedByReason.set(reason, (this.rejectedByReason.get(reason) ?? 0) + 1);
    if (this.samples.length < 5) this.samples.push({ line, reason, detail });
  }

  /** What a decode worker counted for one piece of the input, whose line 1 is line `base` + 1 here. */
  absorb(c: PieceTally, base: number): void {
    this.read += c.read;
    this.blank += c.blank;
    this.rejected += c.rejected;
    this.truncated += c.truncated;
    // Merged in input order, so the maps keep the order in which reasons and formats first occurred.
    for (const [f, n] of c.byFormat) this.byFormat.set(f, (this.byFormat.get(f) ?? 0) + n);
    for (const [r, n] of c.rejectedByReason) this.rejectedByReason.set(r, (this.rejectedByReason.get(r) ?? 0) + n);
    for (const s of c.samples) if (this.samples.length < 5) this.samples.push({ ...s, line: s.line + base });
  }

  /** The counts of a piece as plain data, for the thread that absorbs them. */
  tally(): PieceTally {
    return { read: this.read, blank: this.blank, rejected: this.rejected, truncated: this.truncated, byFormat: [...this.byFormat], rejectedByReason: [...this.rejectedByReason], samples: this.samples };
  }

  countTransition(t: Transition): void {
    let c = this.transitionsByDetector.get(t.detector);
    if (c === undefined) {
      c = { fired: 0, resolved: 0 };
      this.transitionsByDetector.set(t.detector, c);
    }
    if (t.type === 'fired') c.fired++;
    else c.resolved++;
  }
}

/** The line counts of one piece of input (see absorb), as they cross between threads. */
export interface PieceTally {
  readonly read: number;
  readonly blank: number;
  readonly rejected: number;
  readonly truncated: number;
  readonly byFormat: readonly (readonly [string, number])[];
  readonly rejectedByReason: readonly (readonly [string, number])[];
  readonly samples: readonly RejectionSample[];
}

/** A decoded line; format decoders also say which format handled it and how many fields they cut. */
export type DecodeOutcome = ParseResult & { readonly format?: string; readonly truncated?: number };

export interface IngestOptions {
  readonly input: string;
  readonly maxBytes: number;
  /** Decodes one line: the canonical parser, or a format decoder (src/events/formats/decode.ts). */
  readonly decode?: (text: string) => DecodeOutcome;
  /** Called with the transitions of each batch of lines, in order. */
  readonly onTransitions: (ts: readonly Transition[]) => void | Promise<void>;
}

/** Reads an input to its end through the engine. Bad lines are counted, never fatal. */
export async function ingestFile(engine: Engine, opts: IngestOptions, counters = new IngestCounters()): Promise<IngestCounters> {
  const decode: (text: string) => DecodeOutcome = opts.decode ?? ((text: string) => parseLine(text, opts.maxBytes));
  const out: Transition[] = [];
  const each = (line: Line): void => {
    const e = decodeLine(line, decode, opts.maxBytes, counters);
    if (e === undefined) return;
    if (engine.process(e, out) === 'late') counters.late++;
    else counters.accepted++;
  };
  let n = 0;
  for await (const pieces of readPieces(opts.input, opts.maxBytes)) {
    // Line by line, not a chunk's lines at once: each line's text is garbage once decoded.
    for (const p of pieces) n = eachLine(p, n, opts.maxBytes, each);
    if (out.length > 0) {
      for (const t of out) counters.countTransition(t);
      await opts.onTransitions(out.slice());
      out.length = 0;
    }
  }
  return counters;
}

/**
 * One line through the decoder: counted in `counters` (read, blank, rejected, format, truncated);
 * the event, if the line held a valid one, is returned for the engine. Shared by the serial path
 * and the decode workers, so both count every line the same way.
 */
export function decodeLine(line: Line, decode: (text: string) => DecodeOutcome, maxBytes: number, counters: IngestCounters): AuditEvent | undefined {
  counters.read++;
  if (line.oversized) {
    counters.reject(line.n, 'too-large', `line is larger than ${maxBytes} bytes`);
    return undefined;
  }
  if (line.text.trim() === '') {
    counters.blank++;
    return undefined;
  }
  const res = decode(line.text);
  if (res.format !== undefined) counters.byFormat.set(res.format, (counters.byFormat.get(res.format) ?? 0) + 1);
  if (!res.ok) {
    counters.reject(line.n, res.rejection.reason, res.rejection.detail);
    return undefined;
  }
  if (res.truncated !== undefined) counters.truncated += res.truncated;
  return res.event;
}

function pad(n: number): string {
  return n.toLocaleString('en-US').padStart(12);
}

/** The human summary printed on stderr after replay and run. */
export function formatSummary(command: string, c: IngestCounters, detectorIds: readonly string[]): string {
  const lines = [
    `${command}: ${c.read.toLocaleString('en-US')} lines read`,
    `  accepted ${pad(c.accepted)}`,
    `  rejected ${pad(c.rejected)}${c.rejected > 0 ? `  (${[...c.rejectedByReason].map(([r, n]) => `${r}: ${n}`).join(', ')})` : ''}`,
    `  late     ${pad(c.late)}`,
  ];
  if (c.blank > 0) lines.push(`  blank    ${pad(c.blank)}`);
  if (c.truncated > 0) lines.push(`  fields truncated ${c.truncated.toLocaleString('en-US')} (longer than input.maxFieldLength)`);
  if (c.byFormat.size > 1) lines.push(`  formats: ${[...c.byFormat].map(([f, n]) => `${f} ${n.toLocaleString('en-US')}`).join(', ')}`);
  for (const s of c.samples) lines.push(`    line ${s.line}: ${s.reason} (${s.detail})`);
  lines.push('alerts:');
  const width = Math.max(8, ...detectorIds.map((d) => d.length));
  for (const id of detectorIds) {
    const t = c.transitionsByDetector.get(id) ?? { fired: 0, resolved: 0 };
    lines.push(`  ${id.padEnd(width)}  fired ${String(t.fired).padStart(6)}  resolved ${String(t.resolved).padStart(6)}`);
  }
  return lines.join('\n') + '\n';
}
