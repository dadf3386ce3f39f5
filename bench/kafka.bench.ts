/*
 * Kafka benchmarks (issue: Kafka in production), against a real broker on loopback: the one
 * named by AUDITWATCH_TEST_KAFKA_BROKERS, else a private one started from test/services.
 *   - throughput: one instance, 6 partitions, ~300-byte events, shipped detectors; beside it the
 *     rate at which the broker took the same events from a kafkajs producer, and the lag;
 *   - latency from produce to alert transition, p50/p99, at 20,000 events/s;
 *   - recovery: restart to caught up, for a checkpoint of 100,000 active keys.
 * The runtime runs in this process (no child process start-up in the numbers).
 */
import kafkajs, { type Producer } from 'kafkajs';
import { loadDetectors } from '../src/config/detectors.js';
import { resolveKafkaSettings } from '../src/config/sections/kafka.js';
import type { DetectorDef } from '../src/config/detectors.js';
import type { AckFn, Deliverer, KafkaNotification } from '../src/app/kafka/deliver.js';
import type { KafkaLog } from '../src/app/kafka/log.js';
import { KafkaRuntime } from '../src/app/kafka/runtime.js';
import { partitionForKey } from '../src/sources/partitioner.js';
import { kafkaForTests, stopPrivateServices, uniqueGroup, uniqueTopic } from '../test/services/global.js';
import type { Row } from './engine.bench.js';
import { mulberry32, syntheticEvents, toLine } from './gen.js';

const { Kafka, logLevel } = kafkajs;
const PARTITIONS = 6;
const quiet: KafkaLog = { log: (level, message) => (level === 'error' ? process.stderr.write(`bench kafka: ${message}\n`) : undefined) };

/** Counts notifications, remembers when each arrived. */
class CountingDeliverer implements Deliverer {
  count = 0;
  onNotification: (n: KafkaNotification, now: number) => void = () => undefined;
  submit(ns: readonly KafkaNotification[], ack: AckFn): void {
    const now = Date.now();
    for (const n of ns) {
      this.count++;
      this.onNotification(n, now);
      ack(n);
    }
  }
  pending(): readonly KafkaNotification[] {
    return [];
  }
  drop(): void {}
  drain(): Promise<number> {
    return Promise.resolve(0);
  }
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = async (): Promise<void> => {
      try {
        if (await check()) return resolve();
      } catch (err) {
        return reject(err);
      }
      if (Date.now() > deadline) return reject(new Error(`bench kafka: ${what} not reached in ${timeoutMs} ms`));
      setTimeout(() => void tick(), 20);
    };
    void tick();
  });
}

async function createTopic(kafka: InstanceType<typeof Kafka>, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }] });
  await admin.disconnect();
}

async function endOffsets(kafka: InstanceType<typeof Kafka>, topic: string): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
  } finally {
    await admin.disconnect();
  }
}

function caughtUp(rt: KafkaRuntime, ends: ReadonlyMap<number, number>): boolean {
  const parts = rt.status().partitions;
  return parts.length === ends.size && parts.every((p) => (p.next ?? 0) >= (ends.get(p.partition) ?? 0));
}

function start(brokers: string[], groupId: string, topic: string, defs: readonly DetectorDef[], deliverer: Deliverer, checkpoint?: { interval: string; events: number }): Promise<KafkaRuntime> {
  const settings = resolveKafkaSettings({ brokers, clientId: 'bench', groupId, input: { topics: [topic], keyedBy: 'callerId' }, sessionTimeout: '10s', ...(checkpoint === undefined ? {} : { checkpoint }) }, {});
  return KafkaRuntime.start({ settings, defs, latenessMs: 30_000, maxBytes: 1024 * 1024, deliverer, log: quiet });
}

/** Sends `values` keyed by callerId in sends of `batch`; returns messages per second. */
async function produce(producer: Producer, topic: string, values: readonly { key: string; value: string }[], batch = 5_000): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < values.length; i += batch) await producer.send({ topic, acks: -1, messages: values.slice(i, i + batch) });
  return values.length / ((performance.now() - t) / 1000);
}

async function throughput(kafka: InstanceType<typeof Kafka>, brokers: string[], defs: readonly DetectorDef[]): Promise<Row[]> {
  const n = 600_000;
  const topic = uniqueTopic('bench-throughput');
  await createTopic(kafka, topic);
  const events = syntheticEvents(n, 100_000, 1000, 3);
  // toLine's events are ~250 B; a request id brings them to the ~300 B of a typical MCP audit record.
  const values = events.map((e, i) => ({ key: e.callerId, value: `${toLine(e, i).slice(0, -1)},"requestId":"req-${i.toString(16).padStart(8, '0')}-4f1c-9a7e-3b2d8c6e5a10"}` }));
  const bytes = values.reduce((s, v) => s + v.value.length, 0) / n;
  const producer = kafka.producer();
  await producer.connect();
  const produceRate = await produce(producer, topic, values);
  await producer.disconnect();
  const ends = await endOffsets(kafka, topic);
  const deliverer = new CountingDeliverer();
  const rt = await start(brokers, uniqueGroup('bench-throughput'), topic, defs, deliverer);
  let maxLag = 0;
  const t0 = performance.now();
  await until(
    'throughput run caught up',
    () => {
      const lag = rt.status().partitions.reduce((s, p) => s + (p.lag ?? 0), 0);
      maxLag = Math.max(maxLag, lag);
      return caughtUp(rt, ends);
    },
    600_000,
  );
  const seconds = (performance.now() - t0) / 1000;
  const rate = n / seconds;
  await rt.stop();
  return [
    {
      name: `consume + detect, 1 instance, ${PARTITIONS} partitions, ${fmt(n)} events of ~${fmt(bytes)} B (lag at most ${fmt(maxLag)}, 0 at the end; ${fmt(deliverer.count)} alerts)`,
      value: `${fmt(rate)} events/s`,
      baseline: `${fmt(produceRate)} events/s (broker taking the same events from a kafkajs producer)`,
      ratio: `${(rate / produceRate).toFixed(2)}x`,
      target: '>= 100,000 events/s',
    },
  ];
}

async function latency(kafka: InstanceType<typeof Kafka>, brokers: string[]): Promise<Row[]> {
  const perSecond = 20_000;
  const seconds = 20;
  const topic = uniqueTopic('bench-latency');
  await createTopic(kafka, topic);
  // A streak detector that fires on the first error after a success: about a tenth of the events
  // cause a transition, so the distribution has tens of thousands of points.
  const defs: DetectorDef[] = [
    { id: 'first-error', kind: 'streak', severity: 'warning', groupBy: ['callerId'], where: new Map([['outcome', ['error']]]), resetWhere: new Map([['outcome', ['success']]]), threshold: 0, file: 'bench' },
  ];
  const deliverer = new CountingDeliverer();
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  deliverer.onNotification = (n, now) => {
    const t = sentAt.get(`${n.partition}/${n.offset}`);
    if (t !== undefined) latencies.push(now - t);
  };
  const rt = await start(brokers, uniqueGroup('bench-latency'), topic, defs, deliverer);
  const producer = kafka.producer();
  await producer.connect();
  const rnd = mulberry32(5);
  const tick = 10;
  const perTick = (perSecond * tick) / 1000;
  const t0 = Date.now();
  let sent = 0;
  for (let k = 0; sent < perSecond * seconds; k++) {
    const now = Date.now();
    const messages = Array.from({ length: perTick }, (_, i) => {
      const callerId = `agent-${Math.floor(rnd() * 5_000)}`;
      return { key: callerId, value: JSON.stringify({ timestamp: new Date(now).toISOString(), callerId, tool: 'search', outcome: rnd() < 0.2 ? 'error' : 'success', sessionId: `s-${sent + i}`, argsHash: 'sha256:9f86d081884c7d659a2feaa0c55ad015', durationMs: 12, serverVersion: '1.9.0' }) };
    });
    const res = await producer.send({ topic, acks: 1, messages });
    // Offsets of this send: base offset per partition, in message order within a partition.
    const next = new Map(res.map((r) => [r.partition, Number(r.baseOffset)]));
    const counts = new Map<number, number>();
    for (const m of messages) {
      const p = partitionForKey(m.key, PARTITIONS);
      const i = counts.get(p) ?? 0;
      counts.set(p, i + 1);
      sentAt.set(`${p}/${(next.get(p) ?? 0) + i}`, now);
    }
    sent += messages.length;
    const ahead = t0 + (k + 1) * tick - Date.now();
    if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
  }
  const achieved = sent / ((Date.now() - t0) / 1000);
  await producer.disconnect();
  const ends = await endOffsets(kafka, topic);
  await until('latency run caught up', () => caughtUp(rt, ends), 120_000);
  await rt.stop();
  latencies.sort((a, b) => a - b);
  const q = (f: number): number => latencies[Math.min(latencies.length - 1, Math.floor(f * latencies.length))] ?? NaN;
  return [
    {
      name: `produce → alert transition at ${fmt(achieved)} events/s for ${seconds} s (${fmt(latencies.length)} transitions, checkpoints every 5 s)`,
      value: `p50 ${fmt(q(0.5))} ms, p99 ${fmt(q(0.99))} ms, max ${fmt(q(1))} ms`,
      baseline: '-',
      ratio: '-',
      target: 'p99 < 500 ms',
    },
  ];
}

async function recovery(kafka: InstanceType<typeof Kafka>, brokers: string[], defs: readonly DetectorDef[]): Promise<Row[]> {
  const keys = 100_000;
  const topic = uniqueTopic('bench-recovery');
  const group = uniqueGroup('bench-recovery');
  await createTopic(kafka, topic);
  const t0 = Date.UTC(2026, 2, 5, 9, 0, 0);
  // Every caller has rate-limited calls inside the hour window: 100,000 active keys.
  const values = Array.from({ length: keys * 2 }, (_, i) => {
    const callerId = `agent-${i % keys}`;
    return { key: callerId, value: JSON.stringify({ timestamp: new Date(t0 + Math.floor(i / 20)).toISOString(), callerId, tool: 'search', outcome: 'rate_limited' }) };
  });
  const producer = kafka.producer();
  await producer.connect();
  await produce(producer, topic, values);
  let ends = await endOffsets(kafka, topic);
  const first = await start(brokers, group, topic, defs, new CountingDeliverer());
  await until('first run caught up', () => caughtUp(first, ends), 300_000);
  await first.stop();
  const active = first.status().counters.accepted;
  const checkpointBytes = first.status().counters.checkpointBytes;
  // Events that arrive while it is down: the restarted instance must process them too.
  await produce(
    producer,
    topic,
    Array.from({ length: 20_000 }, (_, i) => ({ key: `agent-${i}`, value: JSON.stringify({ timestamp: new Date(t0 + 600_000 + i).toISOString(), callerId: `agent-${i}`, tool: 'search', outcome: 'rate_limited' }) })),
  );
  await producer.disconnect();
  ends = await endOffsets(kafka, topic);
  const t = performance.now();
  const second = await start(brokers, group, topic, defs, new CountingDeliverer());
  await until('restarted run caught up', () => caughtUp(second, ends), 120_000);
  const ms = performance.now() - t;
  const restoreMs = second.status().counters.restoreMs;
  await second.stop();
  return [
    {
      name: `restart → caught up, checkpoint of ${fmt(keys)} active keys (${fmt(checkpointBytes / 1024)} KiB written, ${fmt(active)} events behind it; 20,000 new events to process; restore ${fmt(restoreMs)} ms across partitions)`,
      value: `${(ms / 1000).toFixed(1)} s`,
      baseline: '-',
      ratio: '-',
      target: '< 10 s',
    },
  ];
}

export async function kafkaBench(): Promise<Row[]> {
  const { brokers } = await kafkaForTests();
  const kafka = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.NOTHING });
  const defs = loadDetectors('detectors');
  try {
    return [...(await throughput(kafka, brokers, defs)), ...(await latency(kafka, brokers)), ...(await recovery(kafka, brokers, defs))];
  } finally {
    await stopPrivateServices();
  }
}
