// The stream `provision verify` indexes and replays: deterministic from a seed, shaped by the
// detectors so that every windowed detector sees bursts just under, at and just over its
// threshold, ties (several events in one millisecond), events exactly one window apart (the
// (t - W, t] boundary), keys with hostile strings and missing optional fields, events that miss
// `where` on one field only, and, for streaks, resets inside and outside the window.
import type { Where } from '../config/detectors.js';
import { OUTCOMES, type AuditEvent, type Outcome } from '../events/audit-event.js';
import { formatTimestamp } from '../events/timestamp.js';
import type { WindowedCount } from '../provision/detector-view.js';
import { mulberry32 } from '../random.js';

const HOSTILE = ['__proto__', 'agent "quoted"', 'back\\slash', 'sp ace', 'ünï-çødé 🚀', '<!channel>', 'a*b?c', 'x'.repeat(2_000), 'constructor', '0'];
const TOOLS = ['search', 'fetch_url', 'exec', 'write file'];

export interface VerifyStreamOptions {
  readonly seed: number;
  /** Start of the stream, epoch ms. */
  readonly startMs: number;
  /** Keys per detector that get bursts. */
  readonly keysPerDetector: number;
}

export interface VerifyStream {
  /** In timestamp order (ties keep their generation order). */
  readonly events: readonly AuditEvent[];
  /** The JSON documents indexed, one per event, same order. */
  readonly documents: readonly Record<string, string>[];
}

type Fields = Record<string, string | undefined>;

interface Gen {
  readonly rnd: () => number;
  pick<T>(xs: readonly T[]): T;
  int(lo: number, hi: number): number;
}

function gen(seed: number): Gen {
  const rnd = mulberry32(seed);
  return {
    rnd,
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T,
    int: (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1)),
  };
}

/** A value that does not satisfy `allowed` for this field. */
function miss(field: string, allowed: readonly string[], g: Gen): string | undefined {
  if (field === 'outcome') {
    const others = OUTCOMES.filter((o) => !allowed.includes(o));
    return others.length === 0 ? undefined : g.pick(others);
  }
  return `${g.pick(allowed)}-not`;
}

function keyValues(c: WindowedCount, g: Gen, i: number): Fields {
  const out: Fields = {};
  for (const f of c.groupBy) {
    const allowed = (c.where as ReadonlyMap<string, readonly string[]>).get(f);
    if (allowed !== undefined) out[f] = g.pick(allowed);
    else if (f === 'callerId') out[f] = i < HOSTILE.length && g.rnd() < 0.6 ? HOSTILE[i] : `caller-${c.id}-${i}`;
    else if (f === 'outcome') out[f] = g.pick(OUTCOMES);
    else if (f === 'tool') out[f] = g.pick([...TOOLS, ...HOSTILE.slice(0, 3)]);
    // Optional fields: sometimes absent, which is the engine's null key.
    else out[f] = g.rnd() < 0.3 ? undefined : g.pick([`${f}-a`, `${f}-b`, ...HOSTILE.slice(1, 3)]);
  }
  return out;
}

function matching(where: Where, key: Fields, g: Gen): Fields {
  const out: Fields = { ...key };
  for (const [f, allowed] of where) if (!(f in key)) out[f] = g.pick(allowed);
  return out;
}

function nonMatching(where: Where, key: Fields, g: Gen): Fields | undefined {
  const free = [...where.keys()].filter((f) => !(f in key));
  if (free.length === 0) return undefined;
  const out = matching(where, key, g);
  const f = g.pick(free);
  const v = miss(f, where.get(f) ?? [], g);
  if (v === undefined) return undefined;
  out[f] = v;
  return out;
}

/** RFC 3339 in one of the forms the engine accepts: Z, a numeric offset, or sub-millisecond digits. */
function stamp(ms: number, g: Gen): string {
  const iso = formatTimestamp(ms);
  const r = g.rnd();
  if (r < 0.6) return iso;
  if (r < 0.8) return iso.replace('Z', `${String(g.int(0, 999)).padStart(3, '0')}Z`); // microseconds, truncated by both sides
  const d = new Date(ms + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
  return d;
}

function toEvent(fields: Fields, ts: number, g: Gen): { event: AuditEvent; doc: Record<string, string> } {
  const doc: Record<string, string> = {
    callerId: fields.callerId ?? `caller-${g.int(1, 50)}`,
    tool: fields.tool ?? g.pick(TOOLS),
    outcome: fields.outcome ?? 'success',
    timestamp: stamp(ts, g),
  };
  for (const f of ['sessionId', 'argsHash', 'errorType', 'serverVersion']) {
    const v = fields[f];
    if (v !== undefined) doc[f] = v;
  }
  const event = { ...doc, outcome: doc.outcome as Outcome, ts } as AuditEvent;
  return { event, doc };
}

/** Generates the stream for the windowed counts (threshold and streak detectors). */
export function generateVerifyStream(counts: readonly WindowedCount[], opts: VerifyStreamOptions, resetWhere: ReadonlyMap<string, Where>): VerifyStream {
  const g = gen(opts.seed);
  const raw: { fields: Fields; ts: number; n: number }[] = [];
  let n = 0;
  const add = (fields: Fields, ts: number): void => {
    raw.push({ fields, ts, n: n++ });
  };
  for (const c of counts) {
    const w = c.windowMs;
    const resets = resetWhere.get(c.id);
    for (let k = 0; k < opts.keysPerDetector; k++) {
      const key = keyValues(c, g, k);
      let start = opts.startMs + g.int(0, 4 * w);
      for (let burst = 0; burst < 3; burst++) {
        const size = Math.max(1, c.threshold + g.pick([-1, 0, 1, 2, 5]));
        const span = Math.max(1, Math.floor(w * (0.2 + 1.3 * g.rnd())));
        const times: number[] = [];
        for (let i = 0; i < size; i++) times.push(start + g.int(0, span));
        times.sort((a, b) => a - b);
        // Ties: repeat a timestamp now and then.
        for (let i = 1; i < times.length; i++) if (g.rnd() < 0.1) times[i] = times[i - 1] as number;
        for (const t of times) add(matching(c.where, key, g), t);
        // The window boundary: one event at s and one at exactly s + W.
        const s = times[0] ?? start;
        add(matching(c.where, key, g), s + w);
        // Near misses on one where-field, which must never count.
        for (let i = 0; i < 3; i++) {
          const f = nonMatching(c.where, key, g);
          if (f !== undefined) add(f, start + g.int(0, span));
        }
        if (resets !== undefined && g.rnd() < 0.7) {
          // A reset inside the burst (the windowed count cannot see it) or just after it.
          const at = g.rnd() < 0.5 ? (times[Math.floor(times.length / 2)] ?? start) + 1 : start + span + g.int(1, w);
          add(matching(resets, key, g), at);
        }
        start += span + g.int(Math.floor(w / 4), 2 * w);
      }
    }
  }
  // Background: events of random keys that match nothing in particular.
  const end = Math.max(opts.startMs + 1, ...raw.map((r) => r.ts));
  for (let i = 0; i < raw.length / 4; i++) add({ callerId: `bg-${g.int(1, 40)}`, outcome: g.pick(OUTCOMES) }, g.int(opts.startMs, end));
  raw.sort((a, b) => a.ts - b.ts || a.n - b.n);
  const events: AuditEvent[] = [];
  const documents: Record<string, string>[] = [];
  for (const r of raw) {
    const { event, doc } = toEvent(r.fields, r.ts, g);
    events.push(event);
    documents.push(doc);
  }
  return { events, documents };
}
