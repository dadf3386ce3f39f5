import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ackRecord, ackTombstone, compressPayload, decodeRef, encodeRef, snapshotRecords, StateScanner, type CheckpointRef } from '../../src/sources/checkpoint.js';
import type { OutRecord, SourceRecord } from '../../src/sources/source.js';
import { isAuditwatchError } from '../../src/errors.js';

/** What a consumer would read back: offsets from `base`, headers as Buffers. */
function asRead(records: readonly OutRecord[], base = 100): SourceRecord[] {
  return records.map((r, i) => ({
    offset: base + i,
    key: r.key === null ? null : Buffer.from(r.key),
    value: r.value === null ? null : Buffer.from(r.value),
    headers: Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k, Buffer.from(v)])),
    timestamp: 0,
  }));
}

const ref = (id: string, over: Partial<CheckpointRef> = {}): CheckpointRef => ({ v: 1, stateOffset: 100, slot: 0, id, streamTime: 1_700_000_000_000, chunks: [0, 0], ...over });

describe('sources/checkpoint', () => {
  it('commit metadata round-trips, stays well under 4 KiB, and anything else is "not ours"', () => {
    const r = ref('0123456789abcdef', { slot: 1, chunks: [3, 12] });
    const text = encodeRef(r);
    assert.ok(text.length < 512);
    assert.deepEqual(decodeRef(text), r);
    for (const foreign of [null, '', 'hello', '{"v":2}', JSON.stringify({ ...r, id: 'NOT HEX' }), JSON.stringify({ ...r, extra: 1 })]) assert.equal(decodeRef(foreign), undefined);
  });

  it('a large snapshot is cut into chunks under the limit and put back together exactly', async () => {
    const value = { keys: Array.from({ length: 20_000 }, (_, i) => ({ v: [`caller-${i}`, randomBytes(8).toString('hex')], t: [i, i + 1, i + 2] })) };
    const payload = await compressPayload(value);
    const records = snapshotRecords(4, 1, 'aabbccddeeff0011', payload, 64 * 1024, 0);
    assert.ok(records.length > 2, 'several chunks');
    for (const r of records) {
      assert.ok((r.value?.length ?? 0) <= 64 * 1024);
      assert.equal(r.partition, 4);
      assert.match(String(r.key), /^s\/4\/1\/\d+$/);
    }
    const scanner = new StateScanner('state', 4, ref('aabbccddeeff0011', { slot: 1 }));
    // Interleaved with an ack, an older snapshot's chunk and a tombstone; a chunk written twice.
    const read = asRead([ackRecord(4, { v: 1, id: '12:abc', offset: 12 }), ...records, records[0] as OutRecord, ackTombstone(4, 'x')]);
    scanner.add(read);
    scanner.add(asRead(snapshotRecords(4, 0, '9999999999999999', await compressPayload({ other: true }), 64 * 1024, 0), 900));
    const scan = await scanner.finish();
    assert.deepEqual(scan.snapshot, value);
    assert.deepEqual([...scan.delivered], [['12:abc', 12]]);
  });

  it('a smaller snapshot tombstones the chunks its slot held before', async () => {
    const records = snapshotRecords(0, 0, 'aabbccddeeff0011', await compressPayload({ a: 1 }), 1024, 5);
    assert.deepEqual(
      records.map((r) => [r.key, r.value === null]),
      [
        ['s/0/0/0', false],
        ['s/0/0/1', true],
        ['s/0/0/2', true],
        ['s/0/0/3', true],
        ['s/0/0/4', true],
      ],
    );
  });

  it('a missing chunk or snapshot is a KAFKA error naming the partition, offset and snapshot', async () => {
    const records = snapshotRecords(2, 0, 'aabbccddeeff0011', randomBytes(5000), 1024, 0);
    const scanner = new StateScanner('aw-state', 2, ref('aabbccddeeff0011'));
    scanner.add(asRead(records.filter((_, i) => i !== 2)));
    await assert.rejects(scanner.finish(), (err: unknown) => isAuditwatchError(err, 'KAFKA') && /missing from aw-state at offset 100 \(found 4 of 5 chunks\)/.test(err.message) && err.context.partition === 2);
    await assert.rejects(new StateScanner('aw-state', 2, ref('0000000000000000')).finish(), /missing/);
  });

  it('unreadable records are skipped and counted, never thrown', async () => {
    const scanner = new StateScanner('s', 0, ref('aabbccddeeff0011'));
    scanner.add([
      { offset: 1, key: null, value: Buffer.from('{not json'), headers: { 'aw-kind': Buffer.from('delivered') }, timestamp: 0 },
      { offset: 2, key: null, value: Buffer.from('x'), headers: { 'aw-kind': Buffer.from('snapshot'), 'aw-meta': Buffer.from('{"v":1}') }, timestamp: 0 },
      ...asRead(snapshotRecords(0, 0, 'aabbccddeeff0011', await compressPayload([1, 2, 3]), 1024, 0), 3),
    ]);
    assert.equal(scanner.skipped, 2);
    assert.deepEqual((await scanner.finish()).snapshot, [1, 2, 3]);
  });
});
