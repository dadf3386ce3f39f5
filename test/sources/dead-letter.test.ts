import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deadLetterRecord, parseDeadLetter } from '../../src/sources/dead-letter.js';
import type { OutRecord, SourceRecord } from '../../src/sources/source.js';

function read(r: OutRecord): SourceRecord {
  return {
    offset: 0,
    key: r.key === null ? null : Buffer.from(r.key),
    value: r.value === null ? null : Buffer.from(r.value),
    headers: Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k, Buffer.from(v)])),
    timestamp: 0,
  };
}

describe('sources/dead-letter', () => {
  const src = { topic: 'mcp-audit', partition: 7, offset: 123_456, timestamp: 1_772_700_000_000 };

  it('keeps reason, position and the original bytes; the key is the source position', () => {
    const value = Buffer.from('{"callerId":');
    const r = deadLetterRecord(4, src, value, { reason: 'not-json', detail: 'not valid JSON' }, 1024);
    assert.equal(r.partition, 3, 'source partition modulo the dead-letter partitions');
    assert.equal(r.key, 'mcp-audit/7/123456');
    const back = parseDeadLetter(read(r));
    assert.deepEqual(back, { reason: 'not-json', detail: 'not valid JSON', source: src, originalBytes: value.length, truncated: false, value });
  });

  it('truncates what is over the limit and says so; a record without value is kept empty', () => {
    const big = Buffer.alloc(10_000, 0x41);
    const back = parseDeadLetter(read(deadLetterRecord(1, src, big, { reason: 'too-large', detail: 'message is larger than 100 bytes' }, 100)));
    assert.equal(back?.value.length, 100);
    assert.equal(back?.originalBytes, 10_000);
    assert.equal(back?.truncated, true);
    const empty = parseDeadLetter(read(deadLetterRecord(1, src, null, { reason: 'not-json', detail: 'empty message (no value)' }, 100)));
    assert.equal(empty?.value.length, 0);
    assert.equal(empty?.originalBytes, 0);
  });

  it('a record without the headers is not a dead letter', () => {
    assert.equal(parseDeadLetter({ offset: 0, key: null, value: Buffer.from('x'), headers: {}, timestamp: 0 }), undefined);
    const r = read(deadLetterRecord(1, src, null, { reason: 'x', detail: 'y' }, 10));
    assert.equal(parseDeadLetter({ ...r, headers: { ...r.headers, 'aw-source-offset': Buffer.from('-1') } }), undefined);
  });
});
