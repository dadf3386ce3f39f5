import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TimeMerge } from '../../../src/app/kafka/time-merge.js';

const items = (...ts: number[]) => ts.map((t, i) => ({ ts: t, offset: i, item: t }));

describe('app/kafka/time-merge', () => {
  it('releases records in event-time order across partitions, waiting for a lagging one', () => {
    const m = new TimeMerge<number>(1_000);
    m.expect('a', undefined);
    m.expect('b', undefined);
    m.add('a', items(10, 20, 30), 3, 10);
    // b has not delivered yet: nothing may go out (it could hold older records).
    assert.deepEqual(m.drain(0), []);
    m.add('b', items(5, 25), 2, 2);
    // b is caught up (high watermark 2): a's records go out up to the end.
    assert.deepEqual(m.drain(0).map((x) => x.q.item), [5, 10, 20, 25, 30]);
    assert.equal(m.committable('a'), 3);
    assert.equal(m.committable('b'), 2);
  });

  it('stops at a lagging partition that ran empty, for at most the wait bound', () => {
    const m = new TimeMerge<number>(1_000);
    m.add('a', items(1, 2), 2, 10);
    m.add('b', items(3, 4, 5), 3, 10);
    assert.deepEqual(m.drain(0).map((x) => x.q.item), [1, 2]);
    // a is empty and lagging: b waits ...
    assert.deepEqual(m.drain(500).map((x) => x.q.item), []);
    assert.equal(m.committable('b'), 0, 'nothing of b copied: commit stays before its first queued record');
    // ... until the bound passes.
    assert.deepEqual(m.drain(1_000).map((x) => x.q.item), [3, 4, 5]);
  });

  it('ties go by partition key; clear() forgets everything', () => {
    const m = new TimeMerge<string>(0);
    m.add('b', [{ ts: 1, offset: 0, item: 'b0' }], 1, 1);
    m.add('a', [{ ts: 1, offset: 0, item: 'a0' }], 1, 1);
    assert.deepEqual(m.drain(0).map((x) => x.q.item), ['a0', 'b0']);
    m.add('a', [{ ts: 2, offset: 1, item: 'a1' }], 2, 5);
    assert.equal(m.waiting, true);
    m.clear();
    assert.equal(m.waiting, false);
    assert.equal(m.committable('a'), undefined);
  });
});
