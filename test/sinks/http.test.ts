import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classify, MAX_RETRY_AFTER_MS, parseRetryAfter } from '../../src/sinks/http.js';

const NOW = Date.UTC(2026, 2, 5, 9);
const res = (status: number, body = '', headers: Record<string, string> = {}) => ({ kind: 'response' as const, response: { status, body, headers } });

describe('http helpers', () => {
  it('reads Retry-After as seconds or an HTTP date, capped', () => {
    assert.equal(parseRetryAfter('30', NOW), 30_000);
    assert.equal(parseRetryAfter(new Date(NOW + 90_000).toUTCString(), NOW), 90_000);
    assert.equal(parseRetryAfter(new Date(NOW - 90_000).toUTCString(), NOW), 0);
    assert.equal(parseRetryAfter('999999999', NOW), MAX_RETRY_AFTER_MS);
    assert.equal(parseRetryAfter('soon', NOW), undefined);
    assert.equal(parseRetryAfter(undefined, NOW), undefined);
  });

  it('classifies statuses the way the outbox expects', () => {
    assert.deepEqual(classify(res(202), NOW), { kind: 'ok' });
    assert.deepEqual(classify(res(429, 'slow down', { 'retry-after': '5' }), NOW), { kind: 'retry', reason: 'HTTP 429: slow down', retryAfterMs: 5000 });
    assert.deepEqual(classify(res(503), NOW), { kind: 'retry', reason: 'HTTP 503' });
    assert.deepEqual(classify(res(408), NOW), { kind: 'retry', reason: 'HTTP 408' });
    assert.deepEqual(classify(res(410, 'gone'), NOW), { kind: 'drop', reason: 'HTTP 410: gone', gone: true });
    assert.deepEqual(classify(res(401), NOW), { kind: 'drop', reason: 'HTTP 401' });
    assert.deepEqual(classify(res(302), NOW), { kind: 'drop', reason: 'HTTP 302' });
    assert.deepEqual(classify({ kind: 'error', reason: 'ECONNRESET', sent: true }, NOW), { kind: 'retry', reason: 'ECONNRESET', uncertain: true });
    const long = classify(res(500, `<html>${'x'.repeat(5000)}\u001b[2J</html>`), NOW);
    assert.ok(long.kind === 'retry' && long.reason.length < 140 && !long.reason.includes('\u001b'));
  });
});
