import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEADMAN_DETECTOR, DeadmanSwitch } from '../../src/app/deadman.js';
import { transitionId } from '../../src/engine/transition.js';

const MIN = 60_000;
const T0 = Date.parse('2026-03-05T10:00:00Z');
const opts = { silenceMs: 15 * MIN, busyWindowMs: 60 * MIN, busyEvents: 100 };

/** 200 events over the hour before T0, sampled every 30 s. */
function busy(d: DeadmanSwitch, source = 'kafka:mcp-audit'): void {
  for (let t = T0 - 59 * MIN; t <= T0; t += 30_000) d.arrived(source, 2, t);
}

describe("dead-man's switch", () => {
  it('fires once when a busy source has been silent for the configured time, and resolves on the next event', () => {
    const d = new DeadmanSwitch(opts);
    busy(d);
    assert.deepEqual(d.check(T0 + 14 * MIN + 59_999), [], 'not yet silent long enough');
    const fired = d.check(T0 + 15 * MIN + 20_000);
    assert.equal(fired.length, 1);
    const f = fired[0];
    assert.ok(f !== undefined && f.type === 'fired');
    assert.equal(f.detector, DEADMAN_DETECTOR);
    assert.equal(f.severity, 'critical');
    assert.deepEqual(f.keyFields, ['source']);
    assert.deepEqual(f.key, ['kafka:mcp-audit']);
    assert.equal(f.at, T0 + 15 * MIN, 'fires at last arrival + silence, not at the sampling time');
    assert.ok(f.count > 100);
    assert.equal(f.threshold, 100);
    assert.equal(f.windowMs, 75 * MIN);
    assert.deepEqual(d.check(T0 + 30 * MIN), [], 'one alert per silence');
    assert.equal(d.status(T0 + 30 * MIN)[0]?.alerting, true);

    const resolved = d.arrived('kafka:mcp-audit', 1, T0 + 40 * MIN);
    assert.equal(resolved.length, 1);
    const r = resolved[0];
    assert.ok(r !== undefined && r.type === 'resolved');
    assert.equal(r.at, T0 + 40 * MIN);
    assert.equal(r.firedAt, f.at);
    assert.notEqual(transitionId(r), transitionId(f));
    assert.deepEqual(d.check(T0 + 60 * MIN), [], 'one event after the silence is not "busy" again');
  });

  it('does not watch a source that was never busy (more than busyEvents in busyWindow)', () => {
    const d = new DeadmanSwitch(opts);
    for (let i = 0; i < 100; i++) d.arrived('quiet', 1, T0 - i * 30_000);
    assert.equal(d.status(T0)[0]?.busy, false, 'exactly busyEvents is not more than busyEvents');
    assert.deepEqual(d.check(T0 + 24 * 60 * MIN), []);
    d.arrived('quiet', 1, T0);
    assert.equal(d.status(T0)[0]?.busy, true);
    assert.equal(d.check(T0 + 15 * MIN).length, 1);
  });

  it('counts only the busy window that ends at the last arrival', () => {
    const d = new DeadmanSwitch(opts);
    d.arrived('s', 500, T0 - 3 * 60 * MIN); // long ago
    d.arrived('s', 10, T0);
    assert.equal(d.status(T0)[0]?.recent, 10);
    assert.deepEqual(d.check(T0 + 60 * MIN), []);
  });

  it('takes cumulative counts: the first sample is a baseline, a counter that went down is a new one', () => {
    const d = new DeadmanSwitch(opts);
    assert.deepEqual(d.observe('file', 10_000, T0 - 60 * MIN), []);
    assert.equal(d.status(T0)[0]?.lastArrival, undefined, 'a baseline is not an arrival');
    d.observe('file', 10_500, T0);
    assert.equal(d.status(T0)[0]?.recent, 500);
    d.observe('file', 10_500, T0 + 10 * MIN);
    assert.equal(d.check(T0 + 15 * MIN).length, 1);
    assert.deepEqual(d.observe('file', 3, T0 + 20 * MIN), [], 'restarted counter: baseline');
    assert.equal(d.observe('file', 4, T0 + 21 * MIN).length, 1, 'then an arrival resolves');
  });

  it('keeps sources apart', () => {
    const d = new DeadmanSwitch(opts);
    busy(d, 'a');
    busy(d, 'b');
    d.arrived('b', 5, T0 + 10 * MIN);
    const fired = d.check(T0 + 16 * MIN);
    assert.deepEqual(fired.map((t) => t.key[0]), ['a']);
  });
});
