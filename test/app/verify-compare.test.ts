import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareDetector, keyOf, StreakHistory } from '../../src/app/verify-compare.js';
import type { Where } from '../../src/config/detectors.js';
import { asWindowedCount, type WindowedCount } from '../../src/provision/detector-view.js';
import type { AuditEvent } from '../../src/events/audit-event.js';
import type { Exactness } from '../../src/provision/model.js';
import { DENIAL, STREAK } from '../provision/helpers.js';

const H = 3_600_000;
const streak = asWindowedCount(STREAK, H) as WindowedCount;
const threshold = asWindowedCount(DENIAL, H) as WindowedCount;
const streakX: Exactness = { kind: 'approximation', reasons: ['streak-as-window-count', 'reset-in-window', 'streak-longer-than-window'], detail: [] };
const exact: Exactness = { kind: 'exact', why: '', limits: [] };
const resetWhere: Where = new Map([['outcome', ['success']]]);

function ev(outcome: AuditEvent['outcome'], ts: number, callerId = 'c'): AuditEvent {
  return { callerId, tool: 't', outcome, timestamp: new Date(ts).toISOString(), ts };
}
const K = keyOf(['callerId'], ev('error', 0));

describe('verify comparison', () => {
  it('counts agreement and treats every difference of an exact detector as undeclared', () => {
    const r = compareDetector(threshold, exact, [
      { t: 1, engine: new Set([K, '["x"]']), query: new Set([K, '["x"]']) },
      { t: 2, engine: new Set([K]), query: new Set() },
    ], undefined);
    assert.deepEqual([r.evaluations, r.keysCompared, r.agreed, r.undeclared.length], [2, 3, 2, 1]);
    assert.deepEqual(r.undeclared[0], { t: 2, key: K, side: 'engine-only', cause: undefined });
  });

  it('explains a query-only streak key by a reset inside the window, and nothing else', () => {
    const events = [ev('error', 1000), ev('success', 2000), ev('error', 3000)];
    const h = new StreakHistory(streak, resetWhere, events);
    const within = compareDetector(streak, streakX, [{ t: 5000, engine: new Set(), query: new Set([K]) }], h);
    assert.deepEqual([...within.declared], [['reset-in-window', 1]]);
    const outside = compareDetector(streak, streakX, [{ t: 2000 + H, engine: new Set(), query: new Set([K]) }], h);
    assert.equal(outside.undeclared.length, 1, 'the reset left the window: no declared cause applies');
  });

  it('explains an engine-only streak key by a streak older than the window', () => {
    const h = new StreakHistory(streak, resetWhere, [ev('error', 1000), ev('error', 2000 + H)]);
    const r = compareDetector(streak, streakX, [{ t: 2000 + H, engine: new Set([K]), query: new Set() }], h);
    assert.deepEqual([...r.declared], [['streak-longer-than-window', 1]]);
    const young = compareDetector(streak, streakX, [{ t: 1500, engine: new Set([K]), query: new Set() }], h);
    assert.equal(young.undeclared.length, 1, 'a streak entirely inside the window would be counted: undeclared');
  });

  it('does not accept a cause the plan did not declare', () => {
    const h = new StreakHistory(streak, resetWhere, [ev('error', 1000), ev('success', 2000)]);
    const onlyLong: Exactness = { kind: 'approximation', reasons: ['streak-longer-than-window'], detail: [] };
    assert.equal(compareDetector(streak, onlyLong, [{ t: 3000, engine: new Set(), query: new Set([K]) }], h).undeclared.length, 1);
  });

  it('treats an event matching both where and resetWhere as extending the streak', () => {
    const both = { ...streak, where: new Map([['tool', ['t']]]) } as WindowedCount;
    const h = new StreakHistory(both, new Map([['tool', ['t']]]), [ev('error', 1000)]);
    assert.equal(h.resetInWindow(K, 1000, H), false);
  });
});
