import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../src/engine/engine.js';
import { engineSnapshotSchema } from '../../src/engine/snapshot.js';
import { transitionJson, type Transition } from '../../src/engine/transition.js';
import { brief, ev, run, T0, thresholdDef } from './helpers.js';
import { CLEAN, LEAK, leakDef, msgEvent } from './leak-helpers.js';

const Q = 100;
const def = leakDef({ quietMs: Q });
const at = (dt: number, extra: Record<string, unknown> = LEAK, caller = 'a', serverVersion?: string) => msgEvent(T0 + dt, caller, extra, { serverVersion });

describe('leak detector (README Semantics, clause 7)', () => {
  it('fires (critical) at the leaking event, naming the field path and rule but never the value', () => {
    const r = run([def], [at(0, CLEAN), at(5, { params: { password: 'hunter2-very-secret' } })]);
    assert.deepEqual(brief(r.transitions), ['leak:a,:fired@5#1']);
    assert.deepEqual(r.json[0], {
      type: 'fired',
      detector: 'leak',
      key: { callerId: 'a', serverVersion: null },
      at: new Date(T0 + 5).toISOString(),
      count: 1,
      threshold: 0,
      severity: 'critical',
      evidence: { path: 'params', rule: 'field-name' },
    });
    assert.doesNotMatch(JSON.stringify(r.transitions), /hunter2/);
  });

  it('ignores clean events, events without a decoded message, and events outside `where`', () => {
    const onlyDenied = leakDef({ quietMs: Q, where: new Map([['outcome', ['denied']]]) });
    const r = run([def, onlyDenied], [at(0, CLEAN), ev(T0 + 1, 'a'), at(2, LEAK)]);
    assert.deepEqual(brief(r.transitions), ['leak:a,:fired@2#1']);
  });

  it('groups by callerId and serverVersion', () => {
    const r = run([def], [at(0, LEAK, 'a', '1.0'), at(1, LEAK, 'a', '2.0'), at(2, LEAK, 'b', '1.0'), at(3, LEAK, 'a', '1.0')]);
    assert.deepEqual(brief(r.transitions), ['leak:a,1.0:fired@0#1', 'leak:a,2.0:fired@1#1', 'leak:b,1.0:fired@2#1']);
  });

  it('resolves at r = last leak + quiet, as soon as r < maxTs − L', () => {
    const L = 10;
    // Leaks at 0 and 50: r = 150. maxTs − L reaches 150 at maxTs 160 (not yet resolved: r must be < it).
    const events = [at(0), at(50), at(160, CLEAN), at(161, CLEAN)];
    const r = run([def], events, L);
    assert.deepEqual(brief(r.transitions), ['leak:a,:fired@0#1', 'leak:a,:resolved@150']);
    const engine = new Engine([def], { latenessMs: L });
    const out: Transition[] = [];
    events.slice(0, 3).forEach((e) => engine.process(e, out));
    assert.equal(out.length, 1, 'still active while r = maxTs − L');
    assert.equal(transitionJson(r.transitions[1] as Transition).type, 'resolved');
  });

  it('a leak at exactly r keeps the alert active; one after r that arrives before the watermark passes r starts a new incident', () => {
    const L = 1000;
    // r = 100; a leak at 100 extends to 200. Then a leak at 350 (> 200) arrives while the watermark
    // is still behind 200: the first incident resolves at 200, the second fires at 350.
    const r = run([def], [at(0), at(100), at(350, { token: 'abc' }), at(2000, CLEAN)], L);
    assert.deepEqual(brief(r.transitions), ['leak:a,:fired@0#1', 'leak:a,:resolved@200', 'leak:a,:fired@350#1', 'leak:a,:resolved@450']);
    assert.deepEqual(r.transitions[2]?.type === 'fired' ? r.transitions[2].evidence : undefined, { path: 'token', rule: 'field-name' });
  });

  it('out-of-order leaks join the stretch they touch, and late ones change nothing', () => {
    const L = 1000;
    // Active [0, 100); later stretch opened by 300, then 260 arrives first in time: the re-fire is at 260 with its evidence.
    const r = run([def], [at(0), at(300, { secret: 's' }), at(260, { bearer: 'b' }), at(5000, CLEAN), at(10, LEAK)], L);
    assert.deepEqual(brief(r.transitions), ['leak:a,:fired@0#1', 'leak:a,:resolved@100', 'leak:a,:fired@260#1', 'leak:a,:resolved@400']);
    const refire = r.transitions[2];
    assert.deepEqual(refire?.type === 'fired' ? refire.evidence : undefined, { path: 'bearer', rule: 'field-name' });
    assert.deepEqual(r.verdicts, ['accepted', 'accepted', 'accepted', 'accepted', 'late']);
  });

  it('orders its resolves with other detectors by time, then by fire order', () => {
    const burst = thresholdDef({ id: 'burst', windowMs: Q, threshold: 0, where: { outcome: 'success' } });
    // Both fire at 0 (threshold first: file order), both resolve at 100, after the fire the
    // event at 1000 causes (fires of an event come before the resolves its watermark releases).
    const r = run([burst, def], [at(0), at(1000, CLEAN, 'z')]);
    assert.deepEqual(brief(r.transitions), ['burst:a:fired@0#1', 'leak:a,:fired@0#1', 'burst:z:fired@1000#1', 'burst:a:resolved@100', 'leak:a,:resolved@100']);
    const swapped = run([def, burst], [at(0), at(1000, CLEAN, 'z')]);
    assert.deepEqual(brief(swapped.transitions).slice(3), ['leak:a,:resolved@100', 'burst:a:resolved@100']);
  });

  it('survives a snapshot and restore with an active alert and a pending later stretch', () => {
    const L = 1000;
    const events = [at(0), at(300, { secret: 's' }), at(290, { 'Private_Key': 'k' }), at(5000, CLEAN)];
    const whole = run([def], events, L).json;
    for (let cut = 0; cut <= events.length; cut++) {
      const first = new Engine([def], { latenessMs: L });
      const out: Transition[] = [];
      events.slice(0, cut).forEach((e) => first.process(e, out));
      const snap = engineSnapshotSchema.parse(JSON.parse(JSON.stringify(first.snapshot())));
      const second = Engine.restore([def], { latenessMs: L }, snap);
      events.slice(cut).forEach((e) => second.process(e, out));
      assert.deepEqual(out.map(transitionJson), whole, `cut at ${cut}`);
    }
    assert.deepEqual(whole.map((t) => t.evidence?.path ?? '-'), ['arguments', '-', 'Private_Key', '-']);
  });

  it('holds state only for keys with an active alert', () => {
    const r = run([def], [at(0, LEAK, 'a'), at(1, LEAK, 'b'), at(5000, CLEAN, 'c')]);
    assert.deepEqual(r.engine.stats().get('leak'), { keys: 0, active: 0, storedTimes: 0 });
  });
});
