import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { candidatesFor, thresholdCandidates } from '../../src/backtest/candidates.js';
import { streakDef, thresholdDef } from '../engine/helpers.js';

describe('what-if candidates', () => {
  it('multiplies the configured threshold by 0.25 … 3, rounded and deduplicated', () => {
    assert.deepEqual(thresholdCandidates(100), [25, 50, 75, 100, 150, 200, 300]);
    assert.deepEqual(thresholdCandidates(30), [8, 15, 23, 30, 45, 60, 90]);
    assert.deepEqual(thresholdCandidates(2), [1, 2, 3, 4, 6]);
  });

  it('tops small thresholds up to five candidates with the next integers', () => {
    assert.deepEqual(thresholdCandidates(0), [0, 1, 2, 3, 4]);
    assert.deepEqual(thresholdCandidates(1), [0, 1, 2, 3, 4]);
  });

  it('crosses thresholds with the configured window first, then the alternatives ascending', () => {
    const def = thresholdDef({ id: 'burst', windowMs: 60_000, threshold: 4 });
    const cs = candidatesFor(def, [120_000, 30_000, 60_000, 30_000]);
    assert.deepEqual([...new Set(cs.map((c) => c.windowMs))], [60_000, 30_000, 120_000]);
    assert.equal(cs.length, 3 * thresholdCandidates(4).length);
    const configured = cs.filter((c) => c.configured);
    assert.equal(configured.length, 1);
    assert.equal(configured[0]?.def, def);
    // Variant ids can never collide with a real id (those have no spaces).
    const ids = cs.map((c) => c.def.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(cs.filter((c) => !c.configured).every((c) => c.def.id.includes(' ')));
  });

  it('streaks vary the threshold only', () => {
    const cs = candidatesFor(streakDef({ threshold: 20 }), [60_000]);
    assert.deepEqual(cs.map((c) => [c.threshold, c.windowMs]), [5, 10, 15, 20, 30, 40, 60].map((t) => [t, undefined]));
  });
});
