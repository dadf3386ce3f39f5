import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { DetectorDef } from '../../src/config/detectors.js';
import type { AuditEvent, Outcome } from '../../src/events/audit-event.js';
import { Backtester } from '../../src/backtest/backtester.js';
import type { BacktestResult, DetectorResult, TunableDef, Tuning } from '../../src/backtest/result.js';
import { Engine } from '../../src/engine/engine.js';
import { transitionJson, type Transition } from '../../src/engine/transition.js';
import { T0, ev, streakDef, thresholdDef } from '../engine/helpers.js';

const OUTCOMES: Outcome[] = ['success', 'error', 'denied', 'rate_limited'];

function backtest(defs: readonly DetectorDef[], events: readonly AuditEvent[], latenessMs: number, windowsMs: number[] = []): { result: BacktestResult; out: Transition[] } {
  const bt = Backtester.create(defs, { latenessMs, windowsMs });
  const out: Transition[] = [];
  for (const e of events) bt.process(e, out);
  return { result: bt.result(), out };
}

function detector(r: BacktestResult, id: string): DetectorResult {
  const d = r.detectors.find((x) => x.def.id === id);
  assert.ok(d, `no result for ${id}`);
  return d;
}

function tuning(r: BacktestResult, id: string): Tuning {
  const t = detector(r, id).tuning;
  assert.ok(t, `no tuning for ${id}`);
  return t;
}

/** The documented numbers, computed independently from a plain engine's transitions. */
function expectedFromReplay(def: DetectorDef, events: readonly AuditEvent[], latenessMs: number) {
  const engine = new Engine([def], { latenessMs });
  const out: Transition[] = [];
  for (const e of events) engine.process(e, out);
  const end = engine.watermark;
  const open = new Map<string, number>();
  const keys = new Set<string>();
  let alerts = 0;
  let alertMs = 0;
  for (const t of out) {
    const key = JSON.stringify(t.key);
    if (t.type === 'fired') {
      alerts++;
      keys.add(key);
      open.set(key, t.at);
    } else {
      alertMs += t.at - t.firedAt;
      open.delete(key);
    }
  }
  for (const firedAt of open.values()) alertMs += end - firedAt;
  return { alerts, keys: keys.size, alertMs, openAtEnd: open.size, transitions: out };
}

/** Accepted events as the engine decides (lateness), for the brute-force references. */
function accepted(events: readonly AuditEvent[], latenessMs: number): AuditEvent[] {
  const engine = new Engine([], { latenessMs });
  return events.filter((e) => engine.process(e, []) === 'accepted');
}

function matches(def: DetectorDef, e: AuditEvent, which: 'where' | 'resetWhere' = 'where'): boolean {
  const where = which === 'where' ? def.where : def.kind === 'streak' ? def.resetWhere : new Map();
  for (const [f, vs] of where) {
    const v = f === 'outcome' ? e.outcome : f === 'callerId' ? e.callerId : f === 'tool' ? e.tool : undefined;
    if (v === undefined || !vs.includes(v)) return false;
  }
  return true;
}

function keyOf(def: DetectorDef, e: AuditEvent): string {
  return JSON.stringify(def.groupBy.map((f) => (f === 'callerId' ? e.callerId : f === 'tool' ? e.tool : null)));
}

/** Brute force: per key, the largest count(t) over its event times t, all accepted events known. */
function bruteWindowPeaks(def: DetectorDef, windowMs: number, events: readonly AuditEvent[], latenessMs: number): Map<string, number> {
  const byKey = new Map<string, number[]>();
  for (const e of accepted(events, latenessMs)) {
    if (!matches(def, e)) continue;
    const k = keyOf(def, e);
    byKey.set(k, [...(byKey.get(k) ?? []), e.ts]);
  }
  const peaks = new Map<string, number>();
  for (const [k, ts] of byKey) peaks.set(k, Math.max(...ts.map((t) => ts.filter((x) => x > t - windowMs && x <= t).length)));
  return peaks;
}

function bruteStreakPeaks(def: DetectorDef, events: readonly AuditEvent[], latenessMs: number): Map<string, number> {
  const n = new Map<string, number>();
  const peaks = new Map<string, number>();
  for (const e of accepted(events, latenessMs)) {
    const k = keyOf(def, e);
    if (matches(def, e)) {
      n.set(k, (n.get(k) ?? 0) + 1);
      peaks.set(k, Math.max(peaks.get(k) ?? 0, n.get(k) ?? 0));
    } else if (matches(def, e, 'resetWhere')) n.set(k, 0);
  }
  return peaks;
}

function sortedValues(m: Map<string, number>): number[] {
  return [...m.values()].sort((a, b) => a - b);
}

describe('Backtester: summary numbers', () => {
  const S = 1000;
  const W = 10 * S;

  it('counts alerts, keys and alert-minutes, with an incident still active at the end counted to the last event time', () => {
    const def = thresholdDef({ windowMs: W, threshold: 2 });
    const events = [
      // a: count 3 at 2s fires; count(10s) = 2 resolves at 10s once the watermark passes it.
      ev(T0, 'a'),
      ev(T0 + 1 * S, 'a'),
      ev(T0 + 2 * S, 'a'),
      // b: never more than 2 in a window.
      ev(T0 + 20 * S, 'b'),
      ev(T0 + 21 * S, 'b'),
      // c: fires at 32s and is still active when the input ends at 40s.
      ev(T0 + 30 * S, 'c'),
      ev(T0 + 31 * S, 'c'),
      ev(T0 + 32 * S, 'c'),
      ev(T0 + 40 * S, 'b'),
    ];
    const { result, out } = backtest([def], events, 0);
    const d = detector(result, 'burst');
    assert.deepEqual(d.alerts, { alerts: 2, keys: 2, alertMs: (10 - 2) * S + (40 - 32) * S, openAtEnd: 1 });
    assert.deepEqual(
      out.map((t) => `${t.type}:${t.key.join()}@${(t.at - T0) / S}`),
      ['fired:a@2', 'resolved:a@10', 'fired:c@32'],
    );
    const t = tuning(result, 'burst');
    assert.deepEqual([...t.peaks], [2, 3, 3]);
    assert.deepEqual(t.peakSummary, { keys: 3, p50: 3, p90: 3, p99: 3, max: 3 });
    assert.equal(result.firstTs, T0);
    assert.equal(result.lastTs, T0 + 40 * S);
    assert.equal(result.accepted, events.length);
  });

  it('takes each count once it is final: a later out-of-order event raises an earlier peak; a late one does not', () => {
    const def = thresholdDef({ windowMs: W, threshold: 5 });
    // Arrival order 5s, 3s: count(5s) ends up 2 though neither arrival saw 2.
    const early = backtest([def], [ev(T0 + 5 * S, 'a'), ev(T0 + 3 * S, 'a')], 10 * S).result;
    assert.deepEqual([...tuning(early, 'burst').peaks], [2]);
    // With lateness 1s the 3s event is late: dropped before any detector, so the peak stays 1.
    const late = backtest([def], [ev(T0 + 5 * S, 'a'), ev(T0 + 3 * S, 'a')], 1 * S).result;
    assert.deepEqual([...tuning(late, 'burst').peaks], [1]);
    assert.equal(late.late, 1);
  });

  it('reports peak streak lengths, and streak alerts resolved by the reset event', () => {
    const def = streakDef({ threshold: 2 });
    const events = [
      ev(T0, 'a', 'error'),
      ev(T0 + S, 'a', 'error'), // streak 2 > 1: threshold 1 fires at 1s
      ev(T0 + 2 * S, 'a', 'error'), // streak 3 > 2: the configured threshold fires at 2s
      ev(T0 + 3 * S, 'a', 'denied'), // neither: unchanged
      ev(T0 + 5 * S, 'a', 'success'), // resolves both at 5s
      ev(T0 + 6 * S, 'b', 'error'),
      ev(T0 + 7 * S, 'a', 'error'),
      ev(T0 + 8 * S, 'b', 'error'), // threshold 1 fires for b at 8s, still active at the end
      ev(T0 + 10 * S, 'c', 'success'),
    ];
    const { result } = backtest([def], events, 0);
    assert.deepEqual(detector(result, 'streak').alerts, { alerts: 1, keys: 1, alertMs: 3 * S, openAtEnd: 0 });
    const t = tuning(result, 'streak');
    assert.deepEqual([...t.peaks], [2, 3]);
    assert.deepEqual(t.top, [
      { values: ['a'], peak: 3 },
      { values: ['b'], peak: 2 },
    ]);
    assert.deepEqual(
      t.whatIf.map((r) => r.threshold),
      [1, 2, 3, 4, 6],
    );
    const one = t.whatIf.find((r) => r.threshold === 1);
    assert.deepEqual(one, { threshold: 1, windowMs: undefined, configured: false, alerts: 2, keys: 2, alertMs: (5 - 1) * S + (10 - 8) * S, openAtEnd: 1 });
    const configured = t.whatIf.find((r) => r.configured);
    assert.deepEqual(configured, { threshold: 2, windowMs: undefined, configured: true, alerts: 1, keys: 1, alertMs: 3 * S, openAtEnd: 0 });
  });

  it('keeps timelines for the keys with the highest peaks; one that rose late says what it missed', () => {
    const def = thresholdDef({ windowMs: W, threshold: 100 });
    const events: AuditEvent[] = [];
    // 70 keys with a peak of 3: more than the 64 tracked, so the set is full. (Each key's 4th
    // event, alone in its window, makes the first three final before z arrives.)
    for (let i = 0; i < 70; i++) for (const at of [0, 1, 2, 15 * S]) events.push(ev(T0 + i * 20 * S + at, `k${i}`));
    // z: 10 events one second apart, after everyone else.
    const z0 = T0 + 2000 * S;
    for (let j = 0; j < 10; j++) events.push(ev(z0 + j * S, 'z'));
    const { result } = backtest([def], events, 0);
    const t = tuning(result, 'burst');
    assert.deepEqual(
      t.top.map((k) => [k.values[0], k.peak]),
      [['z', 10], ['k0', 3], ['k1', 3], ['k2', 3], ['k3', 3], ['k4', 3]],
    );
    const z = t.timelines[0];
    // z ranked once its count passed 3 (at its 4th event); before that it was not recorded.
    assert.deepEqual(z?.untracked, { from: z0, since: z0 + 3 * S, atMost: 3 });
    assert.equal(z?.points[0]?.t, z0 + 3 * S);
    assert.deepEqual(z?.points.slice(0, 7).map((p) => p.c), [4, 5, 6, 7, 8, 9, 10]);
    assert.equal(t.timelines[1]?.untracked, undefined);
  });

  it('passes through exactly the configured detectors’ transitions, in replay order', () => {
    const defs = [thresholdDef({ id: 'burst', windowMs: W, threshold: 1 }), streakDef({ id: 'streak', threshold: 1 })];
    const events = [0, 1, 2, 3, 4, 30].map((s) => ev(T0 + s * S, 'a', s % 2 === 0 ? 'rate_limited' : 'error'));
    const plain: Transition[] = [];
    const engine = new Engine(defs, { latenessMs: 0 });
    for (const e of events) engine.process(e, plain);
    const { out } = backtest(defs, events, 0, [W * 2]);
    assert.deepEqual(out.map(transitionJson), plain.map(transitionJson));
    assert.ok(out.length > 0);
  });

});

const detectorArb: fc.Arbitrary<TunableDef> = fc.oneof<fc.Arbitrary<TunableDef>[]>(
  fc
    .record({
      windowMs: fc.constantFrom(2, 5, 10, 30, 100),
      threshold: fc.integer({ min: 0, max: 8 }),
      outcomes: fc.subarray(OUTCOMES, { minLength: 1 }),
      byTool: fc.boolean(),
    })
    .map((o) => thresholdDef({ id: 'd', windowMs: o.windowMs, threshold: o.threshold, where: { outcome: o.outcomes }, groupBy: o.byTool ? ['callerId', 'tool'] : ['callerId'] })),
  fc.record({ threshold: fc.integer({ min: 0, max: 6 }), byTool: fc.boolean() }).map((o) => streakDef({ id: 'd', threshold: o.threshold, groupBy: o.byTool ? ['callerId', 'tool'] : ['callerId'] })),
);

const streamArb = (lateness: number): fc.Arbitrary<AuditEvent[]> =>
  fc
    .array(
      fc.record({
        step: fc.integer({ min: 0, max: 5 }),
        back: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: Math.ceil(lateness * 1.5) + 2 }) }),
        caller: fc.constantFrom('a', 'b', '__proto__'),
        tool: fc.constantFrom('x', 'y'),
        outcome: fc.constantFrom(...OUTCOMES, 'rate_limited', 'rate_limited', 'error'),
      }),
      // size 'max': fast-check otherwise keeps arrays to about ten elements past minLength.
      { minLength: 1, maxLength: 200, size: 'max' },
    )
    .map((rows) => {
      let t = T0;
      return rows.map((r) => {
        t += r.step;
        return ev(t - r.back, r.caller, r.outcome as Outcome, { tool: r.tool });
      });
    });

const caseArb = fc.constantFrom(0, 3, 10, 40).chain((lateness) =>
  fc.record({ lateness: fc.constant(lateness), def: detectorArb, events: streamArb(lateness), windows: fc.subarray([3, 7, 50], { maxLength: 2 }) }),
);

describe('Backtester against separate runs and brute force', () => {
  it('every what-if cell equals a separate engine run with that threshold and window; peaks equal brute force', () => {
    fc.assert(
      fc.property(caseArb, ({ lateness, def, events, windows }) => {
        const { result } = backtest([def], events, lateness, windows);
        const d = detector(result, 'd');
        const t = tuning(result, 'd');
        const { transitions: _t, ...configured } = expectedFromReplay(def, events, lateness);
        assert.deepEqual(d.alerts, configured);
        assert.ok(t.whatIf.length >= 5);
        for (const row of t.whatIf) {
          const variant: TunableDef = def.kind === 'threshold' ? { ...def, threshold: row.threshold, windowMs: row.windowMs ?? def.windowMs } : { ...def, threshold: row.threshold };
          const { transitions: _v, ...want } = expectedFromReplay(variant, events, lateness);
          assert.deepEqual({ alerts: row.alerts, keys: row.keys, alertMs: row.alertMs, openAtEnd: row.openAtEnd }, want, `threshold ${row.threshold} window ${row.windowMs}`);
          assert.equal(row.configured, row.threshold === def.threshold && (def.kind === 'streak' || row.windowMs === def.windowMs));
        }
        if (def.kind === 'threshold') {
          for (const w of t.windowPeaks) {
            const brute = sortedValues(bruteWindowPeaks(def, w.windowMs, events, lateness));
            assert.equal(w.summary.keys, brute.length);
            assert.equal(w.summary.max, brute.length === 0 ? 0 : brute[brute.length - 1]);
            // A key alerts at some threshold exactly when its peak exceeds it.
            for (const row of t.whatIf.filter((r) => r.windowMs === w.windowMs)) assert.equal(row.keys, brute.filter((p) => p > row.threshold).length);
          }
          assert.deepEqual([...t.peaks], sortedValues(bruteWindowPeaks(def, def.windowMs, events, lateness)));
        } else {
          assert.deepEqual([...t.peaks], sortedValues(bruteStreakPeaks(def, events, lateness)));
        }
      }),
      { numRuns: 1500, seed: 20261125 },
    );
  });

  it('timeline points are exact counts at the key’s event and expiry times, and the marks are its transitions', () => {
    fc.assert(
      fc.property(caseArb, ({ lateness, def, events }) => {
        if (def.kind !== 'threshold') return;
        const windowMs = def.windowMs;
        const { result } = backtest([def], events, lateness);
        const t = tuning(result, 'd');
        const acc = accepted(events, lateness).filter((e) => matches(def, e));
        const { transitions } = expectedFromReplay(def, events, lateness);
        const end = result.lastTs ?? 0;
        for (const k of t.timelines) {
          const key = JSON.stringify(k.values);
          const ts: number[] = acc.filter((e) => keyOf(def, e) === key).map((e) => e.ts);
          const count = (x: number) => ts.filter((e) => e > x - windowMs && e <= x).length;
          // Every instant the count changes, up to the end of the input; the timeline saw them all.
          const changes: number[] = [...new Set([...ts, ...ts.map((e) => e + windowMs)])].filter((x) => x <= end).sort((a, b) => a - b);
          assert.equal(k.untracked, undefined);
          assert.equal(k.samples, changes.length);
          // Up to 249 samples every one is a point; beyond, a min/max subset of them.
          if (k.samples <= 249) assert.deepEqual(k.points.map((p) => p.t), changes);
          else assert.ok(k.points.length <= 500 && k.points.every((p) => changes.includes(p.t)));
          for (const p of k.points) assert.equal(p.c, count(p.t), `count at ${p.t - T0}`);
          assert.equal(k.peak, Math.max(...ts.map(count)));
          const own = transitions.filter((x) => JSON.stringify(x.key) === key).map((x) => ({ type: x.type, at: x.at }));
          assert.deepEqual(k.marks, own);
        }
      }),
      { numRuns: 800, seed: 7 },
    );
  });
});
