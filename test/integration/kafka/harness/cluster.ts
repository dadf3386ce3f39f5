// Test-side Kafka helpers, written directly against kafkajs (not through the code under test):
// create topics, produce a stream, read a whole topic back partition by partition.
import kafkajs, { type Admin, type Producer } from 'kafkajs';
import { uniqueGroup, waitUntil } from '../../../services/global.js';
import type { StreamEvent } from './stream.js';

const { Kafka, logLevel } = kafkajs;

export type KafkaJs = InstanceType<typeof Kafka>;

export function testKafka(brokers: readonly string[], clientId = 'auditwatch-test'): KafkaJs {
  return new Kafka({ clientId, brokers: [...brokers], logLevel: logLevel.NOTHING, retry: { retries: 10 } });
}

export async function withAdmin<T>(kafka: KafkaJs, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

export async function createTopic(kafka: KafkaJs, topic: string, partitions: number): Promise<void> {
  await withAdmin(kafka, async (admin) => {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }] });
  });
}

/** How each message is placed: a random partition, or keyed by callerId (default partitioner). */
export type Placement = 'random' | 'keyed';

/**
 * Produces the stream in order. `random`: each message to a pseudo-random partition (seeded).
 * `keyed`: key = callerId (malformed messages without one get a fixed key).
 */
export async function produceStream(producer: Producer, topic: string, partitions: number, events: readonly StreamEvent[], placement: Placement, batch = 2_000, seed = 7): Promise<void> {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % partitions;
  };
  for (let i = 0; i < events.length; i += batch) {
    const slice = events.slice(i, i + batch);
    await producer.send({
      topic,
      acks: -1,
      messages: slice.map((e) => (placement === 'keyed' ? { key: e.callerId ?? 'malformed', value: e.value } : { partition: next(), value: e.value })),
    });
  }
}

export interface ReadRecord {
  readonly partition: number;
  readonly offset: number;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

/** Every record of a topic, by partition in offset order, up to the end offsets at call time. */
export async function readTopic(kafka: KafkaJs, topic: string, timeoutMs = 120_000): Promise<Map<number, ReadRecord[]>> {
  const ends = await withAdmin(kafka, (a) => a.fetchTopicOffsets(topic));
  const want = new Map(ends.map((p) => [p.partition, Number(p.high)]));
  const out = new Map<number, ReadRecord[]>([...want.keys()].map((p) => [p, []]));
  const reached = new Set([...want].filter(([, end]) => end === 0).map(([p]) => p));
  const consumer = kafka.consumer({ groupId: uniqueGroup('read-back'), maxBytesPerPartition: 8 * 1024 * 1024, maxWaitTimeInMs: 200 });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        const list = out.get(batch.partition);
        const end = want.get(batch.partition) ?? 0;
        for (const m of batch.messages) {
          const offset = Number(m.offset);
          if (offset >= end) continue;
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(m.headers ?? {})) if (v !== undefined) headers[k] = Array.isArray(v) ? String(v[0]) : v.toString();
          list?.push({ partition: batch.partition, offset, value: m.value, headers });
          if (offset === end - 1) reached.add(batch.partition);
        }
      },
    });
    await waitUntil(`all of ${topic} read back (${reached.size}/${want.size} partitions)`, () => (reached.size === want.size ? true : undefined), timeoutMs);
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/** Waits until a consumer group's committed offsets reach the topic's end offsets. */
export async function waitCaughtUp(kafka: KafkaJs, groupId: string, topic: string, timeoutMs: number): Promise<void> {
  await withAdmin(kafka, async (admin) => {
    await waitUntil(
      `group ${groupId} committed to the end of ${topic}`,
      async () => {
        const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
        const c = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
        return ends.every((e) => Number(e.high) === 0 || c.get(e.partition) === Number(e.high)) ? true : undefined;
      },
      timeoutMs,
      250,
    );
  });
}

/**
 * Produces the stream in the background at about `perSecond` messages per second (a load shape,
 * as a live source writes: the tests act on what the instances report, never on this pace).
 */
export function produceInBackground(producer: Producer, topic: string, partitions: number, events: readonly StreamEvent[], placement: Placement, perSecond: number): { done: Promise<void>; produced: () => number } {
  let produced = 0;
  const chunk = Math.max(1, Math.round(perSecond / 10));
  const done = (async () => {
    const started = Date.now();
    for (let i = 0; i < events.length; i += chunk) {
      await produceStream(producer, topic, partitions, events.slice(i, i + chunk), placement, chunk, 7 + i);
      produced = Math.min(events.length, i + chunk);
      const ahead = started + (produced / perSecond) * 1000 - Date.now();
      if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
    }
  })();
  return { done, produced: () => produced };
}
