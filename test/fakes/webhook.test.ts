import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { WebhookFake, signWebhook, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './webhook.js';

const SECRET = 'whsec-test-0123456789';
let clock = Date.UTC(2025, 2, 1, 10, 15, 0);
const nowSeconds = (): number => Math.floor(clock / 1000);

async function deliver(url: string, raw: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: raw });
  return { status: res.status, body: await res.text() };
}

function signed(raw: string, secret = SECRET, ts = nowSeconds()): Record<string, string> {
  return { [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: signWebhook(secret, ts, raw) };
}

describe('signWebhook', () => {
  it('is HMAC-SHA256 over "<timestamp>.<raw body>", hex, prefixed sha256=', () => {
    const raw = '{"a":1}';
    const expected = createHmac('sha256', 'k').update(`1700000000.${raw}`).digest('hex');
    assert.equal(signWebhook('k', 1700000000, raw), `sha256=${expected}`);
    assert.equal(signWebhook('k', '1700000000', Buffer.from(raw)), `sha256=${expected}`);
  });
});

describe('WebhookFake', () => {
  let hook: WebhookFake;
  before(async () => {
    hook = await WebhookFake.start({ secrets: [SECRET, 'whsec-next'], now: () => clock });
  });
  after(async () => {
    await hook.close();
  });
  beforeEach(() => {
    hook.clearRecords();
    hook.clearFaults();
  });

  const raw = JSON.stringify({ detector: 'denied-burst', key: { principal: 'repo-bot' }, count: 5, at: '2025-03-01T10:15:00Z' });

  it('accepts a correctly signed JSON delivery and records the raw bytes', async () => {
    const res = await deliver(hook.endpointUrl, raw, signed(raw));
    assert.equal(res.status, 200);
    const [req] = await hook.waitForRequests(1);
    assert.equal(req?.bodyText, raw);
    assert.deepEqual(req?.json, JSON.parse(raw));
  });

  it('accepts a signature made with any configured secret (rotation)', async () => {
    assert.equal((await deliver(hook.endpointUrl, raw, signed(raw, 'whsec-next'))).status, 200);
  });

  it('accepts timestamps within the tolerance and rejects stale or future ones with 401', async () => {
    assert.equal((await deliver(hook.endpointUrl, raw, signed(raw, SECRET, nowSeconds() - 300))).status, 200);
    assert.equal((await deliver(hook.endpointUrl, raw, signed(raw, SECRET, nowSeconds() - 301))).status, 401);
    assert.equal((await deliver(hook.endpointUrl, raw, signed(raw, SECRET, nowSeconds() + 301))).status, 401);
    assert.match(hook.rejected()[0]?.reason ?? '', /tolerance/);
  });

  const bad: [string, () => Record<string, string>][] = [
    ['a wrong secret', () => signed(raw, 'not-the-secret')],
    ['a signature over a different body', () => signed(`${raw} `)],
    ['a signature over a different timestamp', () => ({ ...signed(raw), [TIMESTAMP_HEADER]: String(nowSeconds() - 1) })],
    ['no signature header', () => ({ [TIMESTAMP_HEADER]: String(nowSeconds()) })],
    ['no timestamp header', () => ({ [SIGNATURE_HEADER]: signWebhook(SECRET, nowSeconds(), raw) })],
    ['a bare hex signature without sha256=', () => ({ ...signed(raw), [SIGNATURE_HEADER]: signWebhook(SECRET, nowSeconds(), raw).slice(7) })],
    ['upper-case hex', () => ({ ...signed(raw), [SIGNATURE_HEADER]: `sha256=${signWebhook(SECRET, nowSeconds(), raw).slice(7).toUpperCase()}` })],
    ['a millisecond timestamp', () => signed(raw, SECRET, clock)],
  ];
  for (const [name, headers] of bad) {
    it(`rejects ${name} with 401`, async () => {
      const res = await deliver(hook.endpointUrl, raw, headers());
      assert.equal(res.status, 401);
      assert.equal(hook.accepted().length, 0);
    });
  }

  it('checks the signature before parsing: unsigned junk is 401, signed junk is 400', async () => {
    assert.equal((await deliver(hook.endpointUrl, '{oops', {})).status, 401);
    assert.equal((await deliver(hook.endpointUrl, '{oops', signed('{oops'))).status, 400);
  });

  it('rejects other paths (404), methods (405) and content types (415)', async () => {
    assert.equal((await deliver(`${hook.url}/elsewhere`, raw, signed(raw))).status, 404);
    const get = await fetch(hook.endpointUrl);
    assert.equal(get.status, 405);
    await get.text();
    const res = await fetch(hook.endpointUrl, { method: 'POST', headers: { 'content-type': 'text/plain', ...signed(raw) }, body: raw });
    assert.equal(res.status, 415);
    await res.text();
  });

  it('counts replays of the same signed delivery, and can refuse them', async () => {
    const once = JSON.stringify({ detector: 'replay-probe', n: 1 });
    const headers = signed(once);
    const before = hook.replayCount;
    assert.equal((await deliver(hook.endpointUrl, once, headers)).status, 200);
    assert.equal((await deliver(hook.endpointUrl, once, headers)).status, 200, 'recorded, not refused, by default');
    assert.equal(hook.replayCount, before + 1);

    const strict = await WebhookFake.start({ secrets: [SECRET], rejectReplays: true, now: () => clock });
    try {
      assert.equal((await deliver(strict.endpointUrl, once, headers)).status, 200);
      assert.equal((await deliver(strict.endpointUrl, once, headers)).status, 409);
    } finally {
      await strict.close();
    }
  });

  it('injects faults like every fake', async () => {
    hook.serverError(502);
    assert.equal((await deliver(hook.endpointUrl, raw, signed(raw))).status, 502);
    hook.rateLimit(3);
    const limited = await fetch(hook.endpointUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...signed(raw) }, body: raw });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '3');
    await limited.text();
    clock += 1000; // the injected clock is what the tolerance check uses
    assert.equal((await deliver(hook.endpointUrl, raw, signed(raw))).status, 200);
  });
});
