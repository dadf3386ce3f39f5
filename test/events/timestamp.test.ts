import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseTimestamp } from '../../src/events/timestamp.js';

describe('parseTimestamp', () => {
  it('accepts RFC 3339 with Z or a numeric offset, and truncates below the millisecond', () => {
    assert.equal(parseTimestamp('2026-03-05T10:30:00.123Z'), Date.UTC(2026, 2, 5, 10, 30, 0, 123));
    assert.equal(parseTimestamp('2026-03-05T12:30:00.123+02:00'), Date.UTC(2026, 2, 5, 10, 30, 0, 123));
    assert.equal(parseTimestamp('2026-03-05T05:00:00-05:30'), Date.UTC(2026, 2, 5, 10, 30, 0, 0));
    assert.equal(parseTimestamp('2026-03-05T10:30:00.123456789Z'), Date.UTC(2026, 2, 5, 10, 30, 0, 123));
    assert.equal(parseTimestamp('2026-03-05T10:30:00.5Z'), Date.UTC(2026, 2, 5, 10, 30, 0, 500));
    assert.equal(parseTimestamp('2024-02-29T00:00:00Z'), Date.UTC(2024, 1, 29));
  });

  it('rejects a missing zone, numbers, impossible dates and junk', () => {
    for (const bad of ['2026-03-05T10:30:00', '2026-03-05 10:30:00', '1772706600000', '2026-02-29T00:00:00Z', '2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z', '2026-04-31T00:00:00Z', '2026-03-05T24:00:00Z', '2026-03-05T10:60:00Z', '2026-03-05T10:30:60Z', '2026-03-05T10:30:00+24:00', '2026-03-05', '', 'yesterday', '2026-03-05T10:30:00Z ', '2026-03-05T10:30:00.Z']) {
      assert.equal(parseTimestamp(bad), undefined, bad);
    }
  });
});
