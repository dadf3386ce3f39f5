import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { histogram, percentile, summarize } from '../../src/backtest/distribution.js';

describe('peak distribution', () => {
  it('percentiles by nearest rank: always a value that occurred', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(v, 50), 50);
    assert.equal(percentile(v, 90), 90);
    assert.equal(percentile(v, 99), 99);
    assert.equal(percentile([1, 1, 1, 7], 50), 1);
    assert.equal(percentile([1, 1, 1, 7], 90), 7);
    assert.equal(percentile([], 50), 0);
    assert.deepEqual(summarize([3]), { keys: 1, p50: 3, p90: 3, p99: 3, max: 3 });
  });

  it('histogram bins cover 1..max with equal integer widths and count every key once', () => {
    const peaks = [1, 1, 2, 5, 40, 41, 200];
    const bins = histogram(peaks, 40);
    assert.equal(bins[0]?.from, 1);
    assert.ok((bins[bins.length - 1]?.to ?? 0) >= 200);
    assert.ok(bins.length <= 40);
    assert.equal(bins.reduce((n, b) => n + b.keys, 0), peaks.length);
    const widths = new Set(bins.map((b) => b.to - b.from));
    assert.equal(widths.size, 1);
    assert.deepEqual(histogram([1, 2, 2, 3], 40), [
      { from: 1, to: 1, keys: 1 },
      { from: 2, to: 2, keys: 2 },
      { from: 3, to: 3, keys: 1 },
    ]);
    assert.deepEqual(histogram([], 40), []);
  });
});
