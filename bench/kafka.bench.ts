/*
 * Kafka benchmarks (issue: Kafka in production), against a real broker on loopback: the one
 * named by AUDITWATCH_TEST_KAFKA_BROKERS, else a private one started from test/services.
 *   - throughput: one instance, 6 partitions, ~300-byte events, shipped detectors; beside it the
 *     rate at which the broker took the same events from a kafkajs producer, and the lag;
 *   - latency from produce to alert transition, p50/p99, at 20,000 events/s;
 *   - recovery: restart to caught up, for a checkpoint of 100,000 active keys.
 * The runtime runs in this process (no child process start-up in the numbers), from the built
 * code, as `auditwatch run` does (npm run bench builds first), not the sources through the test
 * loader, whose per-closure name wrappers cost CPU the product never pays.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import kafkajs, { type Producer } from 'kafkajs';
import { loadDetectors } from '../src/config/detectors.js';
import { resolveKafkaSettings } from '../src/config/sections/kafka.js';
import type { DetectorDef } from '../src/config/detectors.js';
import type { AckFn, Deliverer, KafkaNotification } from '../src/app/kafka/deliver.js';
import type { KafkaLog } from '../src/app/kafka/log.js';
import type { KafkaRuntime } from '../src/app/kafka/runtime.js';
import { kafkaForTests, stopPrivateServices, uniqueGroup, uniqueTopic } from '../test/services/global.js';
import type { Row } from './engine.bench.js';
import { syntheticEvents, toLine } from './gen.js';
import { machineBusy } from './machine.js';

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

/**
 * With AUDITWATCH_BENCH_CPU_PROFILE=<file.cpuprofile>, the V8 CPU profile of `fn` alone (the
 * consume phase, without producing or the broker's start) is written there.
 */
async function profiled<T>(fn: () => Promise<T>): Promise<T> {
  const file = process.env.AUDITWATCH_BENCH_CPU_PROFILE;
  if (file === undefined || file === '') return fn();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}

function caughtUp(rt: KafkaRuntime, ends: ReadonlyMap<number, number>): boolean {
  const parts = rt.status().partitions;
  return parts.length === ends.size && parts.every((p) => (p.next ?? 0) >= (ends.get(p.partition) ?? 0));
}

let built: typeof KafkaRuntime | undefined;

async function start(brokers: string[], groupId: string, topic: string, defs: readonly DetectorDef[], deliverer: Deliverer): Promise<KafkaRuntime> {
  built ??= ((await import(new URL('../dist/src/app/kafka/runtime.js', import.meta.url).href)) as { KafkaRuntime: typeof KafkaRuntime }).KafkaRuntime;
  const settings = resolveKafkaSettings({ brokers, clientId: 'bench', groupId, input: { topics: [topic], keyedBy: 'callerId' }, sessionTimeout: '10s' }, {});
  return built.start({ settings, defs, latenessMs: 30_000, maxBytes: 1024 * 1024, deliverer, log: quiet });
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
  let maxLag = 0;
  // Sustained rate: from the first poll that sees records processed (the group join, the
  // assignment and the first fetch are behind it) to caught up, over the records in between.
  let first: { at: number; records: number } | undefined;
  const cpu0 = process.cpuUsage();
  const busy = machineBusy();
  const t0 = performance.now();
  const rt = await profiled(async () => {
    const rt = await start(brokers, uniqueGroup('bench-throughput'), topic, defs, deliverer);
    await until(
      'throughput run caught up',
      () => {
        const status = rt.status();
        if (first === undefined && status.counters.records > 0) first = { at: performance.now(), records: status.counters.records };
        const lag = status.partitions.reduce((s, p) => s + (p.lag ?? 0), 0);
        maxLag = Math.max(maxLag, lag);
        return caughtUp(rt, ends);
      },
      600_000,
    );
    return rt;
  });
  const end = performance.now();
  const seconds = (end - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuPerEvent = (cpu.user + cpu.system) / n;
  const rate = n / seconds;
  const startup = first === undefined ? seconds : (first.at - t0) / 1000;
  const sustained = first === undefined ? rate : (n - first.records) / ((end - first.at) / 1000);
  const machine = busy();
  const ownCores = (cpu.user + cpu.system) / 1e6 / seconds;
  // The broker runs on the same machine: say how much of it was left.
  const load = machine === undefined ? '' : `; machine busy ${machine.busyCores.toFixed(2)} of ${machine.cores} cores, this process ${ownCores.toFixed(2)}, the rest mostly the broker`;
  await rt.stop();
  return [
    {
      name: `consume + detect, 1 instance, ${PARTITIONS} partitions, ${fmt(n)} events of ~${fmt(bytes)} B, sustained from the first batch to caught up (${fmt(rate)} events/s counting the ${startup.toFixed(1)} s of start, group join and first fetch; ${cpuPerEvent.toFixed(1)} µs CPU per event in this process; lag at most ${fmt(maxLag)}, 0 at the end; ${fmt(deliverer.count)} alerts${load})`,
      value: `${fmt(sustained)} events/s`,
      baseline: `${fmt(produceRate)} events/s (broker taking the same events from a kafkajs producer)`,
      ratio: `${(sustained / produceRate).toFixed(2)}x`,
      target: '>= 100,000 events/s',
    },
  ];
}

/**
 * Produces `perSecond` events per second for `seconds` from a separate process (so that the
 * producer does not take CPU from the instance under test), each stamped with the wall-clock time
 * it was made as its event time: a transition's event time is then its produce time.
 */
function produceFromChild(brokers: readonly string[], topic: string, perSecond: number, seconds: number): Promise<number> {
  const script = `
    import kafkajs from 'kafkajs';
    const [brokers, topic, perSecond, seconds] = [process.argv[1].split(','), process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
    const producer = new kafkajs.Kafka({ clientId: 'bench-producer', brokers, logLevel: kafkajs.logLevel.NOTHING }).producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
    let seed = 5;
    const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
    // Every 10 ms, whatever is due by then (a send that took longer is caught up in the next ones,
    // at most 2,000 events, ~600 KB, per request).
    const tick = 10, total = perSecond * seconds, t0 = Date.now();
    let sent = 0;
    for (let k = 0; sent < total; k++) {
      const now = Date.now();
      const due = Math.min(total, sent + 2000, Math.ceil((perSecond * (now - t0 + tick)) / 1000));
      const messages = [];
      for (let i = sent; i < due; i++) {
        const callerId = 'agent-' + Math.floor(rnd() * 5000);
        messages.push({ key: callerId, value: JSON.stringify({ timestamp: new Date(now).toISOString(), callerId, tool: 'search', outcome: rnd() < 0.02 ? 'error' : 'success', sessionId: 's-' + i, argsHash: 'sha256:9f86d081884c7d659a2feaa0c55ad015', durationMs: 12, serverVersion: '1.9.0' }) });
      }
      if (messages.length > 0) await producer.send({ topic, acks: 1, messages });
      sent += messages.length;
      const ahead = t0 + (k + 1) * tick - Date.now();
      if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
    }
    await producer.disconnect();
    process.stdout.write(String(sent / ((Date.now() - t0) / 1000)));
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, brokers.join(','), topic, String(perSecond), String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`bench producer exited ${code}`))));
  });
}

async function latency(kafka: InstanceType<typeof Kafka>, brokers: string[]): Promise<Row[]> {
  const perSecond = 20_000;
  const seconds = 20;
  const topic = uniqueTopic('bench-latency');
  await createTopic(kafka, topic);
  // A streak detector that fires on the first error after a success and resolves on the next
  // success of that caller: about 4% of the events cause a transition (tens of thousands of
  // points), whose event time is the produce time of the event that caused it.
  const defs: DetectorDef[] = [
    { id: 'first-error', kind: 'streak', severity: 'warning', groupBy: ['callerId'], where: new Map([['outcome', ['error']]]), resetWhere: new Map([['outcome', ['success']]]), threshold: 0, file: 'bench' },
  ];
  const deliverer = new CountingDeliverer();
  const latencies: number[] = [];
  deliverer.onNotification = (n, now) => latencies.push(now - n.transition.at);
  const rt = await start(brokers, uniqueGroup('bench-latency'), topic, defs, deliverer);
  const achieved = await produceFromChild(brokers, topic, perSecond, seconds);
  const ends = await endOffsets(kafka, topic);
  await until('latency run caught up', () => caughtUp(rt, ends), 120_000);
  await rt.stop();
  latencies.sort((a, b) => a - b);
  const q = (f: number): number => latencies[Math.min(latencies.length - 1, Math.floor(f * latencies.length))] ?? NaN;
  return [
    {
      name: `produce → alert transition at ${fmt(achieved)} events/s for ${seconds} s from another process (${fmt(latencies.length)} transitions, checkpoints every 5 s)`,
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

export type KafkaBenchPart = 'throughput' | 'latency' | 'recovery';

export async function kafkaBench(parts: readonly KafkaBenchPart[] = ['throughput', 'latency', 'recovery']): Promise<Row[]> {
  const { brokers } = await kafkaForTests();
  const kafka = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.NOTHING });
  const defs = loadDetectors('detectors');
  const rows: Row[] = [];
  try {
    if (parts.includes('throughput')) rows.push(...(await throughput(kafka, brokers, defs)));
    if (parts.includes('latency')) rows.push(...(await latency(kafka, brokers)));
    if (parts.includes('recovery')) rows.push(...(await recovery(kafka, brokers, defs)));
    return rows;
  } finally {
    await stopPrivateServices();
  }
}
