import { z } from 'zod';
import { duration, positiveDuration, SINK_NAME, sinkConfigSchema } from '../sink-schemas.js';

const linkSchema = z.strictObject({
  /**
   * Absolute http(s) URL without query or fragment; a link is this URL plus one path segment,
   * `<idPrefix><detector id>`, percent-encoded. Nothing from an event ever goes into a link.
   */
  baseUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).refine((u) => !u.includes('?') && !u.includes('#'), 'baseUrl must not have a query or fragment'),
  idPrefix: z.string().regex(/^[A-Za-z0-9._-]{0,64}$/, 'idPrefix may hold letters, digits, . _ -').default(''),
});

const outboxSchema = z.strictObject({
  /** The append-only delivery log. Relative paths are taken from the working directory. */
  path: z.string().min(1).default('.auditwatch/outbox.jsonl'),
  /** A notification not delivered within this time is given up and reported (never silently). */
  maxAge: positiveDuration.default(24 * 3_600_000),
  /** How long delivered ids are remembered, so a replay of older input is not sent again. */
  retain: positiveDuration.default(7 * 24 * 3_600_000),
  /** `auditwatch run --input`: how long to wait for the outbox to empty at the end of the input. */
  drainTimeout: duration.default(60_000),
  /** fdatasync after each group commit; turn off only on a disposable file system. */
  fsync: z.boolean().default(true),
});

/**
 * The `alerting` section of auditwatch.yaml. Every field is optional: without it, sinks are
 * taken from the environment (SLACK_WEBHOOK_URL, PAGERDUTY_ROUTING_KEY), else the console.
 */
export const alertingSectionSchema = z.strictObject({
  /** routes.yaml; default: <alerts dir>/routes.yaml, else the bundled one. */
  routes: z.string().min(1).optional(),
  /** silences.yaml; default: <alerts dir>/silences.yaml. */
  silences: z.string().min(1).optional(),
  /** Named sinks. When present, only these exist (plus `console`). */
  sinks: z.record(z.string().regex(SINK_NAME, 'sink names are lowercase letters, digits, - and _').max(64), sinkConfigSchema).optional(),
  outbox: outboxSchema.default({ path: '.auditwatch/outbox.jsonl', maxAge: 24 * 3_600_000, retain: 7 * 24 * 3_600_000, drainTimeout: 60_000, fsync: true }),
  /** Links to the equivalent saved queries, shown in Slack messages and PagerDuty events. */
  links: z.strictObject({ datadog: linkSchema.optional(), kibana: linkSchema.optional() }).optional(),
});
export type AlertingSection = z.infer<typeof alertingSectionSchema>;
export type OutboxSection = z.infer<typeof outboxSchema>;
export type LinkConfig = z.infer<typeof linkSchema>;
