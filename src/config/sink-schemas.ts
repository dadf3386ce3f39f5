// Schemas of the sinks declared under `alerting.sinks` in auditwatch.yaml, one per sink kind.
// They live in config/ (config may not import sinks/); sinks/sink.ts pairs each with its
// `create` function in the registry table.
import { z } from 'zod';
import { secretRefSchema } from './secret-ref.js';
import { durationSchema } from './duration-schema.js';

/** "30s", "15m"... → milliseconds (positive). */
export const positiveDuration = durationSchema(1, { example: '30s' });

/** A duration that may be zero ("0s": e.g. groupWait 0 sends at once). */
export const duration = durationSchema(0, { example: '30s' });

export const rateLimitSchema = z.strictObject({
  /** Sustained requests per second. */
  perSecond: z.number().positive().max(100_000),
  /** Requests allowed back to back before the rate applies. */
  burst: z.number().int().min(1).max(100_000).default(1),
});
export type RateLimitConfig = z.infer<typeof rateLimitSchema>;

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

const common = {
  /** Override the documented rate of the vendor (see each sink's defaults). */
  rateLimit: rateLimitSchema.optional(),
  /** Requests in flight at once. */
  concurrency: z.number().int().min(1).max(1024).optional(),
  /** Time allowed for one HTTP request, connect to last byte of the answer. */
  timeout: positiveDuration.default(10_000),
};

export const slackSinkSchema = z.strictObject({
  kind: z.literal('slack'),
  /** The incoming webhook URL is the credential itself. */
  webhookUrl: secretRefSchema.default({ env: 'SLACK_WEBHOOK_URL' }),
  /** How many alerts of a group the message lists by name (the total is always shown). */
  maxAlertsShown: z.number().int().min(1).max(20).default(10),
  ...common,
});

export const pagerDutySinkSchema = z.strictObject({
  kind: z.literal('pagerduty'),
  routingKey: secretRefSchema.default({ env: 'PAGERDUTY_ROUTING_KEY' }),
  /** PagerDuty keeps US and EU accounts on different hosts. */
  region: z.enum(['us', 'eu']).default('us'),
  /** Full events endpoint; overrides `region` (tests point it at a local receiver). */
  endpoint: httpUrl.optional(),
  /** `payload.source` of every event. */
  source: z.string().min(1).max(255).default('auditwatch'),
  ...common,
});

export const webhookSinkSchema = z.strictObject({
  kind: z.literal('webhook'),
  /** A URL can carry a token in its path or query, so it may come from a secret too. */
  url: z.union([httpUrl, secretRefSchema]),
  /** HMAC-SHA256 key for the X-Auditwatch-Signature header. */
  secret: secretRefSchema.default({ env: 'AUDITWATCH_WEBHOOK_SECRET' }),
  /** One JSON document per group flush (true) or per alert transition (false, default). */
  grouped: z.boolean().default(false),
  ...common,
});

export const consoleSinkSchema = z.strictObject({
  kind: z.literal('console'),
});

export const sinkConfigSchema = z.discriminatedUnion('kind', [slackSinkSchema, pagerDutySinkSchema, webhookSinkSchema, consoleSinkSchema]);
export type SinkConfig = z.infer<typeof sinkConfigSchema>;
export type SlackSinkConfig = z.infer<typeof slackSinkSchema>;
export type PagerDutySinkConfig = z.infer<typeof pagerDutySinkSchema>;
export type WebhookSinkConfig = z.infer<typeof webhookSinkSchema>;
export type ConsoleSinkConfig = z.infer<typeof consoleSinkSchema>;

export const SINK_NAME = /^[a-z0-9]+(?:[-_][a-z0-9]+)*$/;
