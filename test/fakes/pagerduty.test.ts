import { describe, it, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { PagerDutyFake } from './pagerduty.js';

const KEY = 'e93facc04764012d7bfb002500d5d1a6'; // 32 chars, the shape of the documented example
const OTHER_KEY = 'f00facc04764012d7bfb002500d5d1a6';

interface Res {
  status: number;
  body: unknown;
  retryAfter: string | null;
}

async function enqueue(url: string, body: unknown, init: { contentType?: string; host?: string } = {}): Promise<Res> {
  const headers: Record<string, string> = { 'content-type': init.contentType ?? 'application/json' };
  const res = await fetch(url, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    // keep text
  }
  return { status: res.status, body: parsed, retryAfter: res.headers.get('retry-after') };
}

function trigger(dedupKey: string | undefined, overrides: Record<string, unknown> = {}, payload: Record<string, unknown> = {}): Record<string, unknown> {
  const ev: Record<string, unknown> = {
    routing_key: KEY,
    event_action: 'trigger',
    payload: {
      summary: 'denied-burst: 5 denied tool calls by repo-bot',
      source: 'auditwatch/prod-eu-1',
      severity: 'critical',
      timestamp: '2025-03-01T10:15:00.000Z',
      component: 'mcp-gateway',
      group: 'github',
      class: 'denied-burst',
      custom_details: { count: 5, window: '1m' },
      ...payload,
    },
    client: 'auditwatch',
    client_url: 'https://auditwatch.example/alerts/1',
    ...overrides,
  };
  if (dedupKey !== undefined) ev.dedup_key = dedupKey;
  return ev;
}

describe('PagerDutyFake: contract', () => {
  let pd: PagerDutyFake;
  before(async () => {
    pd = await PagerDutyFake.start();
  });
  after(async () => {
    await pd.close();
  });
  beforeEach(() => {
    pd.clearRecords();
    pd.clearFaults();
  });

  it('accepts a documented-valid trigger with 202 and echoes the dedup_key', async () => {
    const res = await enqueue(pd.enqueueUrl, trigger('denied-burst/repo-bot'));
    assert.equal(res.status, 202);
    assert.deepEqual(res.body, { status: 'success', message: 'Event processed', dedup_key: 'denied-burst/repo-bot' });
    const [req] = await pd.waitForRequests(1);
    assert.equal(req?.path, '/v2/enqueue');
  });

  it('generates a dedup_key for a trigger without one', async () => {
    const res = await enqueue(pd.enqueueUrl, trigger(undefined));
    assert.equal(res.status, 202);
    const key = (res.body as { dedup_key?: unknown }).dedup_key;
    assert.equal(typeof key, 'string');
    assert.ok(pd.openIncident(key as string));
  });

  it('accepts the PagerDuty example timestamp format (+0000) and the limits themselves', async () => {
    const res = await enqueue(
      pd.enqueueUrl,
      trigger('x'.repeat(255), {}, { summary: 's'.repeat(1024), timestamp: '2015-07-17T08:42:58.315+0000' }),
    );
    assert.equal(res.status, 202, pd.summary());
  });

  it('serves the EU host the same way (only the Host header differs)', async () => {
    const res = await enqueue(pd.enqueueUrl, trigger('eu-key'));
    assert.equal(res.status, 202);
    const [req] = await pd.waitForRequests(1);
    assert.match(String(req?.headers.host), /^127\.0\.0\.1:\d+$/);
  });

  const invalid: [string, unknown, RegExp][] = [
    ['a short routing_key', trigger('k', { routing_key: 'abc' }), /Length of 'routing_key' is incorrect/],
    ['no routing_key', trigger('k', { routing_key: undefined }), /routing_key/],
    ['an unknown event_action', trigger('k', { event_action: 'open' }), /event_action/],
    ['acknowledge without dedup_key', { routing_key: KEY, event_action: 'acknowledge' }, /'dedup_key' is required for acknowledge/],
    ['resolve without dedup_key', { routing_key: KEY, event_action: 'resolve' }, /'dedup_key' is required for resolve/],
    ['a 256-char dedup_key', trigger('d'.repeat(256)), /dedup_key' is longer than 255/],
    ['trigger without payload', { routing_key: KEY, event_action: 'trigger', dedup_key: 'k' }, /'payload' is required/],
    ['a 1025-char summary', trigger('k', {}, { summary: 's'.repeat(1025) }), /summary' is longer than 1024/],
    ['no summary', trigger('k', {}, { summary: undefined }), /summary' is required/],
    ['no source', trigger('k', {}, { source: '' }), /source' is required/],
    ['severity "high"', trigger('k', {}, { severity: 'high' }), /severity' must be one of/],
    ['a non-ISO timestamp', trigger('k', {}, { timestamp: '01/03/2025 10:15' }), /timestamp' must be an ISO 8601/],
    ['custom_details as a string', trigger('k', {}, { custom_details: 'count=5' }), /custom_details' must be an object/],
    ['a numeric component', trigger('k', {}, { component: 5 }), /component' must be a string/],
    ['an unknown payload field', trigger('k', {}, { details: {} }), /unknown property 'payload.details'/],
    ['an unknown top-level field', trigger('k', { incident_key: 'k' }), /unknown property 'incident_key'/],
    ['a link without href', trigger('k', { links: [{ text: 'runbook' }] }), /links\[0\].href' is required/],
  ];
  for (const [name, body, message] of invalid) {
    it(`rejects ${name} with 400 invalid event`, async () => {
      const res = await enqueue(pd.enqueueUrl, JSON.parse(JSON.stringify(body)) as unknown);
      assert.equal(res.status, 400);
      const b = res.body as { status?: unknown; message?: unknown; errors?: unknown[] };
      assert.equal(b.status, 'invalid event');
      assert.equal(b.message, 'Event object is invalid');
      assert.ok(Array.isArray(b.errors) && b.errors.some((e) => message.test(String(e))), JSON.stringify(b.errors));
    });
  }

  it('rejects non-JSON and non-application/json bodies with 400 Unrecognized object', async () => {
    const bad = await enqueue(pd.enqueueUrl, '{"routing_key":');
    assert.equal(bad.status, 400);
    assert.equal((bad.body as { status?: unknown }).status, 'Unrecognized object');
    const form = await enqueue(pd.enqueueUrl, 'routing_key=x', { contentType: 'application/x-www-form-urlencoded' });
    assert.equal(form.status, 400);
  });

  it('answers 404 for other paths (e.g. the v1 generic endpoint)', async () => {
    const res = await enqueue(`${pd.url}/generic/2010-04-15/create_event.json`, trigger('k'));
    assert.equal(res.status, 404);
  });

  it('injects 429 and 5xx as documented (retryable)', async () => {
    pd.rateLimit(2);
    const limited = await enqueue(pd.enqueueUrl, trigger('k'));
    assert.equal(limited.status, 429);
    assert.equal(limited.retryAfter, '2');
    pd.rateLimit(2, { omitRetryAfter: true });
    assert.equal((await enqueue(pd.enqueueUrl, trigger('k'))).retryAfter, null);
    pd.serverError(503);
    const down = await enqueue(pd.enqueueUrl, trigger('k'));
    assert.equal(down.status, 503);
    assert.equal((down.body as { status?: unknown }).status, 'error');
  });
});

describe('PagerDutyFake: alert model', () => {
  let pd: PagerDutyFake;
  beforeEach(async () => {
    pd = await PagerDutyFake.start();
  });
  afterEach(async () => {
    await pd.close();
  });

  it('keeps one alert per dedup key: repeated triggers are deduplicated, resolve closes it', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await enqueue(pd.enqueueUrl, trigger('denied/repo-bot'))).status, 202);
    assert.equal(pd.incidents().length, 1);
    const open = pd.openIncident('denied/repo-bot');
    assert.equal(open?.status, 'triggered');
    assert.equal(open?.triggers, 3);
    assert.equal(open?.dedupedTriggers, 2);

    assert.equal((await enqueue(pd.enqueueUrl, { routing_key: KEY, event_action: 'acknowledge', dedup_key: 'denied/repo-bot' })).status, 202);
    assert.equal(pd.openIncident('denied/repo-bot')?.status, 'acknowledged');
    assert.equal((await enqueue(pd.enqueueUrl, { routing_key: KEY, event_action: 'resolve', dedup_key: 'denied/repo-bot' })).status, 202);
    assert.equal(pd.openIncident('denied/repo-bot'), undefined);
    assert.equal(pd.incidentsFor('denied/repo-bot')[0]?.status, 'resolved');
    assert.deepEqual(pd.stats(), { events: 5, triggers: 3, dedupedTriggers: 2, acknowledges: 1, resolves: 1, dropped: 0 });
  });

  it('opens a new alert when a resolved dedup key triggers again', async () => {
    await enqueue(pd.enqueueUrl, trigger('k1'));
    await enqueue(pd.enqueueUrl, { routing_key: KEY, event_action: 'resolve', dedup_key: 'k1' });
    await enqueue(pd.enqueueUrl, trigger('k1'));
    assert.deepEqual(pd.incidentsFor('k1').map((a) => a.status), ['resolved', 'triggered']);
  });

  it('drops (after 202) acknowledge/resolve for unknown keys or another routing key', async () => {
    await enqueue(pd.enqueueUrl, trigger('k2'));
    assert.equal((await enqueue(pd.enqueueUrl, { routing_key: KEY, event_action: 'resolve', dedup_key: 'nope' })).status, 202);
    assert.equal((await enqueue(pd.enqueueUrl, { routing_key: OTHER_KEY, event_action: 'resolve', dedup_key: 'k2' })).status, 202);
    assert.equal(pd.openIncident('k2')?.status, 'triggered');
    assert.equal(pd.stats().dropped, 2);
  });

  it('can restrict routing keys to known integration keys', async () => {
    const strict = await PagerDutyFake.start({ routingKeys: [KEY] });
    try {
      assert.equal((await enqueue(strict.enqueueUrl, trigger('a'))).status, 202);
      assert.equal((await enqueue(strict.enqueueUrl, trigger('a', { routing_key: OTHER_KEY }))).status, 400);
    } finally {
      await strict.close();
    }
  });

  it('can enforce ~120 events per minute per routing key on an injected clock', async () => {
    let clock = 5_000_000;
    const limited = await PagerDutyFake.start({ enforceRateLimit: true, eventsPerMinute: 3, now: () => clock });
    try {
      for (let i = 0; i < 3; i++) assert.equal((await enqueue(limited.enqueueUrl, trigger(`r${i}`))).status, 202);
      const over = await enqueue(limited.enqueueUrl, trigger('r3'));
      assert.equal(over.status, 429);
      assert.equal(over.retryAfter, '60');
      assert.equal((await enqueue(limited.enqueueUrl, trigger('other', { routing_key: OTHER_KEY }))).status, 202, 'limit is per key');
      clock += 60_001;
      assert.equal((await enqueue(limited.enqueueUrl, trigger('r4'))).status, 202);
      assert.equal(limited.incidents().length, 5);
    } finally {
      await limited.close();
    }
  });
});
