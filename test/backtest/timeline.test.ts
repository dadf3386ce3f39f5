import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_TIMELINE_POINTS, Timeline } from '../../src/backtest/timeline.js';

describe('Timeline', () => {
  it('keeps every sample while there are few', () => {
    const tl = new Timeline();
    for (let i = 0; i < 100; i++) tl.add(i, i % 7);
    assert.deepEqual(
      tl.points(),
      Array.from({ length: 100 }, (_, i) => ({ t: i, c: i % 7 })),
    );
  });

  it('stays within the point bound for a million samples, in time order, keeping the peak and the dip', () => {
    const tl = new Timeline();
    const n = 1_000_000;
    for (let i = 0; i < n; i++) {
      const c = i === 654_321 ? 10_000 : i === 123_457 ? 0 : 50 + (i % 13);
      tl.add(i, c);
    }
    const pts = tl.points();
    assert.ok(pts.length <= MAX_TIMELINE_POINTS, `${pts.length} points`);
    assert.ok(pts.length >= MAX_TIMELINE_POINTS / 2);
    for (let i = 1; i < pts.length; i++) assert.ok((pts[i]?.t ?? 0) > (pts[i - 1]?.t ?? 0));
    assert.ok(pts.some((p) => p.t === 654_321 && p.c === 10_000));
    assert.ok(pts.some((p) => p.t === 123_457 && p.c === 0));
    assert.equal(tl.samples, n);
  });
});
