// Slack incoming webhook (docs.slack.dev/messaging/sending-messages-using-incoming-webhooks).
// Success is exactly 200 with the body `ok`; anything else is a failure. 429 and 5xx are retried
// (Retry-After honoured by the outbox); 400, 403, 404 and 410 are permanent, and 404/410 mean the
// webhook is gone (the operator is told through the other sinks). Slack has no idempotency key:
// a message resent after a crash says it may be a repeat.
import type { Notification } from '../alerts/notification.js';
import { resolveSecret } from '../config/secret-ref.js';
import type { SlackSinkConfig } from '../config/sink-schemas.js';
import { classify, HttpClient } from './http.js';
import { screenStrings } from './screen.js';
import type { SendContext, Sink, SinkDeps } from './sink.js';
import { renderSlack, type SlackPayload } from './slack-render.js';
import type { Verdict } from './verdict.js';

/**
 * "Posting messages: 1 per second, short bursts >1 allowed" for incoming webhooks
 * (https://docs.slack.dev/apis/web-api/rate-limits). We keep to one per second.
 */
export const SLACK_DEFAULT_RATE = { perSecond: 1, burst: 1 } as const;

export function createSlackSink(name: string, config: SlackSinkConfig, deps: SinkDeps): Sink {
  const owner = `sink "${name}"`;
  const url = resolveSecret(config.webhookUrl, { owner, what: 'Slack incoming webhook URL' }, deps.env);
  const concurrency = config.concurrency ?? 1;
  const client = new HttpClient(url, { owner, what: 'Slack webhook URL', timeoutMs: config.timeout, maxSockets: concurrency });
  const render = (n: Notification, ctx: SendContext): SlackPayload =>
    screenStrings(renderSlack(n, ctx, { maxShown: config.maxAlertsShown, links: deps.links }), (rule, count) => deps.onRedact?.(name, rule, count), 'slack');
  return {
    name,
    kind: 'slack',
    mode: 'group',
    durable: true,
    rateLimit: config.rateLimit ?? SLACK_DEFAULT_RATE,
    concurrency,
    async send(n: Notification, ctx: SendContext): Promise<Verdict> {
      const body = JSON.stringify(render(n, ctx));
      const outcome = await client.post(body, { 'content-type': 'application/json; charset=utf-8' });
      return classify(outcome, deps.now(), (r) => r.status === 200 && r.body.trim() === 'ok');
    },
    close(): Promise<void> {
      client.close();
      return Promise.resolve();
    },
  };
}
