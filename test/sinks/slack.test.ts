import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { slackSinkSchema } from '../../src/config/sink-schemas.js';
import type { Sink, SendContext } from '../../src/sinks/sink.js';
import { createSlackSink } from '../../src/sinks/slack.js';
import type { Notification } from '../../src/alerts/notification.js';
import { rand } from '../text/samples.js';
import { MESSAGE_BUDGET } from '../../src/sinks/slack-render.js';
import { findActiveSlackSyntax, SlackFake, type SlackMessage } from '../fakes/slack.js';
import { alertNotifications, deps, groupNotification, lifecycle, redactionsDuring, withTokenInDescription } from './helpers.js';

const first: SendContext = { attempt: 1, possibleRepeat: false };

function texts(m: SlackMessage): string {
  return JSON.stringify(m.body);
}

describe('slack sink against the Slack webhook contract fake', () => {
  let slack: SlackFake;
  let sink: Sink;
  before(async () => {
    slack = await SlackFake.start();
    sink = createSlackSink('slack', slackSinkSchema.parse({ kind: 'slack', timeout: '2s' }), deps({ SLACK_WEBHOOK_URL: slack.webhookUrl }, { links: { datadog: { baseUrl: 'https://app.datadoghq.com/monitors', idPrefix: 'auditwatch-' }, kibana: { baseUrl: 'https://kibana.example.com/app/discover/view', idPrefix: '' } } }));
  });
  after(async () => {
    await sink.close();
    await slack.close();
  });
  beforeEach(() => {
    slack.clearFaults();
    slack.setChannelState('ok');
  });

  it('posts a Block Kit message Slack accepts, with unfurling off and no active syntax', async () => {
    const v = await sink.send(groupNotification(1), first);
    assert.deepEqual(v, { kind: 'ok' });
    const m = slack.messages().at(-1)!;
    assert.equal(m.unfurlLinks, false);
    assert.equal(m.unfurlMedia, false);
    const body = texts(m);
    for (const want of ['rate-limit-burst', 'warning', 'callerId=caller-0, tool=search', '101 &gt; 100 in 1h', 'Window', '2026-03-05 08:00:00 UTC', '2026-03-05 09:00:00 UTC', 'Caller keeps hitting rate limits']) {
      assert.ok(body.includes(want), `message mentions ${want}: ${body}`);
    }
    assert.deepEqual(findActiveSlackSyntax(m.body, { allow: [/^<https:\/\/(app\.datadoghq\.com\/monitors|kibana\.example\.com\/app\/discover\/view)\/[A-Za-z0-9%._-]+\|(Datadog|Kibana)>$/] }), []);
    assert.ok(body.includes('<https://app.datadoghq.com/monitors/auditwatch-rate-limit-burst|Datadog>'), 'link to the saved query');
  });

  it('screens the rendered payload as a last line and counts what it caught under where="slack"', async () => {
    // A token pasted into a detector description (trusted text, not screened with the event values).
    const token = `ghp_${rand(36)}`;
    const n = withTokenInDescription(groupNotification(1), token);
    const seen = await redactionsDuring(async () => assert.deepEqual(await sink.send(n, first), { kind: 'ok' }));
    const body = texts(slack.messages().at(-1)!);
    assert.ok(!body.includes(token) && body.includes('[redacted:github-token]'), body);
    assert.deepEqual(seen, ['slack:github-token:1']);
  });

  it('lists the top callers and the total for a 500-caller burst, within every limit', async () => {
    const n = groupNotification(500);
    assert.deepEqual(await sink.send(n, first), { kind: 'ok' });
    const m = slack.messages().at(-1)!;
    const body = texts(m);
    assert.match(body, /500 alerts/);
    assert.match(body, /top 10 of 500 by count/);
    assert.match(body, /… and 490 more/);
    assert.ok(body.includes('caller-499'), 'the highest count is listed');
    assert.ok(!body.includes('caller-0,'), 'the lowest is not');
    assert.ok(body.length <= MESSAGE_BUDGET);
  });

  it('makes firing, reminder and resolved messages distinguishable at a glance', async () => {
    const l = lifecycle();
    const headers: string[] = [];
    for (const n of [l.firing, l.reminder, l.resolved]) {
      assert.deepEqual(await sink.send(n, first), { kind: 'ok' });
      const header = slack.messages().at(-1)!.blocks[0] as { text: { text: string } };
      headers.push(header.text.text);
    }
    assert.match(headers[0] ?? '', /^🟠 FIRING/);
    assert.match(headers[1] ?? '', /^🔁 STILL FIRING \(reminder\)/);
    assert.match(headers[2] ?? '', /^✅ RESOLVED/);
  });

  it('marks a possible repeat and tells about earlier undelivered notifications', async () => {
    await sink.send(groupNotification(2), { attempt: 2, possibleRepeat: true, undelivered: { count: 3, oldestAt: Date.UTC(2026, 2, 4), reasons: ['HTTP 503: <!channel> rollup_error'] } });
    const m = slack.messages().at(-1)!;
    assert.match(m.text ?? '', /^\(possible repeat\)/);
    const body = texts(m);
    assert.match(body, /Possible repeat/);
    assert.match(body, /3 earlier notifications to this destination could not be delivered/);
    assert.deepEqual(findActiveSlackSyntax(m.body, { allow: [/^<https:\/\/(app\.datadoghq\.com|kibana\.example\.com)\//] }), [], 'a vendor error text is escaped too');
  });

  it('shows a leak detector\'s evidence', async () => {
    const [n] = alertNotifications({ detector: 'unscrubbed-event' });
    const withEvidence = { ...n!, body: n!.body.type === 'alert' ? { ...n!.body, alert: { ...n!.body.alert, evidence: { path: 'args.apiKey', rule: 'openai-api-key' } } } : n!.body };
    assert.deepEqual(await sink.send(withEvidence, first), { kind: 'ok' });
    const body = texts(slack.messages().at(-1)!);
    assert.match(body, /\*Evidence\*\\nfield args\.\u200b?apiKey matched openai-api-key/);
    // A leak's count (leaking events, threshold 0) is not shown as a streak or a count.
    assert.doesNotMatch(body, /in a row|vs threshold|last event of the streak/);
    assert.match(body, /first leaking event/);
    // In a group message's list, the line says what leaked.
    const group = groupNotification(2, { tx: { detector: 'unscrubbed-event', count: 1, threshold: 0, windowMs: undefined } });
    const leaking = JSON.parse(JSON.stringify(group)) as Notification;
    const items = (leaking.body as { firing?: { top: { evidence?: unknown }[] } }).firing?.top ?? [];
    for (const a of items) a.evidence = { path: 'params.token', rule: 'field-name' };
    assert.deepEqual(await sink.send(leaking, first), { kind: 'ok' });
    const listed = texts(slack.messages().at(-1)!);
    assert.match(listed, /unscrubbed field params\.\u200b?token \(field-name\)/);
    assert.doesNotMatch(listed, /in a row/);
  });

  it('renders a per-alert notification too (e.g. routed by a custom route)', async () => {
    const [trigger, resolve] = alertNotifications({}, Date.UTC(2026, 2, 5, 9, 30));
    assert.deepEqual(await sink.send(trigger!, first), { kind: 'ok' });
    assert.deepEqual(await sink.send(resolve!, first), { kind: 'ok' });
    assert.match(texts(slack.messages().at(-1)!), /after 30m/);
  });

  it('classifies Slack answers: 429 and 5xx retry, 400/403 drop, 404/410 mean the webhook is gone', async () => {
    const n = groupNotification(1);
    slack.rateLimit(7);
    assert.deepEqual(await sink.send(n, first), { kind: 'retry', reason: 'HTTP 429: rate_limited', retryAfterMs: 7000 });
    slack.serverError(500);
    assert.deepEqual(await sink.send(n, first), { kind: 'retry', reason: 'HTTP 500: rollup_error' });
    slack.status(400, { 'Content-Type': 'text/html' }, 'invalid_payload');
    assert.deepEqual(await sink.send(n, first), { kind: 'drop', reason: 'HTTP 400: invalid_payload' });
    slack.setChannelState('action_prohibited');
    assert.deepEqual(await sink.send(n, first), { kind: 'drop', reason: 'HTTP 403: action_prohibited' });
    slack.setChannelState('channel_not_found');
    assert.deepEqual(await sink.send(n, first), { kind: 'drop', reason: 'HTTP 404: channel_not_found', gone: true });
    slack.setChannelState('archived');
    assert.deepEqual(await sink.send(n, first), { kind: 'drop', reason: 'HTTP 410: channel_is_archived', gone: true });
    slack.status(200, { 'Content-Type': 'text/html' }, 'invalid_token');
    const odd = await sink.send(n, first);
    assert.equal(odd.kind, 'drop', 'a 200 without "ok" is not a success');
  });

  it('retries a connection reset and a timeout as possible repeats, and a refused connection as certain', async () => {
    const n = groupNotification(1);
    slack.reset();
    const reset = await sink.send(n, first);
    assert.ok(reset.kind === 'retry' && reset.uncertain === true, JSON.stringify(reset));
    slack.slow(3000);
    const slow = await sink.send(n, first);
    assert.ok(slow.kind === 'retry' && slow.uncertain === true && /no answer from 127\.0\.0\.1:\d+ within 2000 ms/.test(slow.reason), JSON.stringify(slow));
    const down = await SlackFake.start();
    const url = down.webhookUrl;
    await down.close();
    const other = createSlackSink('slack2', slackSinkSchema.parse({ kind: 'slack' }), deps({ SLACK_WEBHOOK_URL: url }));
    const refused = await other.send(n, first);
    assert.ok(refused.kind === 'retry' && refused.uncertain !== true && /ECONNREFUSED/.test(refused.reason), JSON.stringify(refused));
    assert.ok(!refused.reason.includes('/services/'), 'the webhook path (the secret) is never in a reason');
    await other.close();
  });

  it('refuses a plain-http webhook to a remote host and never prints the URL it got', () => {
    const secretUrl = 'http://hooks.example.com/services/T000/B000/abcdefghijklmnop';
    assert.throws(
      () => createSlackSink('slack', slackSinkSchema.parse({ kind: 'slack' }), deps({ SLACK_WEBHOOK_URL: secretUrl })),
      (err: unknown) => err instanceof Error && /sink "slack": the Slack webhook URL must be an https URL/.test(err.message) && !err.message.includes('abcdefghijklmnop'),
    );
    assert.throws(
      () => createSlackSink('slack', slackSinkSchema.parse({ kind: 'slack' }), deps({ SLACK_WEBHOOK_URL: 'not a url abcdefghijklmnop' })),
      (err: unknown) => err instanceof Error && /not a valid URL/.test(err.message) && !err.message.includes('abcdefghijklmnop'),
    );
  });
});
