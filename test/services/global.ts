// What a test file calls to reach Kafka and Elasticsearch. Under scripts/test.mjs the whole run shares
// one broker and one node, announced in environment variables; a file run alone
// (`node --import tsx --test test/x.test.ts`) starts private ones, stopped when its process ends.
import { randomBytes } from 'node:crypto';
import { startElasticsearch, type ElasticsearchNode } from './elasticsearch.js';
import { DEFAULT_KAFKA_VERSION, isKafkaVersion, KAFKA_VERSIONS, startKafka, type KafkaBroker, type KafkaVersion } from './kafka.js';
import { pollUntil } from './proc.js';

export const ENV_KAFKA_BROKERS = 'AUDITWATCH_TEST_KAFKA_BROKERS';
export const ENV_KAFKA_VERSION = 'AUDITWATCH_TEST_KAFKA_VERSION';
export const ENV_ES_URL = 'AUDITWATCH_TEST_ES_URL';
export const ENV_ES_VERSION = 'AUDITWATCH_TEST_ES_VERSION';

export interface KafkaForTests {
  brokers: string[];
  version: string;
  /** True when it is the run's shared broker (never pause or stop it then). */
  shared: boolean;
}

export interface ElasticsearchForTests {
  url: string;
  version: string;
  shared: boolean;
}

/** The Kafka version a private broker should run: AUDITWATCH_TEST_KAFKA_VERSION, else the default. */
export function requestedKafkaVersion(): KafkaVersion {
  const v = process.env[ENV_KAFKA_VERSION];
  if (v === undefined || v === '') return DEFAULT_KAFKA_VERSION;
  if (!isKafkaVersion(v)) throw new Error(`${ENV_KAFKA_VERSION}=${v}: supported versions are ${KAFKA_VERSIONS.join(', ')}`);
  return v;
}

let privateKafka: Promise<KafkaBroker> | undefined;
let privateEs: Promise<ElasticsearchNode> | undefined;
let beforeExitHooked = false;

// Stop private services gracefully once the file's tests are done and nothing else keeps the event loop
// busy (the services' own exit handlers SIGKILL them if the process ends another way).
function stopOnBeforeExit(): void {
  if (beforeExitHooked) return;
  beforeExitHooked = true;
  process.once('beforeExit', () => {
    void stopPrivateServices();
  });
}

/** Stops the broker/node this process started for itself, if any. Safe to call in an `after` hook. */
export async function stopPrivateServices(): Promise<void> {
  const pending: Promise<void>[] = [];
  if (privateKafka !== undefined) pending.push(privateKafka.then((k) => k.stop()));
  if (privateEs !== undefined) pending.push(privateEs.then((e) => e.stop()));
  privateKafka = undefined;
  privateEs = undefined;
  await Promise.allSettled(pending);
}

export async function kafkaForTests(): Promise<KafkaForTests> {
  const brokers = process.env[ENV_KAFKA_BROKERS];
  if (brokers !== undefined && brokers !== '') {
    return { brokers: brokers.split(',').map((b) => b.trim()), version: process.env[ENV_KAFKA_VERSION] ?? 'unknown', shared: true };
  }
  if (privateKafka === undefined) {
    privateKafka = startKafka({ version: requestedKafkaVersion() });
    stopOnBeforeExit();
  }
  const k = await privateKafka;
  return { brokers: k.brokers, version: k.version, shared: false };
}

export async function elasticsearchForTests(): Promise<ElasticsearchForTests> {
  const url = process.env[ENV_ES_URL];
  if (url !== undefined && url !== '') return { url, version: process.env[ENV_ES_VERSION] ?? 'unknown', shared: true };
  if (privateEs === undefined) {
    privateEs = startElasticsearch();
    stopOnBeforeExit();
  }
  const es = await privateEs;
  return { url: es.url, version: es.version, shared: false };
}

/** A name no other test (or earlier run against the same shared service) uses: lowercase a-z, 0-9, '-'. */
export function uniqueName(prefix: string): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
  return `${clean}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

export const uniqueTopic = (prefix = 'topic'): string => uniqueName(`aw-${prefix}`);
export const uniqueGroup = (prefix = 'group'): string => uniqueName(`aw-${prefix}`);
/** Elasticsearch index names must be lowercase and must not start with '-', '_' or '+'. */
export const uniqueIndex = (prefix = 'index'): string => uniqueName(`aw-${prefix}`);

/**
 * Polls `attempt` until it returns a value other than undefined, or fails after `timeoutMs`.
 * Use this instead of sleeping: "wait for 1,000 messages", "wait until the document is searchable".
 */
export function waitUntil<T>(what: string, attempt: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  return pollUntil(what, async () => attempt(), { deadline: Date.now() + timeoutMs, intervalMs });
}
