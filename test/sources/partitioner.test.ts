import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { murmur2, partitionForKey } from '../../src/sources/partitioner.js';

describe('sources/partitioner', () => {
  it('murmur2 matches the Java client (org.apache.kafka.common.utils.UtilsTest)', () => {
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, expected] of cases) assert.equal(murmur2(Buffer.from(key)), expected, key);
  });

  it('places a key as the default partitioner does, always in range', () => {
    assert.equal(partitionForKey('21', 6), (-973932308 & 0x7fffffff) % 6);
    for (const key of ['', 'agent-7', '__proto__', 'é🙂', 'x'.repeat(5000)]) {
      const p = partitionForKey(key, 7);
      assert.ok(Number.isInteger(p) && p >= 0 && p < 7);
      assert.equal(partitionForKey(key, 7), p);
    }
  });
});
