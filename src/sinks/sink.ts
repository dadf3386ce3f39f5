// The sink interface, and the registry: one explicit `as const` table from sink kind to its
// config schema and constructor (never a lookup by string into the module system).
//
// A sink renders a notification for its receiver (escaped, bounded, screened for secrets) and
// makes ONE attempt to deliver it, answering with a Verdict. It never retries, sleeps or keeps
// delivery state: the outbox does all of that.
import type { Writable } from 'node:stream';
import type { Notification } from '../alerts/notification.js';
import type { SinkMode } from '../alerts/pipeline.js';
import type { LinkConfig } from '../config/sections/alerting.js';
import { consoleSinkSchema, pagerDutySinkSchema, slackSinkSchema, webhookSinkSchema, type SinkConfig } from '../config/sink-schemas.js';
import { createConsoleSink } from './console.js';
import { createPagerDutySink } from './pagerduty.js';
import { createSlackSink } from './slack.js';
import type { Verdict } from './verdict.js';
import { createWebhookSink } from './webhook.js';

export type { Verdict } from './verdict.js';
export { OK, drop, retry } from './verdict.js';

/** Deliveries of this sink that failed for good, told in its next successful message. */
export interface UndeliveredReport {
  readonly count: number;
  /** When the oldest of them was produced (wall clock, epoch ms). */
  readonly oldestAt: number;
  /** Up to three distinct reasons. */
  readonly reasons: readonly string[];
}

export interface SendContext {
  /** 1 for the first attempt. */
  readonly attempt: number;
  /**
   * An earlier attempt may have reached the receiver (auditwatch stopped, or the connection
   * broke, before the answer was recorded). Sinks without an idempotency key say so visibly.
   */
  readonly possibleRepeat: boolean;
  readonly undelivered?: UndeliveredReport;
}

export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

export interface Sink {
  readonly name: string;
  readonly kind: SinkKind;
  /** `group`: gets group messages (Slack); `alert`: one notification per fire/resolve. */
  readonly mode: SinkMode;
  /** Whether deliveries are recorded in the outbox file (the console's are not: nothing to dedupe). */
  readonly durable: boolean;
  /** The receiver's documented rate, or undefined for none. */
  readonly rateLimit: RateLimit | undefined;
  readonly concurrency: number;
  send(n: Notification, ctx: SendContext): Promise<Verdict>;
  close(): Promise<void>;
}

export interface SinkDeps {
  readonly env: NodeJS.ProcessEnv;
  /** Wall clock (webhook signatures carry a timestamp). */
  readonly now: () => number;
  /** Where the console sink writes. */
  readonly stdout: Writable;
  readonly color: boolean;
  readonly links?: { readonly datadog?: LinkConfig; readonly kibana?: LinkConfig };
  /** Called when the last-line secret screen of a rendered payload redacts something. */
  readonly onRedact?: (sink: string, rule: string, count: number) => void;
  /** Width of the detector column of console lines. */
  readonly detectorWidth?: number;
}

type Create<C> = (name: string, config: C, deps: SinkDeps) => Sink;

export const SINK_KINDS = {
  slack: { schema: slackSinkSchema, create: createSlackSink },
  pagerduty: { schema: pagerDutySinkSchema, create: createPagerDutySink },
  webhook: { schema: webhookSinkSchema, create: createWebhookSink },
  console: { schema: consoleSinkSchema, create: createConsoleSink },
} as const satisfies { [K in SinkConfig['kind']]: { schema: unknown; create: Create<Extract<SinkConfig, { kind: K }>> } };

export type SinkKind = keyof typeof SINK_KINDS;

/** Builds a sink from its validated config; secrets are resolved here (SECRET_MISSING names the variable). */
export function createSink(name: string, config: SinkConfig, deps: SinkDeps): Sink {
  switch (config.kind) {
    case 'slack':
      return SINK_KINDS.slack.create(name, config, deps);
    case 'pagerduty':
      return SINK_KINDS.pagerduty.create(name, config, deps);
    case 'webhook':
      return SINK_KINDS.webhook.create(name, config, deps);
    case 'console':
      return SINK_KINDS.console.create(name, config, deps);
  }
}
