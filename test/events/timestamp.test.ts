import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
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

describe('parseTimestamp against Date', () => {
  it('agrees with Date for every valid instant, any offset and fraction length', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('0001-01-02T00:00:00Z'), max: new Date(Date.UTC(9998, 11, 31, 23, 59, 59)), noInvalidDate: true }),
        fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
        fc.integer({ min: 0, max: 9 }),
        (d, offset, fracDigits) => {
          const local = new Date(d.getTime() + offset * 60_000);
          const iso = local.toISOString();
          const base = iso.slice(0, 19);
          const frac = fracDigits === 0 ? '' : '.' + (iso.slice(20, 23) + '123456').slice(0, fracDigits);
          const sign = offset < 0 ? '-' : '+';
          const abs = Math.abs(offset);
          const zone = offset === 0 && fracDigits % 2 === 0 ? 'Z' : `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          const msPart = fracDigits === 0 ? 0 : Number((iso.slice(20, 23) + '123456').slice(0, Math.min(3, fracDigits)).padEnd(3, '0'));
          const expected = Date.parse(base + 'Z') + msPart - offset * 60_000;
          assert.equal(parseTimestamp(base + frac + zone), expected, base + frac + zone);
        },
      ),
      { numRuns: 3000, seed: 3 },
    );
  });

  it('handles year 0, century leap rules and the epoch exactly', () => {
    for (const iso of ['0000-01-01T00:00:00.000Z', '0000-02-29T12:00:00.000Z', '0000-03-01T00:00:00.000Z', '1900-03-01T00:00:00.000Z', '2000-02-29T23:59:59.999Z', '1970-01-01T00:00:00.000Z', '1969-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z']) {
      assert.equal(parseTimestamp(iso), Date.parse(iso), iso);
    }
    assert.equal(parseTimestamp('1900-02-29T00:00:00Z'), undefined);
  });

  it('never throws on arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 40 }), (s) => {
      const v = parseTimestamp(s);
      assert.ok(v === undefined || Number.isFinite(v));
    }), { numRuns: 3000, seed: 4 });
  });
});
