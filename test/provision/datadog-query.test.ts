import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Where } from '../../src/config/detectors.js';
import { logAlertQuery, logSearch, logWindow, quoteValue } from '../../src/provision/datadog-query.js';
import { parseLogAlertQuery } from '../fakes/datadog.js';

/**
 * Reads back the subset of the Datadog log search syntax auditwatch writes: space-separated
 * terms, each `@facet:"value"` or `@facet:("a" OR "b")`, or `source:x` / `service:x`.
 */
function readSearch(search: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let i = 0;
  const value = (): string => {
    assert.equal(search[i], '"', `quoted value expected at ${i} of ${search}`);
    i++;
    let v = '';
    while (search[i] !== '"') {
      if (search[i] === '\\') i++;
      assert.ok(i < search.length, 'unterminated value');
      v += search[i];
      i++;
    }
    i++;
    return v;
  };
  while (i < search.length) {
    const colon = search.indexOf(':', i);
    const facet = search.slice(i, colon);
    i = colon + 1;
    if (!facet.startsWith('@')) {
      const end = search.indexOf(' ', i);
      out.set(facet, [search.slice(i, end < 0 ? undefined : end)]);
      i = end < 0 ? search.length : end + 1;
      continue;
    }
    const values: string[] = [];
    if (search[i] === '(') {
      i++;
      values.push(value());
      while (search.startsWith(' OR ', i)) {
        i += 4;
        values.push(value());
      }
      assert.equal(search[i], ')');
      i++;
    } else values.push(value());
    out.set(facet, values);
    if (search[i] === ' ') i++;
  }
  return out;
}

describe('Datadog log search', () => {
  it('quotes values and escapes quotes and backslashes', () => {
    assert.equal(quoteValue('plain'), '"plain"');
    assert.equal(quoteValue('say "hi" \\ there'), '"say \\"hi\\" \\\\ there"');
  });

  it('joins where fields with AND and values with OR, scoped by source and service', () => {
    const where: Where = new Map([
      ['outcome', ['denied', 'error']],
      ['tool', ['exec']],
    ]);
    assert.equal(logSearch(where, { facetPrefix: '@mcp.', source: 'mcp-audit', service: 'gateway' }), 'source:mcp-audit service:gateway @mcp.outcome:("denied" OR "error") @mcp.tool:"exec"');
    assert.equal(logSearch(new Map(), { facetPrefix: '@' }), '*');
  });

  it('round-trips any values through the query string the Datadog fake parses', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 3 }), fc.string({ minLength: 1, maxLength: 20 }), (outcomes, tool) => {
        const where: Where = new Map([
          ['outcome', [...new Set(outcomes)]],
          ['tool', [tool]],
        ]);
        const q = logAlertQuery({ search: logSearch(where, { facetPrefix: '@' }), index: '*', facets: ['@callerId'], window: '1h', threshold: 7 });
        const parsed = parseLogAlertQuery(q);
        assert.ok(typeof parsed !== 'string', String(parsed));
        const back = readSearch(parsed.search);
        assert.deepEqual(back.get('@outcome'), [...new Set(outcomes)]);
        assert.deepEqual(back.get('@tool'), [tool]);
        assert.equal(parsed.threshold, 7);
        assert.equal(parsed.comparator, '>');
      }),
      { numRuns: 300 },
    );
  });

  it('accepts windows of whole minutes up to 48h and names what is wrong otherwise', () => {
    assert.deepEqual(logWindow(3_600_000), { window: '1h' });
    assert.deepEqual(logWindow(90 * 60_000), { window: '90m' });
    assert.deepEqual(logWindow(48 * 3_600_000), { window: '48h' });
    assert.match(String((logWindow(49 * 3_600_000) as { error: string }).error), /longer than the 48h/);
    assert.match(String((logWindow(90_000) as { error: string }).error), /whole number of minutes/);
  });
});
