import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEvent } from '../../src/events/audit-event.js';
import { boundKeptFields, exceedsBytes, exceedsDepth, truncateField } from '../../src/events/limits.js';

const nest = (n: number): string => '['.repeat(n) + ']'.repeat(n);

describe('input limits', () => {
  it('measures nesting depth on the text, ignoring brackets inside strings', () => {
    assert.equal(exceedsDepth('{"a":1}', 1), false);
    assert.equal(exceedsDepth('{"a":{"b":[1]}}', 3), false);
    assert.equal(exceedsDepth('{"a":{"b":[1]}}', 2), true);
    assert.equal(exceedsDepth(`{"s":"${'['.repeat(50)}"}`, 2), false);
    assert.equal(exceedsDepth(`{"s":"\\"${'{'.repeat(50)}"}`, 2), false); // escaped quote stays inside the string
    assert.equal(exceedsDepth(`{"a":${nest(32)}}`, 32), true);
    assert.equal(exceedsDepth(`{"a":${nest(31)}}`, 32), false);
    assert.equal(exceedsDepth(`[${'{"a":1},'.repeat(100)}{"a":1}]`, 2), false); // wide, not deep
  });

  it('counts UTF-8 bytes, not characters', () => {
    assert.equal(exceedsBytes('é'.repeat(600), 1000), true);
    assert.equal(exceedsBytes('é'.repeat(500), 1000), false);
    assert.equal(exceedsBytes('a'.repeat(1000), 1000), false);
  });

  it('truncates with a marker, within the limit, never splitting a surrogate pair', () => {
    const long = 'x'.repeat(99) + '😀'.repeat(100);
    for (let max = 64; max < 120; max++) {
      const t = truncateField(long, max);
      assert.ok(t.length <= max, `length ${t.length} > ${max}`);
      assert.match(t, /…\[\+\d+ chars\]$/);
      assert.doesNotMatch(t, /[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    }
    assert.equal(truncateField('short', 64), 'short');
  });

  it('bounds the kept fields of an event and counts how many it cut', () => {
    const e: AuditEvent = { callerId: 'c'.repeat(100), tool: 't', outcome: 'success', timestamp: '', ts: 0, errorType: 'e'.repeat(65), original: { big: 'x'.repeat(1000) } };
    const r = boundKeptFields(e, 64);
    assert.equal(r.truncated, 2);
    assert.ok(r.event.callerId.length <= 64 && (r.event.errorType ?? '').length <= 64);
    assert.equal(r.event.tool, 't');
    assert.equal(r.event.original, e.original); // the decoded message is not cut: the leak detector sees all of it
    const same = boundKeptFields({ ...e, callerId: 'c', errorType: undefined }, 64);
    assert.equal(same.truncated, 0);
  });
});
