// The benchmark's event stream: background traffic that stays far below every threshold, plus
// PLANTED incidents whose outcome is known before anything runs — bursts that cross a threshold
// (must alert), near-misses that reach it exactly or split it across keys (must not alert), and
// error streaks, some of them broken by a success (must not alert as a streak).
//
// The ground truth is not taken from the plan, though: `groundTruth` recomputes it with a brute
// force count over the final stream (every key, every window), so a background key that happened
// to cross a threshold would be part of the truth, and the report says whether plan and brute
// force agree.
import type { DetectorDef, StreakDef, ThresholdDef } from '../../src/config/detectors.js';
import type { EventStringField, Outcome } from '../../src/events/audit-event.js';
import { mulberry32 } from '../../src/random.js';

export const TOOLS = ['search_docs', 'read_file', 'run_query', 'create_ticket', 'list_repos', 'get_customer', 'send_email', 'deploy_preview'] as const;
const OUTCOMES: readonly Outcome[] = ['success', 'error', 'denied', 'rate_limited'];

/** One event of the plan; its timestamp is the run's start plus `offsetMs`, fixed when written. */
export interface PlannedEvent {
  readonly offsetMs: number;
  readonly callerId: string;
  readonly tool: string;
  readonly outcome: Outcome;
  /** Index of the planted incident it belongs to, or -1 for background. */
  readonly plant: number;
}

export type PlantKind = 'burst' | 'near-miss' | 'split-near-miss' | 'streak' | 'broken-streak';

export interface Plant {
  readonly index: number;
  readonly detector: string;
  readonly kind: PlantKind;
  readonly callerId: string;
  /** The key(s) of the detector the plant touches, as stable strings (see keyString). */
  readonly keys: readonly string[];
  /** Whether the plan expects an alert of `detector` for `keys[0]`. */
  readonly shouldAlert: boolean;
  readonly events: number;
  readonly startMs: number;
  readonly spanMs: number;
  readonly note: string;
}

export interface StreamPlan {
  readonly events: readonly PlannedEvent[];
  readonly plants: readonly Plant[];
  readonly backgroundCallers: number;
}

export interface StreamOptions {
  readonly rate: number;
  readonly durationMs: number;
  readonly seed: number;
  /** Planted bursts per detector (near-misses and broken streaks: half as many, at least 1). */
  readonly plantsPerDetector: number;
  /** No planted incident starts before this offset (the tools are warming up). */
  readonly warmupMs: number;
  /** Every planted incident is complete this long before the end of writing. */
  readonly tailMs: number;
}

/** A detector key as one string: the group-by values in order, JSON-encoded. */
export function keyString(values: readonly (string | null)[]): string {
  return JSON.stringify(values);
}

export function keyOf(groupBy: readonly EventStringField[], e: { callerId: string; tool: string }): string {
  return keyString(groupBy.map((f) => (f === 'callerId' ? e.callerId : f === 'tool' ? e.tool : null)));
}

function matches(where: ReadonlyMap<EventStringField, readonly string[]>, e: PlannedEvent): boolean {
  for (const [field, values] of where) {
    const v = field === 'callerId' ? e.callerId : field === 'tool' ? e.tool : field === 'outcome' ? e.outcome : undefined;
    if (v === undefined || !values.includes(v)) return false;
  }
  return true;
}

/** The single outcome a detector's `where` asks for (the shipped ones each name one). */
function outcomeOf(where: ReadonlyMap<EventStringField, readonly string[]>, detector: string): Outcome {
  const o = where.get('outcome')?.[0];
  if (o === undefined || !(OUTCOMES as readonly string[]).includes(o)) throw new Error(`bench: detector ${detector} does not select one outcome; the generator cannot plant for it`);
  return o as Outcome;
}

export function planStream(defs: readonly DetectorDef[], o: StreamOptions): StreamPlan {
  const rnd = mulberry32(o.seed);
  const total = Math.floor((o.rate * o.durationMs) / 1000);
  const plants: Plant[] = [];
  const planted: PlannedEvent[] = [];
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const latestEnd = o.durationMs - o.tailMs;
  if (latestEnd - o.warmupMs < 20_000) throw new Error(`bench: --duration too short for planted incidents (need warm-up ${o.warmupMs} ms + 20 s + tail ${o.tailMs} ms)`);
  const window = (spanMs: number): number => int(o.warmupMs, Math.max(o.warmupMs, latestEnd - spanMs));
  const spread = (n: number, start: number, span: number, make: (i: number, off: number) => Omit<PlannedEvent, 'plant' | 'offsetMs'>, plant: number): void => {
    for (let i = 0; i < n; i++) planted.push({ ...make(i, 0), offsetMs: start + Math.floor(((i + 0.5) * span) / n), plant });
  };
  const add = (p: Omit<Plant, 'index'>): number => {
    plants.push({ ...p, index: plants.length });
    return plants.length - 1;
  };
  const near = Math.max(1, Math.floor(o.plantsPerDetector / 2));

  for (const def of defs) {
    if (def.kind === 'threshold') {
      const t = def as ThresholdDef;
      const outcome = outcomeOf(t.where, t.id);
      const perTool = t.groupBy.includes('tool');
      const short = t.id;
      for (let b = 0; b < o.plantsPerDetector; b++) {
        const callerId = `planted-${short}-${b}`;
        const tool = pick(TOOLS);
        const n = t.threshold + 1 + int(0, t.threshold);
        const span = int(5_000, 40_000);
        const start = window(span);
        const idx = add({ detector: t.id, kind: 'burst', callerId, keys: [keyOf(t.groupBy, { callerId, tool })], shouldAlert: true, events: n, startMs: start, spanMs: span, note: `${n} ${outcome} in ${(span / 1000).toFixed(0)} s` });
        spread(n, start, span, () => ({ callerId, tool: perTool ? tool : pick(TOOLS), outcome }), idx);
      }
      for (let b = 0; b < near; b++) {
        const callerId = `nearmiss-${short}-${b}`;
        const tool = pick(TOOLS);
        const span = int(5_000, 40_000);
        const start = window(span);
        const idx = add({ detector: t.id, kind: 'near-miss', callerId, keys: [keyOf(t.groupBy, { callerId, tool })], shouldAlert: false, events: t.threshold, startMs: start, spanMs: span, note: `exactly ${t.threshold} ${outcome} (the threshold, not above it)` });
        spread(t.threshold, start, span, () => ({ callerId, tool: perTool ? tool : pick(TOOLS), outcome }), idx);
      }
      if (perTool) {
        for (let b = 0; b < near; b++) {
          // Over the threshold per caller, never per (caller, tool): the group-by must hold.
          const callerId = `split-${short}-${b}`;
          const tools = [TOOLS[b % TOOLS.length] as string, TOOLS[(b + 3) % TOOLS.length] as string];
          const n = Math.floor((t.threshold * 3) / 2);
          const span = int(5_000, 40_000);
          const start = window(span);
          const idx = add({ detector: t.id, kind: 'split-near-miss', callerId, keys: tools.map((tool) => keyOf(t.groupBy, { callerId, tool })), shouldAlert: false, events: n, startMs: start, spanMs: span, note: `${n} ${outcome} alternating over 2 tools (${Math.ceil(n / 2)} per key)` });
          spread(n, start, span, (i) => ({ callerId, tool: tools[i % 2] as string, outcome }), idx);
        }
      }
    } else if (def.kind === 'streak') {
      const s = def as StreakDef;
      const outcome = outcomeOf(s.where, s.id);
      const reset = outcomeOf(s.resetWhere, s.id);
      const short = s.id;
      for (let b = 0; b < o.plantsPerDetector; b++) {
        const callerId = `planted-${short}-${b}`;
        const n = s.threshold + 1 + int(0, s.threshold);
        const span = int(5_000, 40_000);
        const start = window(span);
        const idx = add({ detector: s.id, kind: 'streak', callerId, keys: [keyOf(s.groupBy, { callerId, tool: '' })], shouldAlert: true, events: n, startMs: start, spanMs: span, note: `${n} ${outcome} in a row` });
        spread(n, start, span, () => ({ callerId, tool: pick(TOOLS), outcome }), idx);
      }
      for (let b = 0; b < near; b++) {
        // Many errors in the window, but a success every `run` of them: never a streak.
        const callerId = `broken-${short}-${b}`;
        const run = Math.max(1, Math.floor((s.threshold * 3) / 4));
        const runs = 3;
        const n = runs * run + (runs - 1);
        const span = int(5_000, 40_000);
        const start = window(span);
        const idx = add({ detector: s.id, kind: 'broken-streak', callerId, keys: [keyOf(s.groupBy, { callerId, tool: '' })], shouldAlert: false, events: n, startMs: start, spanMs: span, note: `${runs} runs of ${run} ${outcome}, a ${reset} between runs (${runs * run} ${outcome} in ${(span / 1000).toFixed(0)} s)` });
        spread(n, start, span, (i) => ({ callerId, tool: pick(TOOLS), outcome: (i + 1) % (run + 1) === 0 ? reset : outcome }), idx);
      }
    }
  }

  // Background: uniform over many callers, so no key gets near a threshold during the run.
  const backgroundTotal = Math.max(0, total - planted.length);
  const callers = Math.max(20_000, Math.ceil(backgroundTotal / 25));
  const background: PlannedEvent[] = new Array(backgroundTotal);
  for (let i = 0; i < backgroundTotal; i++) {
    const r = rnd();
    const outcome: Outcome = r < 0.86 ? 'success' : r < 0.92 ? 'error' : r < 0.96 ? 'rate_limited' : 'denied';
    background[i] = { offsetMs: Math.floor((i * o.durationMs) / backgroundTotal), callerId: `agent-${Math.floor(rnd() * callers).toString(36)}`, tool: pick(TOOLS), outcome, plant: -1 };
  }
  planted.sort((a, b) => a.offsetMs - b.offsetMs);
  const events: PlannedEvent[] = new Array(background.length + planted.length);
  let i = 0;
  let j = 0;
  for (let k = 0; k < events.length; k++) {
    const a = background[i];
    const b = planted[j];
    if (b === undefined || (a !== undefined && a.offsetMs <= b.offsetMs)) {
      events[k] = a as PlannedEvent;
      i++;
    } else {
      events[k] = b;
      j++;
    }
  }
  return { events, plants, backgroundCallers: callers };
}

/** One (detector, key) that must alert, and the event at which it must. */
export interface TruthEntry {
  readonly detector: string;
  readonly key: string;
  /** Index in the stream of the first event at which the count (or streak) exceeds the threshold. */
  readonly crossingIndex: number;
  /** The planted incident that owns the key, if any. */
  readonly plant: number;
}

/**
 * Brute force, detector by detector: threshold — for each key, the first event (in stream order,
 * which is timestamp order) at which the matching events in (t − window, t] exceed the threshold;
 * streak — the first event at which the run of `where` events since the last `resetWhere` event
 * exceeds the threshold. Offsets stand in for timestamps (they differ by a constant).
 */
export function groundTruth(defs: readonly DetectorDef[], plan: StreamPlan): TruthEntry[] {
  const out: TruthEntry[] = [];
  for (const def of defs) {
    if (def.kind === 'threshold') {
      const perKey = new Map<string, { ts: number[]; head: number; done: boolean }>();
      plan.events.forEach((e, idx) => {
        if (!matches(def.where, e)) return;
        const key = keyOf(def.groupBy, e);
        let k = perKey.get(key);
        if (k === undefined) perKey.set(key, (k = { ts: [], head: 0, done: false }));
        if (k.done) return;
        k.ts.push(e.offsetMs);
        while (k.head < k.ts.length && (k.ts[k.head] as number) <= e.offsetMs - def.windowMs) k.head++;
        if (k.ts.length - k.head > def.threshold) {
          k.done = true;
          out.push({ detector: def.id, key, crossingIndex: idx, plant: e.plant });
        }
      });
    } else if (def.kind === 'streak') {
      const streak = new Map<string, number>();
      const done = new Set<string>();
      plan.events.forEach((e, idx) => {
        const key = keyOf(def.groupBy, e);
        if (done.has(key)) return;
        if (matches(def.where, e)) {
          const n = (streak.get(key) ?? 0) + 1;
          streak.set(key, n);
          if (n > def.threshold) {
            done.add(key);
            out.push({ detector: def.id, key, crossingIndex: idx, plant: e.plant });
          }
        } else if (matches(def.resetWhere, e)) streak.set(key, 0);
      });
    }
  }
  return out;
}

/** Plants whose expectation differs from the brute-force truth (should be none). */
export function planDisagreements(plan: StreamPlan, truth: readonly TruthEntry[]): string[] {
  const truthKeys = new Set(truth.map((t) => `${t.detector} ${t.key}`));
  const problems: string[] = [];
  for (const p of plan.plants) {
    for (const key of p.keys) {
      const alerts = truthKeys.has(`${p.detector} ${key}`);
      if (alerts !== (p.shouldAlert && key === p.keys[0])) problems.push(`${p.detector} ${p.kind} ${key}: planned ${p.shouldAlert ? 'to alert' : 'not to alert'}, brute force says it ${alerts ? 'does' : 'does not'}`);
    }
  }
  for (const t of truth) if (t.plant < 0) problems.push(`${t.detector} ${t.key}: a background key crosses the threshold`);
  return problems;
}
