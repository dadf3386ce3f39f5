import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, DEFAULT_BACKOFF, TokenBucket } from '../../src/outbox/backoff.js';

describe('backoff', () => {
  it('doubles from 1 s up to 1 min, with half of each delay random', () => {
    const lo = [1, 2, 3, 4, 7, 8, 20].map((f) => backoffDelay(f, DEFAULT_BACKOFF, () => 0));
    const hi = [1, 2, 3, 4, 7, 8, 20].map((f) => backoffDelay(f, DEFAULT_BACKOFF, () => 1));
    assert.deepEqual(lo, [500, 1000, 2000, 4000, 30_000, 30_000, 30_000]);
    assert.deepEqual(hi, [1000, 2000, 4000, 8000, 60_000, 60_000, 60_000]);
  });
});

describe('token bucket', () => {
  it('allows the burst, then one token per 1/rate seconds', () => {
    const b = new TokenBucket(1, 2);
    const t = 1_000_000;
    assert.equal(b.take(t), 0);
    assert.equal(b.take(t), 0);
    assert.equal(b.take(t), 1000);
    assert.equal(b.take(t + 500), 500);
    assert.equal(b.take(t + 1000), 0);
    b.refund();
    assert.equal(b.take(t + 1000), 0);
  });

  it('empties on drain (a 429 says the receiver disagrees)', () => {
    const b = new TokenBucket(2, 10);
    b.drain(0);
    assert.equal(b.take(0), 500);
    assert.equal(b.take(500), 0);
  });
});
