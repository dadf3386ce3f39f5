// kafkajs behind the interfaces of source.ts. The only file that imports kafkajs.
//
// kafkajs (2.2.4, no longer released) rebalances eagerly and has no revocation callback: after
// a rebalance it fetches again from the committed offsets, so records are re-delivered. This
// adapter turns what it does offer into the contract of source.ts: the GROUP_JOIN event (emitted
// before fetching restarts) hands over the new assignment paused, commits made while holding a
// batch go out once in the batch's generation (kafkajs' own commitOffsets retries, and a retry
// after a rejoin would land in the next generation), and the consumer's errors keep their
// original kafkajs form where the runner needs it to recognise a rebalance.
import { randomBytes } from 'node:crypto';
import kafkajs from 'kafkajs';
import type { Admin, Consumer, EachBatchPayload, KafkaConfig, KafkaMessage, LogEntry, Producer, SASLOptions } from 'kafkajs';
import { AuditwatchError } from '../errors.js';
import type {
  BatchControl,
  CommittedOffset,
  GroupConsumer,
  GroupConsumerOptions,
  GroupListener,
  LogAdmin,
  LogClient,
  LogReader,
  LogWriter,
  OffsetCommit,
  OutRecord,
  SourceRecord,
  TopicPartition,
  TopicSpec,
} from './source.js';

const { Kafka, logLevel, ConfigResourceTypes, Partitioners } = kafkajs;

/** A secret the client can use without printing it (text/secret.ts's Secret fits). */
export interface PasswordSource {
  reveal(): string;
  scrub(text: string): string;
}

export interface KafkaConnection {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly tls?: { readonly ca?: string; readonly verify: boolean; readonly cert?: string; readonly key?: string; readonly servername?: string };
  readonly sasl?: { readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; readonly username: string; readonly password: PasswordSource };
}

export type SourceLogLevel = 'error' | 'warn' | 'info' | 'debug';
export type SourceLog = (level: SourceLogLevel, message: string, context: Readonly<Record<string, unknown>>) => void;

// Errors retrying cannot fix. Everything else (connection refused, timeouts, leader moves, a
// coordinator loading, and kafkajs' "non-retriable" wrapper around an exhausted connection retry)
// is an outage to wait out: the runtime keeps retrying with backoff and reports not-ready.
const FATAL_TYPES = new Set([
  'SASL_AUTHENTICATION_FAILED',
  'ILLEGAL_SASL_STATE',
  'UNSUPPORTED_SASL_MECHANISM',
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_TOPIC_EXCEPTION',
  'INVALID_REPLICATION_FACTOR',
  'INVALID_PARTITIONS',
  'INVALID_CONFIG',
  'POLICY_VIOLATION',
  'UNSUPPORTED_VERSION',
]);
const AUTH_TYPES = new Set(['SASL_AUTHENTICATION_FAILED', 'ILLEGAL_SASL_STATE', 'UNSUPPORTED_SASL_MECHANISM']);

function classify(err: unknown): { auth: boolean; fatal: boolean; type: string | undefined } {
  let auth = false;
  let fatal = false;
  let type: string | undefined;
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const t = (e as { type?: unknown }).type;
    if (typeof t === 'string') {
      type ??= t;
      if (AUTH_TYPES.has(t)) auth = true;
      if (FATAL_TYPES.has(t)) fatal = true;
    }
    if (e.name === 'KafkaJSSASLAuthenticationError') auth = true;
    if (e.name === 'KafkaJSNotImplemented') fatal = true;
    type ??= e.name.startsWith('KafkaJS') ? e.name : undefined;
  }
  return { auth, fatal: fatal || auth, type };
}

function kafkajsCause(err: unknown): Error | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e.name.startsWith('KafkaJS')) return e;
  }
  return undefined;
}

function describe(err: unknown, password: PasswordSource | undefined): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return password === undefined ? text : password.scrub(text);
}

/** Wraps a kafkajs failure as a KAFKA error with its context; authentication failures are not retriable. */
function kafkaError(what: string, err: unknown, context: Record<string, string | number | boolean | undefined>, password?: PasswordSource): AuditwatchError {
  const { auth, fatal, type } = classify(err);
  const msg = `${what}: ${auth ? 'authentication failed (check kafka.sasl username, mechanism and password)' : describe(err, password)}`;
  return new AuditwatchError('KAFKA', msg, { ...context, kafkaError: type, auth }, { cause: err, retriable: !fatal });
}

const NO_HEADERS: Readonly<Record<string, Buffer | undefined>> = Object.freeze({});

// On the hot path (every record): no allocation beyond the record itself when it has no headers.
function toRecord(m: KafkaMessage): SourceRecord {
  let headers = NO_HEADERS;
  const raw = m.headers;
  if (raw !== undefined) {
    for (const name in raw) {
      if (headers === NO_HEADERS) headers = {};
      const v = raw[name];
      const first = Array.isArray(v) ? v[0] : v;
      (headers as Record<string, Buffer | undefined>)[name] = first === undefined ? undefined : typeof first === 'string' ? Buffer.from(first) : first;
    }
  }
  return { offset: Number(m.offset), key: m.key ?? null, value: m.value ?? null, headers, timestamp: Number(m.timestamp) };
}

function byTopic(tps: readonly TopicPartition[]): { topic: string; partitions: number[] }[] {
  const m = new Map<string, number[]>();
  for (const tp of tps) {
    const list = m.get(tp.topic);
    if (list === undefined) m.set(tp.topic, [tp.partition]);
    else list.push(tp.partition);
  }
  return [...m].map(([topic, partitions]) => ({ topic, partitions }));
}

function commitPayload(commits: readonly OffsetCommit[]): { topic: string; partitions: { partition: number; offset: string; metadata: string }[] }[] {
  const m = new Map<string, { partition: number; offset: string; metadata: string }[]>();
  for (const c of commits) {
    const entry = { partition: c.partition, offset: String(c.offset), metadata: c.metadata };
    const list = m.get(c.topic);
    if (list === undefined) m.set(c.topic, [entry]);
    else list.push(entry);
  }
  return [...m].map(([topic, partitions]) => ({ topic, partitions }));
}

/** How the first start of a group consumer ends: its first assignment, or a failure kafkajs will not restart after. */
interface Startup {
  readonly joined: () => void;
  readonly failed: (err: AuditwatchError) => void;
}

class KafkaGroupConsumer implements GroupConsumer {
  private consumer: Consumer | undefined;
  /** The group was joined once: crashes from now on are recovered from, not startup failures. */
  private joined = false;
  private stopped = false;
  private relaunches = 0;
  private relaunchTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: KafkaClient,
    private readonly opts: GroupConsumerOptions,
  ) {}

  async run(listener: GroupListener): Promise<void> {
    let startup: Startup | undefined;
    const firstAssignment = new Promise<void>((resolve, reject) => (startup = { joined: resolve, failed: reject }));
    const err = await this.launch(listener, startup);
    if (err !== undefined) throw err;
    await firstAssignment;
  }

  /**
   * Starts a kafkajs consumer for the group. Until the first assignment, a crash kafkajs does
   * not restart fails `startup`; after it, kafkajs' own restarts are waited out, and a crash it
   * gives up on (it does for errors it calls non-retriable, such as "failed to find group
   * coordinator" while a restarted broker loads its offsets) starts a new consumer with backoff,
   * unless retrying cannot fix it (authentication, authorization), which `listener.failed` gets.
   * Resolves with the error of a failed connect (undefined once running).
   */
  private async launch(listener: GroupListener, startup?: Startup): Promise<AuditwatchError | undefined> {
    const { opts } = this;
    const consumer = this.client.kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: opts.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.min(3_000, Math.floor(opts.sessionTimeoutMs / 3))),
      // Paused partitions (while restoring) make kafkajs sleep this long between fetch rounds.
      maxWaitTimeInMs: 250,
      maxBytesPerPartition: opts.maxBytesPerPartition ?? 4 * 1024 * 1024,
      maxBytes: 24 * 1024 * 1024,
      allowAutoTopicCreation: false,
      retry: { retries: 8, restartOnFailure: async () => true },
    });
    this.consumer = consumer;
    const ctx = { group: opts.groupId, topics: opts.topics.join(',') };
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      if (this.consumer !== consumer) return;
      this.joined = true;
      this.relaunches = 0;
      const tps: TopicPartition[] = [];
      for (const [topic, partitions] of Object.entries(e.payload.memberAssignment)) for (const partition of partitions) tps.push({ topic, partition });
      // Synchronous, inside kafkajs' emit: fetching has not restarted yet.
      if (tps.length > 0) consumer.pause(byTopic(tps));
      listener.connection('up', `joined group ${opts.groupId} (${tps.length} partitions)`);
      listener.assigned(tps);
      startup?.joined();
    });
    consumer.on(consumer.events.REBALANCING, () => {
      if (this.consumer === consumer) listener.rebalancing();
    });
    consumer.on(consumer.events.CRASH, (e) => {
      if (this.consumer !== consumer || this.stopped) return;
      const err = kafkaError(`consumer group ${opts.groupId}`, e.payload.error, ctx, this.client.password);
      listener.connection('down', `${err.message}${e.payload.restart ? ' (reconnecting)' : ''}`);
      if (!this.joined) {
        if (!e.payload.restart || err.context.auth === true) startup?.failed(err);
        return;
      }
      if (e.payload.restart) return;
      if (!err.retriable) listener.failed(err);
      else this.relaunch(listener, consumer);
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [...opts.topics], fromBeginning: opts.fromBeginning });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: (payload) => this.eachBatch(payload, listener),
      });
      return undefined;
    } catch (err) {
      return kafkaError(`consumer group ${opts.groupId}`, err, ctx, this.client.password);
    }
  }

  /** Replaces a consumer kafkajs gave up on, after a backoff (1 s doubling to 30 s), until one runs. */
  private relaunch(listener: GroupListener, dead: Consumer): void {
    if (this.stopped || this.consumer !== dead || this.relaunchTimer !== undefined) return;
    const delay = Math.min(30_000, 1_000 * 2 ** Math.min(this.relaunches, 5));
    this.relaunches++;
    listener.connection('down', `consumer group ${this.opts.groupId}: the Kafka client stopped consuming; starting a new consumer in ${delay} ms`);
    this.relaunchTimer = setTimeout(() => {
      this.relaunchTimer = undefined;
      if (this.stopped || this.consumer !== dead) return;
      void (async () => {
        await dead.disconnect().catch(() => undefined);
        if (this.stopped) return;
        const err = await this.launch(listener);
        const current = this.consumer;
        if (err !== undefined && current !== undefined && !this.stopped) {
          listener.connection('down', err.message);
          if (!err.retriable) listener.failed(err);
          else this.relaunch(listener, current);
        }
      })();
    }, delay);
  }

  private async eachBatch(p: EachBatchPayload, listener: GroupListener): Promise<void> {
    if (!p.isRunning() || p.isStale() || p.batch.messages.length === 0) return;
    const { topic, partition } = p.batch;
    const control: BatchControl = {
      // A single attempt with the generation of this batch (see the file comment).
      commit: async (commits) => {
        const topics = commitPayload(commits);
        await p.commitOffsetsIfNecessary({ topics });
      },
      heartbeat: async () => {
        try {
          await p.heartbeat();
        } catch (err) {
          throw new AuditwatchError('KAFKA', `group ${this.opts.groupId} is rebalancing`, { group: this.opts.groupId, rebalance: true }, { cause: err, retriable: true });
        }
      },
    };
    let consumed: boolean;
    try {
      consumed = await listener.batch({ topic, partition, records: p.batch.messages.map(toRecord), highWatermark: Number(p.batch.highWatermark) }, control);
    } catch (err) {
      // kafkajs recognises a rebalance only by its own error object.
      throw kafkajsCause(err) ?? err;
    }
    if (consumed) p.resolveOffset(p.batch.lastOffset());
  }

  seek(tp: TopicPartition, offset: number): void {
    this.whileRunning((c) => c.seek({ topic: tp.topic, partition: tp.partition, offset: String(offset) }));
  }

  pause(tps: readonly TopicPartition[]): void {
    if (tps.length > 0) this.whileRunning((c) => c.pause(byTopic(tps)));
  }

  resume(tps: readonly TopicPartition[]): void {
    if (tps.length > 0) this.whileRunning((c) => c.resume(byTopic(tps)));
  }

  /**
   * Between a crash and the restart (kafkajs' or ours) the consumer has no group, and kafkajs
   * throws on seek, pause and resume. They are moot then: the next join hands the whole
   * assignment over paused, and the listener seeks and resumes it again.
   */
  private whileRunning(op: (c: Consumer) => void): void {
    const c = this.consumer;
    if (c === undefined) return;
    try {
      op(c);
    } catch (err) {
      // kafkajs 2.2.4's only way to say it (it is no longer released, so the text stays).
      if (!(err instanceof Error && err.message.includes('consumer#run must be called first'))) throw err;
    }
  }

  async commit(commits: readonly OffsetCommit[]): Promise<void> {
    const consumer = this.consumer;
    if (consumer === undefined || commits.length === 0) return;
    try {
      await consumer.commitOffsets(commits.map((c) => ({ topic: c.topic, partition: c.partition, offset: String(c.offset), metadata: c.metadata })));
    } catch (err) {
      throw kafkaError(`committing offsets of group ${this.opts.groupId}`, err, { group: this.opts.groupId }, this.client.password);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.relaunchTimer);
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.disconnect();
  }
}

/**
 * Reads partition ranges through a private consumer group per topic (kafkajs has no manual
 * assignment): every partition stays paused except the ones being read, from a seek.
 */
class KafkaRangeReader implements LogReader {
  private readonly readers = new Map<string, Promise<TopicReader>>();

  constructor(private readonly client: KafkaClient) {}

  read(tp: TopicPartition, from: number, to: number, onRecords: (records: readonly SourceRecord[]) => void): Promise<void> {
    if (from >= to) return Promise.resolve();
    let reader = this.readers.get(tp.topic);
    if (reader === undefined) {
      const started = TopicReader.start(this.client, tp.topic, () => {
        // Its consumer is gone for good: the next read starts another.
        if (this.readers.get(tp.topic) === started) this.readers.delete(tp.topic);
      });
      reader = started;
      this.readers.set(tp.topic, started);
      started.catch(() => {
        if (this.readers.get(tp.topic) === started) this.readers.delete(tp.topic);
      });
    }
    return reader.then((r) => r.read(tp.partition, from, to, onRecords));
  }

  async close(): Promise<void> {
    const all = [...this.readers.values()];
    this.readers.clear();
    await Promise.allSettled(all.map(async (r) => (await r).close()));
  }
}

/** A read that makes no progress for this long fails (retriable): the caller tries again. */
const READ_STALL_MS = 60_000;

interface PendingRead {
  next: number;
  progressAt: number;
  readonly to: number;
  readonly onRecords: (records: readonly SourceRecord[]) => void;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

class TopicReader {
  private readonly pending = new Map<number, PendingRead>();
  private partitions: number[] = [];
  /** kafkajs gave up on the consumer: no more reads here. */
  private dead = false;

  private constructor(
    private readonly consumer: Consumer,
    private readonly topic: string,
  ) {}

  /** `onDead`: kafkajs gave up on the consumer (it does not restart after an error it calls non-retriable). */
  static async start(client: KafkaClient, topic: string, onDead: () => void): Promise<TopicReader> {
    const groupId = `${client.clientId}-reader-${randomBytes(6).toString('hex')}`;
    const consumer = client.kafka.consumer({ groupId, maxWaitTimeInMs: 100, maxBytesPerPartition: 8 * 1024 * 1024, allowAutoTopicCreation: false, retry: { retries: 8 } });
    const reader = new TopicReader(consumer, topic);
    let joined: () => void = () => undefined;
    let joinFailed: (err: unknown) => void = () => undefined;
    const firstJoin = new Promise<void>((resolve, reject) => {
      joined = resolve;
      joinFailed = reject;
    });
    consumer.on(consumer.events.CRASH, (e) => {
      if (e.payload.restart || reader.dead) return;
      // Retriable unless retrying cannot fix it: the caller's retry then gets a new reader.
      const err = kafkaError(`reading ${topic}`, e.payload.error, { topic }, client.password);
      reader.dead = true;
      onDead();
      joinFailed(err);
      for (const p of [...reader.pending.keys()]) reader.finish(p, err);
    });
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      reader.partitions = e.payload.memberAssignment[topic] ?? [];
      // Everything paused, then the reads in progress (after a rejoin) seek again. Always by
      // explicit partition lists: kafkajs forgets a topic-wide pause at the first partition pause.
      if (reader.partitions.length > 0) consumer.pause([{ topic, partitions: [...reader.partitions] }]);
      for (const [p, r] of reader.pending) {
        consumer.seek({ topic, partition: p, offset: String(r.next) });
        consumer.resume([{ topic, partitions: [p] }]);
      }
      joined();
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (p) => reader.onBatch(p) });
    } catch (err) {
      await consumer.disconnect().catch(() => undefined);
      throw kafkaError(`reading ${topic}`, err, { topic }, client.password);
    }
    await firstJoin;
    return reader;
  }

  read(partition: number, from: number, to: number, onRecords: (records: readonly SourceRecord[]) => void): Promise<void> {
    if (this.dead) return Promise.reject(new AuditwatchError('KAFKA', `the reader of ${this.topic} stopped; read again`, { topic: this.topic, partition }, { retriable: true }));
    if (this.pending.has(partition)) return Promise.reject(new AuditwatchError('INTERNAL', `a read of ${this.topic}/${partition} is already in progress`, { topic: this.topic, partition }));
    if (!this.partitions.includes(partition)) return Promise.reject(new AuditwatchError('KAFKA', `${this.topic} has no partition ${partition}`, { topic: this.topic, partition }));
    return new Promise<void>((resolve, reject) => {
      this.pending.set(partition, { next: from, progressAt: Date.now(), to, onRecords, resolve, reject });
      try {
        this.consumer.seek({ topic: this.topic, partition, offset: String(from) });
        this.consumer.resume([{ topic: this.topic, partitions: [partition] }]);
      } catch (err) {
        // The consumer is crashing (kafkajs drops its group before it reports the crash).
        this.pending.delete(partition);
        reject(new AuditwatchError('KAFKA', `reading ${this.topic}/${partition}: the reader is restarting; read again`, { topic: this.topic, partition }, { cause: err, retriable: true }));
        return;
      }
      this.watch();
    });
  }

  private watchdog: NodeJS.Timeout | undefined;

  /** Fails reads that stopped making progress (the consumer lost the cluster and has not come back). */
  private watch(): void {
    if (this.watchdog !== undefined) return;
    this.watchdog = setInterval(() => {
      const now = Date.now();
      for (const [p, r] of this.pending) {
        if (now - r.progressAt > READ_STALL_MS) this.finish(p, new AuditwatchError('KAFKA', `reading ${this.topic}/${p} made no progress for ${READ_STALL_MS / 1000} s (at offset ${r.next} of ${r.to})`, { topic: this.topic, partition: p, offset: r.next }, { retriable: true }));
      }
      if (this.pending.size === 0) {
        clearInterval(this.watchdog);
        this.watchdog = undefined;
      }
    }, 1_000);
    this.watchdog.unref();
  }

  private async onBatch(p: EachBatchPayload): Promise<void> {
    const r = this.pending.get(p.batch.partition);
    if (r === undefined || p.isStale()) return;
    const records: SourceRecord[] = [];
    for (const m of p.batch.messages) {
      const offset = Number(m.offset);
      if (offset >= r.next && offset < r.to) records.push(toRecord(m));
    }
    const last = Number(p.batch.lastOffset());
    try {
      if (records.length > 0) r.onRecords(records);
    } catch (err) {
      this.finish(p.batch.partition, err);
      return;
    }
    r.next = Math.max(r.next, last + 1);
    r.progressAt = Date.now();
    p.resolveOffset(p.batch.lastOffset());
    if (r.next >= r.to) this.finish(p.batch.partition);
  }

  private finish(partition: number, err?: unknown): void {
    const r = this.pending.get(partition);
    this.pending.delete(partition);
    // A dead consumer has no group to pause in (kafkajs would throw).
    if (!this.dead) this.consumer.pause([{ topic: this.topic, partitions: [partition] }]);
    if (err === undefined) r?.resolve();
    else r?.reject(err);
  }

  async close(): Promise<void> {
    for (const p of [...this.pending.keys()]) this.finish(p, new AuditwatchError('KAFKA', `reader of ${this.topic} closed`, { topic: this.topic }));
    await this.consumer.disconnect();
  }
}

class KafkaLogAdmin implements LogAdmin {
  constructor(
    private readonly admin: Admin,
    private readonly password: PasswordSource | undefined,
  ) {}

  async partitionCount(topic: string): Promise<number | undefined> {
    try {
      if (!(await this.admin.listTopics()).includes(topic)) return undefined;
      const { topics } = await this.admin.fetchTopicMetadata({ topics: [topic] });
      return topics[0]?.partitions.length;
    } catch (err) {
      throw kafkaError(`reading the metadata of topic ${topic}`, err, { topic }, this.password);
    }
  }

  async createTopic(spec: TopicSpec): Promise<boolean> {
    try {
      const created = await this.admin.createTopics({
        // kafkajs' own wait gives up when the new topic's metadata is not visible yet (KRaft).
        waitForLeaders: false,
        topics: [
          {
            topic: spec.topic,
            numPartitions: spec.partitions,
            replicationFactor: spec.replicationFactor ?? -1,
            configEntries: Object.entries(spec.config).map(([name, value]) => ({ name, value })),
          },
        ],
      });
      await this.waitForLeaders(spec.topic, spec.partitions);
      return created;
    } catch (err) {
      throw kafkaError(`creating topic ${spec.topic}`, err, { topic: spec.topic }, this.password);
    }
  }

  private async waitForLeaders(topic: string, partitions: number): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (let delay = 50; ; delay = Math.min(1_000, delay * 2)) {
      try {
        const { topics } = await this.admin.fetchTopicMetadata({ topics: [topic] });
        const ps = topics[0]?.partitions ?? [];
        if (ps.length >= partitions && ps.every((p) => p.leader >= 0)) return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
      if (Date.now() > deadline) throw new AuditwatchError('KAFKA', `topic ${topic} has no leader for every partition 30 s after it was created`, { topic }, { retriable: true });
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  async topicConfig(topic: string, names: readonly string[]): Promise<ReadonlyMap<string, string>> {
    try {
      const res = await this.admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: [...names] }] });
      return new Map((res.resources[0]?.configEntries ?? []).map((e) => [e.configName, e.configValue]));
    } catch (err) {
      throw kafkaError(`reading the configuration of topic ${topic}`, err, { topic }, this.password);
    }
  }

  async committed(groupId: string, topic: string): Promise<ReadonlyMap<number, CommittedOffset>> {
    try {
      const res = await this.admin.fetchOffsets({ groupId, topics: [topic] });
      const out = new Map<number, CommittedOffset>();
      for (const p of res[0]?.partitions ?? []) {
        const n = Number(p.offset);
        out.set(p.partition, { offset: n >= 0 ? n : undefined, metadata: p.metadata });
      }
      return out;
    } catch (err) {
      throw kafkaError(`reading the offsets of group ${groupId} on ${topic}`, err, { group: groupId, topic }, this.password);
    }
  }

  async endOffsets(topic: string): Promise<ReadonlyMap<number, number>> {
    try {
      return new Map((await this.admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
    } catch (err) {
      throw kafkaError(`reading the end offsets of ${topic}`, err, { topic }, this.password);
    }
  }
}

class KafkaLogWriter implements LogWriter {
  private connected: Promise<void> | undefined;

  constructor(
    private readonly producer: Producer,
    private readonly password: PasswordSource | undefined,
  ) {}

  async send(topic: string, records: readonly OutRecord[]): Promise<ReadonlyMap<number, number>> {
    if (records.length === 0) return new Map();
    try {
      this.connected ??= this.producer.connect();
      await this.connected;
      const res = await this.producer.send({
        topic,
        acks: -1,
        messages: records.map((r) => ({ partition: r.partition, key: r.key, value: r.value, headers: r.headers === undefined ? undefined : { ...r.headers } })),
      });
      const out = new Map<number, number>();
      for (const m of res) out.set(m.partition, Number(m.baseOffset ?? m.offset ?? -1));
      return out;
    } catch (err) {
      // A failed connect must be retried by the next send.
      this.connected = undefined;
      throw kafkaError(`writing to ${topic}`, err, { topic, partitions: [...new Set(records.map((r) => r.partition))].join(',') }, this.password);
    }
  }

  async close(): Promise<void> {
    if (this.connected !== undefined) await this.producer.disconnect();
  }
}

const LEVELS: Readonly<Record<number, SourceLogLevel>> = { [logLevel.ERROR]: 'error', [logLevel.WARN]: 'warn', [logLevel.INFO]: 'info', [logLevel.DEBUG]: 'debug' };

/** The kafkajs client; create one per process. */
export class KafkaClient implements LogClient {
  readonly kafka: InstanceType<typeof Kafka>;
  readonly clientId: string;
  readonly password: PasswordSource | undefined;
  readonly admin: LogAdmin;
  readonly writer: KafkaLogWriter;
  readonly reader: KafkaRangeReader;
  private readonly adminClient: Admin;
  private adminConnected: Promise<void> | undefined;

  constructor(conn: KafkaConnection, log: SourceLog) {
    this.clientId = conn.clientId;
    this.password = conn.sasl?.password;
    const scrub = (text: string): string => (this.password === undefined ? text : this.password.scrub(text));
    const config: KafkaConfig = {
      clientId: conn.clientId,
      brokers: [...conn.brokers],
      connectionTimeout: 5_000,
      requestTimeout: 30_000,
      retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: 8 },
      logLevel: logLevel.WARN,
      logCreator: () => (entry: LogEntry) => {
        const { message, timestamp: _t, logger: _l, ...rest } = entry.log;
        log(LEVELS[entry.level] ?? 'info', scrub(`kafkajs${entry.namespace ? ` ${entry.namespace}` : ''}: ${String(message)}`), rest);
      },
    };
    if (conn.tls !== undefined) {
      config.ssl = { rejectUnauthorized: conn.tls.verify, ca: conn.tls.ca, cert: conn.tls.cert, key: conn.tls.key, servername: conn.tls.servername };
    }
    if (conn.sasl !== undefined) {
      const pw = conn.sasl.password;
      // kafkajs reads `password` when it authenticates; a getter keeps the value out of the config object's printed form.
      const sasl = { mechanism: conn.sasl.mechanism, username: conn.sasl.username } as { mechanism: typeof conn.sasl.mechanism; username: string; password: string };
      Object.defineProperty(sasl, 'password', { get: () => pw.reveal(), enumerable: false });
      config.sasl = sasl as SASLOptions;
    }
    this.kafka = new Kafka(config);
    this.adminClient = this.kafka.admin({ retry: { retries: 5 } });
    this.admin = new KafkaLogAdmin(this.adminClient, this.password);
    this.writer = new KafkaLogWriter(this.kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1, idempotent: false, createPartitioner: Partitioners.DefaultPartitioner }), this.password);
    this.reader = new KafkaRangeReader(this);
  }

  async connect(): Promise<void> {
    try {
      this.adminConnected ??= this.adminClient.connect();
      await this.adminConnected;
      await this.adminClient.describeCluster();
    } catch (err) {
      this.adminConnected = undefined;
      throw kafkaError(`connecting to Kafka (${this.clientId})`, err, {}, this.password);
    }
  }

  consumer(opts: GroupConsumerOptions): GroupConsumer {
    return new KafkaGroupConsumer(this, opts);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.reader.close(), this.writer.close(), this.adminClient.disconnect()]);
  }
}

export function createKafkaClient(conn: KafkaConnection, log: SourceLog): LogClient {
  return new KafkaClient(conn, log);
}
