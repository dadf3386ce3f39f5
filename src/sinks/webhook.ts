// Generic JSON webhook with an HMAC-SHA256 signature (scheme in test/fakes/CONTRACTS.md):
//   X-Auditwatch-Timestamp: <unix seconds>
//   X-Auditwatch-Signature: sha256=<hex HMAC-SHA256(secret, `${timestamp}.${rawBody}`)>
// Receivers recompute over the raw body, compare in constant time and refuse old timestamps.
// X-Auditwatch-Delivery carries the notification id: it is the same on every attempt, so a
// receiver can drop a repeat.
import { createHmac } from 'node:crypto';
import type { Notification } from '../alerts/notification.js';
import { resolveSecret } from '../config/secret-ref.js';
import type { WebhookSinkConfig } from '../config/sink-schemas.js';
import { Secret } from '../text/secret.js';
import { classify, HttpClient } from './http.js';
import { screenStrings } from './screen.js';
import type { SendContext, Sink, SinkDeps } from './sink.js';
import { OK, type Verdict } from './verdict.js';

export const SIGNATURE_HEADER = 'x-auditwatch-signature';
export const TIMESTAMP_HEADER = 'x-auditwatch-timestamp';
export const DELIVERY_HEADER = 'x-auditwatch-delivery';

export function sign(secret: Secret, timestamp: number, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret.reveal()).update(`${timestamp}.`).update(rawBody).digest('hex')}`;
}

/** The documented JSON document (version 1). */
export function renderWebhook(n: Notification, ctx: SendContext, sink: string): Record<string, unknown> {
  return {
    version: 1,
    id: n.id,
    sink,
    severity: n.severity,
    createdAt: new Date(n.createdAt).toISOString(),
    attempt: ctx.attempt,
    possibleRepeat: ctx.possibleRepeat,
    notification: n.body,
    ...(ctx.undelivered === undefined ? {} : { undelivered: ctx.undelivered }),
  };
}

export function createWebhookSink(name: string, config: WebhookSinkConfig, deps: SinkDeps): Sink {
  const owner = `sink "${name}"`;
  const url = typeof config.url === 'string' ? new Secret(config.url) : resolveSecret(config.url, { owner, what: 'webhook URL' }, deps.env);
  const key = resolveSecret(config.secret, { owner, what: 'webhook signing secret' }, deps.env);
  const concurrency = config.concurrency ?? 16;
  const client = new HttpClient(url, { owner, what: 'webhook URL', timeoutMs: config.timeout, maxSockets: concurrency });
  return {
    name,
    kind: 'webhook',
    mode: config.grouped ? 'group' : 'alert',
    durable: true,
    rateLimit: config.rateLimit,
    concurrency,
    async send(n: Notification, ctx: SendContext): Promise<Verdict> {
      const body = JSON.stringify(screenStrings(renderWebhook(n, ctx, name), (rule, c) => deps.onRedact?.(name, rule, c), 'webhook'));
      const ts = Math.floor(deps.now() / 1000);
      const outcome = await client.post(body, {
        'content-type': 'application/json',
        [TIMESTAMP_HEADER]: String(ts),
        [SIGNATURE_HEADER]: sign(key, ts, body),
        [DELIVERY_HEADER]: n.id,
      });
      // 409 is the receiver refusing a replay of a (timestamp, signature) it has already
      // accepted: it has this notification.
      if (outcome.kind === 'response' && outcome.response.status === 409) return OK;
      return classify(outcome, deps.now());
    },
    close(): Promise<void> {
      client.close();
      return Promise.resolve();
    },
  };
}
