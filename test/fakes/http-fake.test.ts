import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { HttpFake, accept, reject, type RecordedRequest, type Verdict } from './http-fake.js';

/** Minimal vendor: accepts POST /ok with a JSON body, rejects everything else. */
class EchoFake extends HttpFake {
  static async start(): Promise<EchoFake> {
    return new EchoFake().listen();
  }
  private constructor() {
    super();
  }
  protected handle(req: RecordedRequest): Verdict {
    if (req.path !== '/ok') return reject(404, `no route ${req.path}`, 'nope');
    if (req.jsonError !== undefined) return reject(400, `bad json: ${req.jsonError}`, 'bad');
    return accept(200, { echo: req.json });
  }
}

async function post(url: string, body: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' }, ...init });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('HttpFake', () => {
  let fake: EchoFake;
  before(async () => {
    fake = await EchoFake.start();
  });
  after(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.clearFaults();
    fake.clearRecords();
  });

  it('binds to 127.0.0.1 on an ephemeral port', () => {
    assert.match(fake.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(fake.url, 'http://127.0.0.1:0');
  });

  it('records method, path, query, headers, raw body, parsed JSON and time', async () => {
    const before = Date.now();
    const res = await post(`${fake.url}/ok?a=1&b=two`, '{"x":1}', { headers: { 'content-type': 'application/json', 'x-probe': 'yes' } });
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.text), { echo: { x: 1 } });
    const [rec] = await fake.waitForRequests(1);
    assert.ok(rec);
    assert.equal(rec.method, 'POST');
    assert.equal(rec.path, '/ok');
    assert.equal(rec.url, '/ok?a=1&b=two');
    assert.equal(rec.query.get('b'), 'two');
    assert.equal(rec.headers['x-probe'], 'yes');
    assert.equal(rec.rawBody.toString(), '{"x":1}');
    assert.deepEqual(rec.json, { x: 1 });
    assert.ok(rec.receivedAt >= before && rec.receivedAt <= Date.now());
    assert.equal(rec.outcome, 'accepted');
  });

  it('separates accepted from rejected requests and keeps the reason', async () => {
    await post(`${fake.url}/ok`, '{}');
    await post(`${fake.url}/elsewhere`, '{}');
    await post(`${fake.url}/ok`, '{not json');
    await fake.waitForRequests(3, { outcome: 'any' });
    assert.equal(fake.accepted().length, 1);
    assert.deepEqual(
      fake.rejected().map((r) => r.reason?.split(':')[0]),
      ['no route /elsewhere', 'bad json'],
    );
  });

  it('waitForRequests rejects at its deadline with a summary of what arrived', async () => {
    await post(`${fake.url}/elsewhere`, '{}');
    await assert.rejects(fake.waitForRequests(1, { timeoutMs: 50 }), /timed out after 50 ms .*#\d+ POST \/elsewhere -> rejected 404/);
  });

  it('waitForRequests resolves on arrival, not on a timer', async () => {
    const waiting = fake.waitForRequests(2, { timeoutMs: 10_000 });
    const t0 = Date.now();
    await post(`${fake.url}/ok`, '{}');
    await post(`${fake.url}/ok`, '{}');
    const got = await waiting;
    assert.equal(got.length, 2);
    assert.ok(Date.now() - t0 < 5000, 'should resolve on arrival, long before the deadline');
  });

  it('status() answers the next request with the given status, headers and body, then stops', async () => {
    const handle = fake.status(418, { 'X-Teapot': '1' }, { short: 'stout' });
    const first = await post(`${fake.url}/ok`, '{}');
    assert.equal(first.status, 418);
    assert.equal(first.headers.get('x-teapot'), '1');
    assert.deepEqual(JSON.parse(first.text), { short: 'stout' });
    assert.equal(handle.hits, 1);
    assert.equal(handle.remaining, 0);
    const second = await post(`${fake.url}/ok`, '{}');
    assert.equal(second.status, 200);
    assert.equal(fake.faulted().length, 1);
    assert.equal(fake.faulted()[0]?.fault, 'status');
  });

  it('faults can cover N requests or only requests matching a predicate', async () => {
    fake.serverError(503, { times: 2 });
    fake.status(409, undefined, 'conflict', { when: (r) => r.query.get('pick') === 'me', times: Infinity });
    assert.equal((await post(`${fake.url}/ok`, '{}')).status, 503);
    assert.equal((await post(`${fake.url}/ok`, '{}')).status, 503);
    assert.equal((await post(`${fake.url}/ok`, '{}')).status, 200);
    assert.equal((await post(`${fake.url}/ok?pick=me`, '{}')).status, 409);
    assert.equal((await post(`${fake.url}/ok?pick=me`, '{}')).status, 409);
    assert.equal((await post(`${fake.url}/ok`, '{}')).status, 200);
  });

  it('rateLimit() answers 429 with Retry-After', async () => {
    fake.rateLimit(7);
    const res = await post(`${fake.url}/ok`, '{}');
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '7');
  });

  it('slow() holds the response with a server-side timer, then answers normally', async () => {
    fake.slow(150);
    const t0 = Date.now();
    const res = await post(`${fake.url}/ok`, '{}');
    assert.equal(res.status, 200);
    assert.ok(Date.now() - t0 >= 140, 'response came back too early');
    assert.equal(fake.accepted()[0]?.delayedMs, 150);
  });

  it('slow() lets a client-side timeout fire', async () => {
    fake.slow(60_000);
    const pending = post(`${fake.url}/ok`, '{}', { signal: AbortSignal.timeout(500) });
    // The request is in and held (so it cannot leak into the next test) before the client gives up.
    await fake.waitFor(() => fake.requests().length === 1, { timeoutMs: 5000 });
    await assert.rejects(pending, (err: Error) => err.name === 'TimeoutError');
  });

  it('slow() combines with a response fault', async () => {
    fake.slow(50);
    fake.serverError(502);
    const res = await post(`${fake.url}/ok`, '{}');
    assert.equal(res.status, 502);
    assert.equal(fake.faulted()[0]?.delayedMs, 50);
  });

  it('reset() destroys the socket without a response', async () => {
    fake.reset();
    await assert.rejects(post(`${fake.url}/ok`, '{}'), (err: Error) => err instanceof TypeError && /fetch failed/.test(err.message));
    assert.equal(fake.faulted()[0]?.fault, 'reset');
    assert.equal((await post(`${fake.url}/ok`, '{}')).status, 200);
  });

  it('down() refuses connections until up()', async () => {
    await fake.down();
    assert.equal(fake.isDown, true);
    // A pooled keep-alive connection may first fail as "other side closed"; a fresh one is refused.
    const failure = await post(`${fake.url}/ok`, '{}').then(
      () => 'answered',
      (err: Error & { cause?: { code?: string; message?: string } }) => err.cause?.code ?? err.cause?.message ?? err.message,
    );
    assert.match(failure, /ECONNREFUSED|UND_ERR_SOCKET|ECONNRESET/);
    await assert.rejects(post(`${fake.url}/ok`, '{}'), (err: Error & { cause?: { code?: string } }) => err.cause?.code === 'ECONNREFUSED');
    await fake.up();
    assert.equal((await post(`${fake.url}/ok`, '{}')).status, 200);
  });

  it('a fault handle can be cancelled before it fires', async () => {
    const h = fake.serverError(500, { times: Infinity });
    h.cancel();
    assert.equal((await post(`${fake.url}/ok`, '{}')).status, 200);
    assert.equal(h.hits, 0);
  });
});

describe('HttpFake.close', () => {
  it('rejects pending waits and releases held requests', async () => {
    const fake = await EchoFake.start();
    fake.slow(60_000);
    const inFlight = post(`${fake.url}/ok`, '{}').then(
      () => 'answered',
      () => 'failed',
    );
    const waiting = fake.waitForRequests(1, { timeoutMs: 60_000 });
    await fake.waitFor(() => fake.requests().length === 1, { timeoutMs: 2000 });
    await fake.close();
    await assert.rejects(waiting, /fake closed/);
    assert.equal(await inFlight, 'failed');
  });
});
