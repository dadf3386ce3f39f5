// The `ops` section of auditwatch.yaml: how auditwatch itself is observed and what it runs on a
// schedule. Health and metrics share one HTTP listener; logs are JSON lines on stderr (or a
// readable form for people); the dead-man's switch and the daily digest are cron jobs.
import { validate as validCron } from 'node-cron';
import { z } from 'zod';
import { durationSchema } from '../duration-schema.js';

/** The Prometheus exporters' customary port for a Node process; free in the port registry's sense. */
export const DEFAULT_HEALTH_PORT = 9464;

const durationMs = (min: number, what: string) => durationSchema(min, { atLeast: what });

const cron = z.string().refine((s) => validCron(s), { message: 'not a cron expression (5 fields, or 6 with seconds first: "*/30 * * * * *")' });

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const healthSchema = z.strictObject({
  /**
   * `auto`: on when auditwatch runs until stopped (Kafka, standard input), off for a file that
   * is read to its end. `--health-port` turns it on.
   */
  enabled: z.union([z.boolean(), z.literal('auto')]).default('auto'),
  /** 127.0.0.1 by default: only the machine itself. In a container, 0.0.0.0 (the image sets it). */
  host: z.string().min(1).default('127.0.0.1'),
  /** 0 picks a free port (tests); the one in use is logged. */
  port: z.number().int().min(0).max(65_535).default(DEFAULT_HEALTH_PORT),
});

const logSchema = z.strictObject({
  level: z.enum(LOG_LEVELS).default('info'),
  format: z.enum(LOG_FORMATS).default('json'),
});

const deadmanSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** No event at all for this long, on a source that was busy, raises `audit-stream-silent`. */
  silence: durationMs(1_000, '1s').default(15 * 60_000),
  /** "Busy": more than `busyEvents` events arrived within the `busyWindow` that ends at the last one. */
  busyWindow: durationMs(1_000, '1s').default(3_600_000),
  busyEvents: z.number().int().min(1).default(100),
  /** How often arrivals are sampled and silence is checked. */
  check: cron.default('*/30 * * * * *'),
});

const digestSchema = z.strictObject({
  enabled: z.boolean().default(false),
  /** Every day at 08:00 in `timezone`. */
  schedule: cron.default('0 8 * * *'),
  timezone: z.string().min(1).default('UTC'),
  /** The sink the digest goes to (a Slack sink of alerting.sinks, or `slack` from SLACK_WEBHOOK_URL). */
  sink: z.string().min(1).default('slack'),
  /** How many callers the digest lists, by alerts raised. */
  topCallers: z.number().int().min(1).max(50).default(10),
});

/** The `ops` section of auditwatch.yaml. */
export const opsSectionSchema = z.strictObject({
  health: healthSchema.default({ enabled: 'auto', host: '127.0.0.1', port: DEFAULT_HEALTH_PORT }),
  log: logSchema.default({ level: 'info', format: 'json' }),
  deadman: deadmanSchema.default({ enabled: true, silence: 15 * 60_000, busyWindow: 3_600_000, busyEvents: 100, check: '*/30 * * * * *' }),
  digest: digestSchema.default({ enabled: false, schedule: '0 8 * * *', timezone: 'UTC', sink: 'slack', topCallers: 10 }),
});
export type OpsSection = z.infer<typeof opsSectionSchema>;
export type DeadmanSettings = OpsSection['deadman'];
export type DigestSettings = OpsSection['digest'];

/** The section with every default filled in (the section is optional in auditwatch.yaml). */
export function opsSettings(section: OpsSection | undefined): OpsSection {
  return section ?? opsSectionSchema.parse({});
}
