import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseLine } from '../../src/events/parse.js';

const good = { callerId: 'c-1', tool: 'search', outcome: 'success', timestamp: '2026-03-05T10:30:00.123Z' };
const line = (o: unknown) => JSON.stringify(o);

describe('parseLine', () => {
  it('accepts the canonical event with optional fields and ignores unknown extras', () => {
    const r = parseLine(line({ ...good, sessionId: 's', argsHash: 'h', argsSize: 10, errorType: 'x', durationMs: 1.5, serverVersion: '1.0', host: 'extra', nested: { a: 1 } }));
    assert.ok(r.ok);
    assert.equal(r.event.ts, Date.UTC(2026, 2, 5, 10, 30, 0, 123));
    assert.equal(r.event.argsSize, 10);
    assert.equal((r.event as unknown as Record<string, unknown>).host, undefined);
  });

  const cases: [string, string][] = [
    ['not json', 'not-json'],
    ['[1,2]', 'not-object'],
    ['"str"', 'not-object'],
    ['null', 'not-object'],
    [line({ ...good, callerId: undefined }), 'missing-field:callerId'],
    [line({ ...good, tool: undefined }), 'missing-field:tool'],
    [line({ ...good, outcome: undefined }), 'missing-field:outcome'],
    [line({ ...good, timestamp: undefined }), 'missing-field:timestamp'],
    [line({ ...good, callerId: '' }), 'bad-field:callerId'],
    [line({ ...good, callerId: 7 }), 'bad-field:callerId'],
    [line({ ...good, outcome: 'ok' }), 'bad-field:outcome'],
    [line({ ...good, timestamp: 1772706600000 }), 'bad-field:timestamp'],
    [line({ ...good, timestamp: '2026-03-05T10:30:00' }), 'bad-timestamp'],
    [line({ ...good, timestamp: '2026-02-30T10:30:00Z' }), 'bad-timestamp'],
    [line({ ...good, argsSize: -1 }), 'bad-field:argsSize'],
    [line({ ...good, durationMs: 'fast' }), 'bad-field:durationMs'],
  ];
  for (const [input, reason] of cases) {
    it(`rejects ${input.slice(0, 70)} as ${reason}`, () => {
      const r = parseLine(input);
      assert.equal(r.ok, false);
      if (!r.ok) assert.equal(r.rejection.reason, reason);
    });
  }

  it('rejects a message over the byte limit, counting bytes not characters', () => {
    const big = line({ ...good, tool: 'é'.repeat(600) });
    assert.equal(parseLine(big, 1000).ok, false);
    assert.equal(parseLine(big, 2000).ok, true);
  });

  it('treats __proto__ and constructor keys as plain data', () => {
    const r = parseLine('{"callerId":"__proto__","tool":"constructor","outcome":"denied","timestamp":"2026-03-05T10:30:00Z","__proto__":{"polluted":true}}');
    assert.ok(r.ok);
    assert.equal(r.event.callerId, '__proto__');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('never echoes the offending value in the rejection detail', () => {
    const r = parseLine(line({ ...good, outcome: 'sk-live-SECRETVALUE123' }));
    assert.equal(r.ok, false);
    if (!r.ok) assert.doesNotMatch(r.rejection.detail, /SECRETVALUE/);
  });
});
