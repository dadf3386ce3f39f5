import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { pagerDutySinkSchema } from '../../src/config/sink-schemas.js';
import { alertKeyId } from '../../src/engine/transition.js';
import { createPagerDutySink, PAGERDUTY_ENDPOINTS } from '../../src/sinks/pagerduty.js';
import type { SendContext, Sink } from '../../src/sinks/sink.js';
import { rand } from '../text/samples.js';
import { PagerDutyFake, validateEvent } from '../fakes/pagerduty.js';
import { fired } from '../alerts/helpers.js';
import { alertNotifications, deps, redactionsDuring, withTokenInDescription } from './helpers.js';

const KEY = 'R0UT1NGKEY0123456789abcdefABCDEF';
const first: SendContext = { attempt: 1, possibleRepeat: false };

describe('pagerduty sink against the Events API v2 contract fake', () => {
  let pd: PagerDutyFake;
  let sink: Sink;
  before(async () => {
    pd = await PagerDutyFake.start({ routingKeys: [KEY] });
    sink = createPagerDutySink('pagerduty', pagerDutySinkSchema.parse({ kind: 'pagerduty', endpoint: pd.enqueueUrl, timeout: '2s' }), deps({ PAGERDUTY_ROUTING_KEY: KEY }));
  });
  after(async () => {
    await sink.close();
    await pd.close();
  });
  beforeEach(() => pd.clearFaults());

  it('triggers one incident per detector and key, and resolves it', async () => {
    const tx = { severity: 'critical' as const, detector: 'denial-spike', key: { callerId: 'agent-9' }, count: 31, threshold: 30 };
    const [trigger, resolve] = alertNotifications(tx, Date.UTC(2026, 2, 5, 10));
    assert.deepEqual(await sink.send(trigger!, first), { kind: 'ok' });
    // A repeat (a resend after a crash) lands on the same incident.
    assert.deepEqual(await sink.send(trigger!, { attempt: 2, possibleRepeat: true }), { kind: 'ok' });
    const dedup = `auditwatch-${alertKeyId(fired(0, tx))}`;
    const open = pd.openIncident(dedup);
    assert.ok(open, 'incident open under the derived dedup_key');
    assert.equal(open.triggers, 2);
    assert.equal(open.dedupedTriggers, 1);
    assert.equal(open.severity, 'critical');
    assert.match(open.summary, /^\[CRITICAL\] denial-spike: callerId=agent-9 — 31 > 30 in 1h$/);
    const details = (open.events[0]?.payload as { custom_details: Record<string, unknown> }).custom_details;
    assert.deepEqual({ count: details.count, threshold: details.threshold, window: details.window, windowStart: details.windowStart, key: details.key }, {
      count: 31,
      threshold: 30,
      window: '1h',
      windowStart: '2026-03-05T08:00:00.000Z',
      key: { callerId: 'agent-9' },
    });
    assert.deepEqual(await sink.send(resolve!, first), { kind: 'ok' });
    assert.equal(pd.incidentsFor(dedup).length, 1);
    assert.equal(pd.incidentsFor(dedup)[0]?.status, 'resolved');
    for (const r of pd.requests()) assert.deepEqual(validateEvent(r.json as Record<string, unknown>), []);
  });

  it('screens the rendered event as a last line and counts what it caught under where="pagerduty"', async () => {
    const token = `ghp_${rand(36)}`;
    const n = withTokenInDescription(alertNotifications()[0]!, token);
    const seen = await redactionsDuring(async () => assert.deepEqual(await sink.send(n, first), { kind: 'ok' }));
    const got = JSON.stringify(pd.accepted().at(-1)!.json);
    assert.ok(!got.includes(token) && got.includes('[redacted:github-token]'), got);
    assert.deepEqual(seen, ['pagerduty:github-token:1']);
  });

  it('keeps the summary within 1024 characters and the payload small for 10 KB values', async () => {
    const [trigger] = alertNotifications({ key: { callerId: 'x'.repeat(10_000), tool: '\u202e'.repeat(5000) } });
    assert.deepEqual(await sink.send(trigger!, first), { kind: 'ok' });
    const ev = pd.accepted().at(-1)!.json as { payload: { summary: string } };
    assert.ok([...ev.payload.summary].length <= 1024);
    assert.ok(pd.accepted().at(-1)!.rawBody.length < 8000);
    assert.ok(!ev.payload.summary.includes('\u202e'), 'bidi overrides are made visible');
  });

  it('maps severities and says when a trigger may be a repeat', async () => {
    for (const [sev, want] of [['info', 'info'], ['warning', 'warning'], ['critical', 'critical']] as const) {
      const [n] = alertNotifications({ severity: sev, key: { callerId: `sev-${sev}` } });
      await sink.send(n!, { attempt: 3, possibleRepeat: true });
      const ev = pd.accepted().at(-1)!.json as { payload: { severity: string; custom_details: { possibleRepeat?: string } } };
      assert.equal(ev.payload.severity, want);
      assert.match(ev.payload.custom_details.possibleRepeat ?? '', /Possible repeat/);
    }
  });

  it('classifies answers: 429 (with Retry-After) and 5xx retry, 400 drops', async () => {
    const [n] = alertNotifications();
    pd.rateLimit(12);
    assert.deepEqual(await sink.send(n!, first), { kind: 'retry', reason: 'HTTP 429: {"status":"throttle event","message":"Request Limit Exceeded"}', retryAfterMs: 12_000 });
    pd.rateLimit(12, { omitRetryAfter: true });
    const noHint = await sink.send(n!, first);
    assert.ok(noHint.kind === 'retry' && noHint.retryAfterMs === undefined);
    pd.serverError(503);
    assert.equal((await sink.send(n!, first)).kind, 'retry');
    pd.status(400, {}, { status: 'invalid event', message: 'Event object is invalid', errors: ['x'] });
    assert.equal((await sink.send(n!, first)).kind, 'drop');
  });

  it('uses the US or EU endpoint, and refuses a routing key of the wrong length without printing it', () => {
    assert.equal(PAGERDUTY_ENDPOINTS.us, 'https://events.pagerduty.com/v2/enqueue');
    assert.equal(PAGERDUTY_ENDPOINTS.eu, 'https://events.eu.pagerduty.com/v2/enqueue');
    assert.equal(pagerDutySinkSchema.parse({ kind: 'pagerduty', region: 'eu' }).region, 'eu');
    assert.throws(
      () => createPagerDutySink('pd', pagerDutySinkSchema.parse({ kind: 'pagerduty' }), deps({ PAGERDUTY_ROUTING_KEY: 'tooShortSecretValue' })),
      (err: unknown) => err instanceof Error && /sink "pd": the PagerDuty routing key must be 32 characters/.test(err.message) && !err.message.includes('tooShortSecretValue'),
    );
  });
});
