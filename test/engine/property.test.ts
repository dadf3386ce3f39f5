import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { DetectorDef } from '../../src/config/detectors.js';
import type { AuditEvent, Outcome } from '../../src/events/audit-event.js';
import { Engine } from '../../src/engine/engine.js';
import { engineSnapshotSchema } from '../../src/engine/snapshot.js';
import { transitionJson, type Transition } from '../../src/engine/transition.js';
import { ReferenceEngine, asJson } from './reference.js';
import { T0, ev, streakDef, thresholdDef } from './helpers.js';
import { leakDef } from './leak-helpers.js';

const OUTCOMES: Outcome[] = ['success', 'error', 'denied', 'rate_limited'];

const detectorArb: fc.Arbitrary<(i: number) => DetectorDef> = fc.oneof(
  fc
    .record({
      windowMs: fc.constantFrom(1, 2, 5, 10, 30, 100),
      threshold: fc.integer({ min: 0, max: 6 }),
      outcomes: fc.subarray(OUTCOMES, { minLength: 1 }),
      byTool: fc.boolean(),
    })
    .map((o) => (i: number) => thresholdDef({ id: `t${i}`, windowMs: o.windowMs, threshold: o.threshold, where: { outcome: o.outcomes }, groupBy: o.byTool ? ['callerId', 'tool'] : ['callerId'] })),
  fc
    .record({ threshold: fc.integer({ min: 0, max: 4 }), byTool: fc.boolean() })
    .map((o) => (i: number) => streakDef({ id: `s${i}`, threshold: o.threshold, groupBy: o.byTool ? ['callerId', 'tool'] : ['callerId'] })),
  fc
    .record({ quietMs: fc.constantFrom(1, 2, 5, 10, 30), byTool: fc.boolean() })
    .map((o) => (i: number) => leakDef({ id: `l${i}`, quietMs: o.quietMs, groupBy: o.byTool ? ['callerId', 'tool'] : ['callerId', 'serverVersion'] })),
);

// What the decoded message of an event carries: nothing to find, or one of a few different leaks
// (so that the evidence a re-fire reports is checked too).
const LEAKS: readonly (Record<string, unknown> | undefined)[] = [undefined, {}, {}, { token: 'x' }, { nested: { Password: 'p' } }, { args: [1] }];

const streamArb = (lateness: number): fc.Arbitrary<AuditEvent[]> =>
  fc
    .array(
      fc.record({
        step: fc.integer({ min: 0, max: 6 }),
        back: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: Math.ceil(lateness * 1.5) + 2 }) }),
        caller: fc.constantFrom('a', 'b', '__proto__'),
        tool: fc.constantFrom('x', 'y'),
        outcome: fc.constantFrom(...OUTCOMES, 'rate_limited', 'rate_limited'),
        leak: fc.nat(LEAKS.length - 1),
      }),
      // size 'max': fast-check otherwise keeps arrays to about ten elements past minLength.
      { minLength: 1, maxLength: 160, size: 'max' },
    )
    .map((rows) => {
      let t = T0;
      return rows.map((r) => {
        t += r.step;
        const e = ev(t - r.back, r.caller, r.outcome as Outcome, { tool: r.tool });
        const extra = LEAKS[r.leak];
        return extra === undefined ? e : { ...e, original: { callerId: e.callerId, tool: e.tool, ...extra } };
      });
    });

const caseArb = fc.constantFrom(0, 3, 10, 40).chain((lateness) =>
  fc.record({
    lateness: fc.constant(lateness),
    detectors: fc.array(detectorArb, { minLength: 1, maxLength: 3 }).map((fs) => fs.map((f, i) => f(i))),
    events: streamArb(lateness),
  }),
);

function runEngine(defs: readonly DetectorDef[], events: readonly AuditEvent[], lateness: number): { out: Transition[]; verdicts: string[] } {
  const engine = new Engine(defs, { latenessMs: lateness });
  const out: Transition[] = [];
  const verdicts = events.map((e) => engine.process(e, out));
  return { out, verdicts };
}

describe('engine against the reference model', () => {
  it('produces exactly the reference transitions over random streams with disorder, ties and late events', () => {
    fc.assert(
      fc.property(caseArb, ({ lateness, detectors, events }) => {
        const ref = new ReferenceEngine(detectors, lateness);
        const refOut: Transition[] = [];
        const refVerdicts = events.map((e) => ref.process(e, refOut));
        const got = runEngine(detectors, events, lateness);
        assert.deepEqual(got.verdicts, refVerdicts);
        assert.deepEqual(got.out.map(transitionJson), asJson(refOut));
      }),
      { numRuns: 4000, seed: 20261125 },
    );
  });

  it('dense bursts on a few keys (exercising compaction) match the reference', () => {
    const dense = fc.record({
      lateness: fc.constantFrom(0, 5, 25),
      threshold: fc.integer({ min: 0, max: 5 }),
      windowMs: fc.constantFrom(50, 200),
      rows: fc.array(fc.record({ step: fc.integer({ min: 0, max: 3 }), back: fc.integer({ min: 0, max: 30 }), gap: fc.oneof({ weight: 20, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 50, max: 400 }) }), caller: fc.constantFrom('a', 'b') }), { minLength: 50, maxLength: 400, size: 'max' }),
    });
    fc.assert(
      fc.property(dense, ({ lateness, threshold, windowMs, rows }) => {
        const defs = [thresholdDef({ windowMs, threshold })];
        let t = T0;
        const events = rows.map((r) => {
          t += r.step + r.gap;
          return ev(t - Math.min(r.back, lateness + 2), r.caller);
        });
        const ref = new ReferenceEngine(defs, lateness);
        const refOut: Transition[] = [];
        events.forEach((e) => ref.process(e, refOut));
        assert.deepEqual(runEngine(defs, events, lateness).out.map(transitionJson), asJson(refOut));
      }),
      { numRuns: 1500, seed: 7 },
    );
  });

  it('leak detectors over disordered streams of mostly leaking events match the reference', () => {
    const leaky = fc.record({
      lateness: fc.constantFrom(5, 20, 60),
      quietMs: fc.constantFrom(1, 3, 10),
      rows: fc.array(fc.record({ step: fc.integer({ min: 0, max: 8 }), back: fc.integer({ min: 0, max: 70 }), caller: fc.constantFrom('a', 'b'), leak: fc.nat(LEAKS.length - 1) }), { minLength: 5, maxLength: 120, size: 'max' }),
    });
    fc.assert(
      fc.property(leaky, ({ lateness, quietMs, rows }) => {
        const defs = [leakDef({ id: 'l', quietMs, groupBy: ['callerId'] })];
        let t = T0;
        const events = rows.map((r) => {
          t += r.step;
          const e = ev(t - Math.min(r.back, lateness + 5), r.caller);
          const extra = LEAKS[r.leak];
          return extra === undefined ? e : { ...e, original: { callerId: e.callerId, ...extra } };
        });
        const ref = new ReferenceEngine(defs, lateness);
        const refOut: Transition[] = [];
        events.forEach((e) => ref.process(e, refOut));
        assert.deepEqual(runEngine(defs, events, lateness).out.map(transitionJson), asJson(refOut));
      }),
      { numRuns: 1500, seed: 11 },
    );
  });

  it('snapshot, JSON round trip and restore at any point continues exactly as an uninterrupted run', () => {
    fc.assert(
      fc.property(caseArb, fc.nat(), ({ lateness, detectors, events }, cutSeed) => {
        const cut = cutSeed % (events.length + 1);
        const whole = runEngine(detectors, events, lateness).out;
        const first = new Engine(detectors, { latenessMs: lateness });
        const out: Transition[] = [];
        events.slice(0, cut).forEach((e) => first.process(e, out));
        const snap = engineSnapshotSchema.parse(JSON.parse(JSON.stringify(first.snapshot())));
        const second = Engine.restore(detectors, { latenessMs: lateness }, snap);
        events.slice(cut).forEach((e) => second.process(e, out));
        assert.deepEqual(out.map(transitionJson), whole.map(transitionJson));
      }),
      { numRuns: 1500, seed: 42 },
    );
  });
});
