// The `kafka` section of auditwatch.yaml, and the AUDITWATCH_KAFKA_* environment variables that
// override it (a container is usually configured through its environment). Secrets are never
// in the file: the SASL password is read from an environment variable or a file at startup.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AuditwatchError } from '../../errors.js';
import type { Secret } from '../../text/secret.js';
import { resolveSecret, secretRefSchema, type FileReader } from '../secret-ref.js';
import { durationSchema } from '../duration-schema.js';

/**
 * "5s", "1h"... → milliseconds; zero is refused (an interval of 0 would spin). A number is taken
 * as milliseconds already, so that a section parsed once (by the runtime loader) parses again.
 */
const positiveMs = z.union([
  z.number().int().positive(),
  durationSchema(1, { example: '5s' }),
]);

// host:port, with the host a name, IPv4 address or bracketed IPv6 address.
const BROKER = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?):\d{1,5}$/;
const brokerSchema = z.string().regex(BROKER, 'a broker is host:port, e.g. kafka-1.internal:9092');
// Kafka's own rule for topic and group names used in auditwatch's derived names.
const TOPIC = /^[A-Za-z0-9._-]{1,200}$/;
const topicSchema = z.string().regex(TOPIC, 'topic names are letters, digits, . _ - (at most 200)');

const tlsSchema = z.strictObject({
  /** PEM file of the CA(s) that signed the brokers' certificates; default: the system's CAs. */
  ca: z.string().min(1).optional(),
  /** Verify the brokers' certificates and host names. Turning it off is logged at every start. */
  verify: z.boolean().default(true),
  /** Client certificate and key (PEM files) for mutual TLS. */
  cert: z.string().min(1).optional(),
  key: z.string().min(1).optional(),
  /** Host name to verify when it differs from the bootstrap address. */
  servername: z.string().min(1).optional(),
});

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

const saslSchema = z.strictObject({
  mechanism: z.enum(SASL_MECHANISMS),
  username: z.string().min(1),
  password: secretRefSchema.default({ env: 'AUDITWATCH_KAFKA_SASL_PASSWORD' }),
});

const DEFAULT_CHECKPOINT = { interval: 5_000, events: 200_000 };

export const kafkaSectionSchema = z
  .strictObject({
    brokers: z.array(brokerSchema).min(1).optional(),
    clientId: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'clientId: letters, digits, . _ -').default('auditwatch'),
    /** The consumer group; also the prefix of the internal topics. */
    groupId: topicSchema.default('auditwatch'),
    input: z
      .strictObject({
        topics: z.array(topicSchema).min(1).optional(),
        /**
         * `callerId` when producers key the input by callerId: detection then reads it directly.
         * Otherwise (`none`) auditwatch re-keys it through `<groupId>-by-caller` first.
         */
        keyedBy: z.enum(['callerId', 'none']).default('none'),
        /** Where a group with no committed offset starts. */
        startFrom: z.enum(['earliest', 'latest']).default('earliest'),
      })
      .default({ keyedBy: 'none', startFrom: 'earliest' }),
    tls: z.union([z.boolean(), tlsSchema]).default(false),
    sasl: saslSchema.optional(),
    /** Internal topic names; defaults derive from groupId. */
    topics: z
      .strictObject({
        state: topicSchema.optional(),
        deadLetter: topicSchema.optional(),
        byCaller: topicSchema.optional(),
      })
      .default({}),
    /** Create missing internal topics (needs the CreateTopics ACL); otherwise a missing one is an error. */
    createTopics: z.boolean().default(true),
    /** Replication factor of the internal topics auditwatch creates; default: the broker's. */
    replicationFactor: z.number().int().min(1).max(32).optional(),
    checkpoint: z
      .strictObject({
        /** Snapshot each partition's state at least this often while events flow. */
        interval: positiveMs.default(DEFAULT_CHECKPOINT.interval),
        /** ... or after this many events of a partition, whichever comes first. */
        events: z.number().int().min(1).default(DEFAULT_CHECKPOINT.events),
      })
      .default(DEFAULT_CHECKPOINT),
    /** The group coordinator drops a silent member after this (6s..30m on a default broker). */
    sessionTimeout: positiveMs.default(30_000),
    /**
     * Where alert notifications go: `alerting` (routes, grouping, silences and the configured
     * sinks, as in file mode) or `jsonl` (one JSON object per notification on stdout, with its
     * id, partition and offset: for piping into another system).
     */
    output: z.enum(['alerting', 'jsonl']).default('alerting'),
  })
  .refine((k) => !(k.tls !== false && typeof k.tls === 'object' && (k.tls.cert === undefined) !== (k.tls.key === undefined)), {
    message: 'tls.cert and tls.key go together',
    path: ['tls'],
  });
export type KafkaSection = z.infer<typeof kafkaSectionSchema>;

/** Environment variables that override (or, without a file section, make up) the kafka section. */
export const KAFKA_ENV = {
  brokers: 'AUDITWATCH_KAFKA_BROKERS',
  clientId: 'AUDITWATCH_KAFKA_CLIENT_ID',
  groupId: 'AUDITWATCH_KAFKA_GROUP_ID',
  topics: 'AUDITWATCH_KAFKA_TOPICS',
  keyedBy: 'AUDITWATCH_KAFKA_KEYED_BY',
  startFrom: 'AUDITWATCH_KAFKA_START_FROM',
  tlsCa: 'AUDITWATCH_KAFKA_TLS_CA',
  saslMechanism: 'AUDITWATCH_KAFKA_SASL_MECHANISM',
  saslUsername: 'AUDITWATCH_KAFKA_SASL_USERNAME',
  saslPassword: 'AUDITWATCH_KAFKA_SASL_PASSWORD',
  output: 'AUDITWATCH_KAFKA_OUTPUT',
} as const;

/** True when auditwatch run should consume Kafka: a kafka section or AUDITWATCH_KAFKA_BROKERS. */
export function kafkaConfigured(section: KafkaSection | undefined, env: NodeJS.ProcessEnv): boolean {
  return section !== undefined || (env[KAFKA_ENV.brokers] ?? '').trim() !== '';
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** The section with the environment applied, as raw input for the schema (so zod checks both). */
function withEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw };
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const brokers = get(KAFKA_ENV.brokers);
  if (brokers !== undefined) out.brokers = list(brokers);
  const clientId = get(KAFKA_ENV.clientId);
  if (clientId !== undefined) out.clientId = clientId;
  const groupId = get(KAFKA_ENV.groupId);
  if (groupId !== undefined) out.groupId = groupId;
  const input = { ...((raw.input as Record<string, unknown> | undefined) ?? {}) };
  const topics = get(KAFKA_ENV.topics);
  if (topics !== undefined) input.topics = list(topics);
  const keyedBy = get(KAFKA_ENV.keyedBy);
  if (keyedBy !== undefined) input.keyedBy = keyedBy;
  const startFrom = get(KAFKA_ENV.startFrom);
  if (startFrom !== undefined) input.startFrom = startFrom;
  out.input = input;
  const output = get(KAFKA_ENV.output);
  if (output !== undefined) out.output = output;
  const ca = get(KAFKA_ENV.tlsCa);
  if (ca !== undefined) out.tls = { ...(typeof raw.tls === 'object' && raw.tls !== null ? raw.tls : {}), ca };
  const mechanism = get(KAFKA_ENV.saslMechanism);
  const username = get(KAFKA_ENV.saslUsername);
  if (mechanism !== undefined || username !== undefined) {
    const sasl = { ...(typeof raw.sasl === 'object' && raw.sasl !== null ? raw.sasl : {}) } as Record<string, unknown>;
    if (mechanism !== undefined) sasl.mechanism = mechanism.toLowerCase();
    if (username !== undefined) sasl.username = username;
    out.sasl = sasl;
  }
  return out;
}

/** Everything the Kafka runtime needs, validated, with derived names and the secret resolved. */
export interface KafkaSettings {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly groupId: string;
  readonly inputTopics: readonly string[];
  readonly keyedBy: 'callerId' | 'none';
  readonly startFrom: 'earliest' | 'latest';
  readonly stateTopic: string;
  readonly deadLetterTopic: string;
  readonly byCallerTopic: string;
  readonly createTopics: boolean;
  readonly replicationFactor: number | undefined;
  readonly checkpointIntervalMs: number;
  readonly checkpointEvents: number;
  readonly sessionTimeoutMs: number;
  readonly output: 'alerting' | 'jsonl';
  readonly tls: TlsSettings | undefined;
  readonly sasl: { readonly mechanism: SaslMechanism; readonly username: string; readonly password: Secret } | undefined;
}

export interface TlsSettings {
  readonly ca: string | undefined;
  readonly verify: boolean;
  readonly cert: string | undefined;
  readonly key: string | undefined;
  readonly servername: string | undefined;
}

function readPem(path: string, what: string, readFile: FileReader): string {
  try {
    return readFile(path);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new AuditwatchError('CONFIG_INVALID', `kafka.tls: cannot read the ${what} file ${path}${typeof code === 'string' ? ` (${code})` : ''}`, { file: path });
  }
}

/**
 * Resolves the kafka section (already parsed from the file, or absent) with the environment.
 * Throws CONFIG_INVALID naming the field or variable, or SECRET_MISSING naming where the
 * password should have been; never a secret value.
 */
export function resolveKafkaSettings(fileSection: unknown, env: NodeJS.ProcessEnv, readFile: FileReader = (p) => readFileSync(p, 'utf8')): KafkaSettings {
  const raw = typeof fileSection === 'object' && fileSection !== null ? { ...fileSection } : {};
  const res = kafkaSectionSchema.safeParse(withEnv(raw, env));
  if (!res.success) {
    const msg = res.error.issues.map((i) => `kafka.${i.path.map(String).join('.')}: ${i.message}`).join('; ');
    throw new AuditwatchError('CONFIG_INVALID', `${msg} (from auditwatch.yaml or the AUDITWATCH_KAFKA_* environment variables)`);
  }
  const k = res.data;
  if (k.brokers === undefined) throw new AuditwatchError('CONFIG_INVALID', `kafka.brokers: no brokers given (set kafka.brokers or ${KAFKA_ENV.brokers})`);
  const topics = k.input.topics;
  if (topics === undefined) throw new AuditwatchError('CONFIG_INVALID', `kafka.input.topics: no input topic given (set kafka.input.topics or ${KAFKA_ENV.topics})`);
  let tls: TlsSettings | undefined;
  if (k.tls === true) tls = { ca: undefined, verify: true, cert: undefined, key: undefined, servername: undefined };
  else if (k.tls !== false) {
    tls = {
      ca: k.tls.ca === undefined ? undefined : readPem(k.tls.ca, 'CA', readFile),
      verify: k.tls.verify,
      cert: k.tls.cert === undefined ? undefined : readPem(k.tls.cert, 'client certificate', readFile),
      key: k.tls.key === undefined ? undefined : readPem(k.tls.key, 'client key', readFile),
      servername: k.tls.servername,
    };
  }
  const sasl =
    k.sasl === undefined
      ? undefined
      : {
          mechanism: k.sasl.mechanism,
          username: k.sasl.username,
          password: resolveSecret(k.sasl.password, { owner: 'kafka.sasl', what: 'SASL password' }, env, readFile),
        };
  return {
    brokers: k.brokers,
    clientId: k.clientId,
    groupId: k.groupId,
    inputTopics: topics,
    keyedBy: k.input.keyedBy,
    startFrom: k.input.startFrom,
    stateTopic: k.topics.state ?? `${k.groupId}-state`,
    deadLetterTopic: k.topics.deadLetter ?? `${k.groupId}-dlq`,
    byCallerTopic: k.topics.byCaller ?? `${k.groupId}-by-caller`,
    createTopics: k.createTopics,
    replicationFactor: k.replicationFactor,
    checkpointIntervalMs: k.checkpoint.interval,
    checkpointEvents: k.checkpoint.events,
    sessionTimeoutMs: k.sessionTimeout,
    output: k.output,
    tls,
    sasl,
  };
}
