import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Dispatcher } from 'undici';
import { classify, HttpClient, MAX_RETRY_AFTER_MS, parseRetryAfter, type PostDispatcher } from '../../src/sinks/http.js';
import { Secret } from '../../src/text/secret.js';

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

/** Holds every request it is given, in whatever state the test moves it to (undici's handler order). */
class HeldDispatcher implements PostDispatcher {
  readonly held: Dispatcher.DispatchHandlers[] = [];
  dispatch(_options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandlers): boolean {
    this.held.push(handler);
    return true;
  }
  destroy(): Promise<void> {
    return Promise.resolve();
  }
}

describe('http client attempt timeout', () => {
  const client = (d: PostDispatcher) => new HttpClient(new Secret('http://127.0.0.1:9/services/T000/B000/secretpath'), { owner: 'sink "t"', what: 'webhook URL', timeoutMs: 25, maxSockets: 1, dispatcher: d });

  it('a request that times out while still queued is reported as not sent, and never leaves once a connection frees up', async () => {
    const d = new HeldDispatcher();
    const outcome = await client(d).post('{}', {});
    assert.deepEqual(outcome, { kind: 'error', reason: 'no answer from 127.0.0.1:9 within 25 ms', sent: false });
    // undici now hands it a connection: it must be aborted before a byte is written.
    let aborted = 0;
    d.held[0]?.onConnect?.(() => aborted++);
    assert.equal(aborted, 1);
  });

  it('a request that timed out after it was written is reported as possibly received, and aborted', async () => {
    const d = new HeldDispatcher();
    const pending = client(d).post('{}', {});
    let aborted = 0;
    const h = d.held[0] as Dispatcher.DispatchHandlers & { onRequestSent(): void };
    h.onConnect?.(() => aborted++);
    h.onRequestSent();
    assert.equal(aborted, 0);
    const outcome = await pending;
    assert.deepEqual(outcome, { kind: 'error', reason: 'no answer from 127.0.0.1:9 within 25 ms', sent: true });
    assert.equal(aborted, 1);
    assert.ok(!JSON.stringify(outcome).includes('secretpath'));
  });
});
