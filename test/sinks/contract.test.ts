// One contract suite that every HTTP sink runs against its vendor fake: the outbox relies on
// these verdicts being the same whatever the sink.
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import type { Notification } from '../../src/alerts/notification.js';
import { pagerDutySinkSchema, slackSinkSchema, webhookSinkSchema } from '../../src/config/sink-schemas.js';
import { createPagerDutySink } from '../../src/sinks/pagerduty.js';
import type { Sink, Verdict } from '../../src/sinks/sink.js';
import { createSlackSink } from '../../src/sinks/slack.js';
import { createWebhookSink } from '../../src/sinks/webhook.js';
import type { HttpFake } from '../fakes/http-fake.js';
import { PagerDutyFake } from '../fakes/pagerduty.js';
import { SlackFake } from '../fakes/slack.js';
import { WebhookFake } from '../fakes/webhook.js';
import { alertNotifications, deps, groupNotification } from './helpers.js';

const PD_KEY = 'PDKEYsecret0123456789abcdefABCDE';
const HOOK_SECRET = 'hook-secret-value-0123456789';

interface Case {
  readonly name: string;
  start(): Promise<{ fake: HttpFake; sink: Sink; secrets: string[]; notification: Notification }>;
}

const cases: Case[] = [
  {
    name: 'slack',
    async start() {
      const fake = await SlackFake.start();
      const sink = createSlackSink('slack', slackSinkSchema.parse({ kind: 'slack', timeout: '1s' }), deps({ SLACK_WEBHOOK_URL: fake.webhookUrl }));
      return { fake, sink, secrets: [fake.webhookPath, 'XXXXXXXXXXXXXXXXXXXXXXXX'], notification: groupNotification(3) };
    },
  },
  {
    name: 'pagerduty',
    async start() {
      const fake = await PagerDutyFake.start();
      const sink = createPagerDutySink('pagerduty', pagerDutySinkSchema.parse({ kind: 'pagerduty', endpoint: fake.enqueueUrl, timeout: '1s' }), deps({ PAGERDUTY_ROUTING_KEY: PD_KEY }));
      return { fake, sink, secrets: [PD_KEY], notification: alertNotifications()[0]! };
    },
  },
  {
    name: 'webhook',
    async start() {
      const fake = await WebhookFake.start({ secrets: [HOOK_SECRET] });
      const sink = createWebhookSink('hook', webhookSinkSchema.parse({ kind: 'webhook', url: fake.endpointUrl, timeout: '1s' }), deps({ AUDITWATCH_WEBHOOK_SECRET: HOOK_SECRET }));
      return { fake, sink, secrets: [HOOK_SECRET], notification: alertNotifications()[0]! };
    },
  },
];

for (const c of cases) {
  describe(`sink contract: ${c.name}`, () => {
    let fake: HttpFake;
    let sink: Sink;
    let secrets: string[];
    let n: Notification;
    const seen: Verdict[] = [];
    const send = async (possibleRepeat = false): Promise<Verdict> => {
      const v = await sink.send(n, { attempt: 1, possibleRepeat });
      seen.push(v);
      return v;
    };
    before(async () => {
      ({ fake, sink, secrets, notification: n } = await c.start());
    });
    after(async () => {
      await sink.close();
      await fake.close();
      // No verdict reason (they end up in logs and in later messages) ever carries a secret.
      for (const v of seen) for (const s of secrets) assert.ok(!JSON.stringify(v).includes(s), `${c.name}: a verdict leaked a secret: ${JSON.stringify(v)}`);
    });
    beforeEach(() => fake.clearFaults());

    it('answers ok when the receiver accepts, and the receiver saw a valid request', async () => {
      assert.deepEqual(await send(), { kind: 'ok' });
      assert.equal(fake.accepted().length, 1, fake.summary());
      assert.equal(fake.rejected().length, 0, fake.summary());
    });

    it('asks to retry on 5xx, on 429 (with the receiver\'s Retry-After) and on network failures', async () => {
      fake.serverError(502);
      assert.equal((await send()).kind, 'retry');
      fake.rateLimit(3);
      const limited = await send();
      assert.ok(limited.kind === 'retry' && limited.retryAfterMs === 3000, JSON.stringify(limited));
      fake.reset();
      const reset = await send();
      assert.ok(reset.kind === 'retry' && reset.uncertain === true, JSON.stringify(reset));
      fake.slow(1500);
      const slow = await send();
      assert.ok(slow.kind === 'retry' && slow.uncertain === true, JSON.stringify(slow));
    });

    it('drops on a permanent refusal, and flags 404/410 as gone', async () => {
      fake.status(400, {}, 'bad');
      const bad = await send();
      assert.ok(bad.kind === 'drop' && bad.gone !== true, JSON.stringify(bad));
      fake.status(410, {}, 'gone');
      const gone = await send();
      assert.ok(gone.kind === 'drop' && gone.gone === true, JSON.stringify(gone));
    });

    it('sends the same payload shape when the attempt may be a repeat', async () => {
      assert.deepEqual(await send(true), { kind: 'ok' });
      assert.ok(fake.accepted().at(-1)!.bodyText.length > 0);
    });
  });
}
