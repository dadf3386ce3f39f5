// Wires the Kafka runtime: client → topics → (re-key stage) → detection stage → deliverer, and
// stops it gracefully: stop fetching, finish the batch in hand, checkpoint, commit, leave.
import type { DetectorDef } from '../../config/detectors.js';
import type { KafkaSettings } from '../../config/sections/kafka.js';
import { AuditwatchError } from '../../errors.js';
import { parseLine, type ParseResult } from '../../events/parse.js';
import { createKafkaClient, type SourceLogLevel } from '../../sources/kafka.js';
import type { LogClient } from '../../sources/source.js';
import { KafkaCounters } from './counters.js';
import type { Deliverer } from './deliver.js';
import { DetectionStage, type PartitionStatus } from './detection.js';
import { DurableSender } from './durable-send.js';
import type { KafkaLog } from './log.js';
import { Readiness } from './readiness.js';
import { RekeyStage } from './rekey.js';
import { StateLog } from './state-log.js';
import { prepareTopics, type TopicLayout } from './topics.js';

export interface KafkaRuntimeOptions {
  readonly settings: KafkaSettings;
  readonly defs: readonly DetectorDef[];
  readonly latenessMs: number;
  readonly maxBytes: number;
  /** Decodes one message value; default: the canonical JSON format. */
  readonly decode?: (text: string) => ParseResult;
  readonly deliverer: Deliverer;
  readonly log: KafkaLog;
  readonly readiness?: Readiness;
  /** Another log client than kafkajs (tests of the runtime against a fake). */
  readonly client?: LogClient;
  /** kafkajs' own log lines at this level and above reach the log (default warn). */
  readonly clientLogLevel?: SourceLogLevel;
  /** Each checkpoint written and committed (metrics). */
  readonly onCheckpoint?: (partition: number, durationMs: number, bytes: number) => void;
}

export interface RuntimeStatus {
  readonly ready: boolean;
  readonly detectionTopic: string;
  readonly partitions: readonly PartitionStatus[];
  readonly counters: KafkaCounters;
}

const LEVEL_RANK: Readonly<Record<SourceLogLevel, number>> = { error: 3, warn: 2, info: 1, debug: 0 };

export class KafkaRuntime {
  readonly counters = new KafkaCounters();
  readonly readiness: Readiness;
  private detection: DetectionStage | undefined;
  private rekey: RekeyStage | undefined;
  private sender: DurableSender | undefined;
  private layout: TopicLayout | undefined;
  private stopped: Promise<void> | undefined;
  private fail: (err: unknown) => void = () => undefined;
  /** Rejects when the runtime fails for good (a missing checkpoint, a refused write). */
  readonly failed: Promise<never>;

  private constructor(
    private readonly o: KafkaRuntimeOptions,
    private readonly client: LogClient,
  ) {
    this.readiness = o.readiness ?? new Readiness();
    this.failed = new Promise<never>((_, reject) => (this.fail = reject));
    // Observed by whoever awaits it; never an unhandled rejection on its own.
    this.failed.catch(() => undefined);
  }

  static async start(o: KafkaRuntimeOptions): Promise<KafkaRuntime> {
    const s = o.settings;
    const password = s.sasl?.password;
    const minRank = LEVEL_RANK[o.clientLogLevel ?? 'warn'];
    const client =
      o.client ??
      createKafkaClient(
        {
          brokers: s.brokers,
          clientId: s.clientId,
          ...(s.tls === undefined ? {} : { tls: { ...s.tls, ca: s.tls.ca, cert: s.tls.cert, key: s.tls.key, servername: s.tls.servername } }),
          ...(s.sasl === undefined || password === undefined ? {} : { sasl: { mechanism: s.sasl.mechanism, username: s.sasl.username, password } }),
        },
        (level, message) => {
          if (LEVEL_RANK[level] >= minRank) o.log.log(level === 'debug' ? 'info' : level === 'error' ? 'warn' : level, message);
        },
      );
    const rt = new KafkaRuntime(o, client);
    try {
      await rt.begin();
    } catch (err) {
      await rt.shutdown(Date.now() + 5_000).catch(() => undefined);
      throw err;
    }
    return rt;
  }

  private async begin(): Promise<void> {
    const { o, client, counters, readiness } = this;
    const s = o.settings;
    if (s.tls !== undefined && !s.tls.verify) o.log.log('warn', 'kafka.tls.verify is off: the brokers\' certificates are not checked');
    readiness.expect('kafka', `connecting to ${s.brokers.join(',')}`);
    await client.connect();
    const layout = await prepareTopics(client.admin, s, o.log, o.maxBytes);
    this.layout = layout;
    const decode = o.decode ?? ((text: string) => parseLine(text, o.maxBytes));
    const sender = new DurableSender(client.writer, o.log, readiness, 'producer');
    this.sender = sender;
    const rekeyed = s.keyedBy !== 'callerId';
    const cfg = { topic: layout.detectionTopic, defs: o.defs, latenessMs: o.latenessMs, maxBytes: o.maxBytes, decode, rekeyed };
    const stateLog = new StateLog(sender, s.stateTopic, layout.chunkBytes);
    const detection = new DetectionStage(
      {
        reader: client.reader,
        stateTopic: s.stateTopic,
        cfg,
        counters,
        log: o.log,
        now: Date.now,
        groupId: s.groupId,
        admin: client.admin,
        stateLog,
        sender,
        deliverer: o.deliverer,
        deadLetterTopic: s.deadLetterTopic,
        deadLetterPartitions: layout.deadLetterPartitions,
        deadLetterValueBytes: layout.deadLetterValueBytes,
        checkpointIntervalMs: s.checkpointIntervalMs,
        checkpointEvents: s.checkpointEvents,
        readiness,
        onFatal: (err) => this.fatal(err),
        onCheckpoint: o.onCheckpoint,
      },
      layout.detectionTopic,
    );
    this.detection = detection;
    const starts = [
      detection.start(client.consumer({ groupId: s.groupId, topics: [layout.detectionTopic], fromBeginning: rekeyed || s.startFrom === 'earliest', sessionTimeoutMs: s.sessionTimeoutMs })),
    ];
    if (rekeyed) {
      const rekey = new RekeyStage({
        byCallerTopic: layout.detectionTopic,
        byCallerPartitions: layout.detectionPartitions,
        deadLetterTopic: s.deadLetterTopic,
        deadLetterPartitions: layout.deadLetterPartitions,
        deadLetterValueBytes: layout.deadLetterValueBytes,
        maxBytes: o.maxBytes,
        decode,
        sender,
        counters,
        log: o.log,
        readiness,
        onFatal: (err) => this.fatal(err),
      });
      this.rekey = rekey;
      // Small fetches interleave the input partitions finely in the by-caller topic: a backlog
      // read partition after partition would put each caller's events far out of order there.
      starts.push(
        rekey.start(client.consumer({ groupId: `${s.groupId}-rekey`, topics: s.inputTopics, fromBeginning: s.startFrom === 'earliest', sessionTimeoutMs: s.sessionTimeoutMs, maxBytesPerPartition: 64 * 1024 })),
      );
    }
    await Promise.all(starts);
    o.log.log('info', `consuming ${rekeyed ? `${s.inputTopics.join(', ')} (re-keyed by callerId into ${layout.detectionTopic})` : layout.detectionTopic} as group ${s.groupId}; checkpoints in ${s.stateTopic}, dead letters in ${s.deadLetterTopic}`);
  }

  private fatal(err: unknown): void {
    this.o.log.log('error', `stopping: ${err instanceof Error ? err.message : String(err)}`);
    this.fail(err);
  }

  /**
   * Records ever written to the input topics, all partitions (the sum of their end offsets), read
   * from the brokers: what arrived topic-wide, whichever instance of the group consumes it. The
   * dead-man's switch counts this on the leader, which only processes its own partitions.
   */
  async topicArrivals(): Promise<number> {
    let total = 0;
    for (const topic of this.o.settings.inputTopics) for (const end of (await this.client.admin.endOffsets(topic)).values()) total += end;
    return total;
  }

  status(): RuntimeStatus {
    return { ready: this.readiness.ready, detectionTopic: this.layout?.detectionTopic ?? '', partitions: this.detection?.partitions() ?? [], counters: this.counters };
  }

  /**
   * Graceful stop: stop fetching, finish the batch in hand, checkpoint and commit every
   * partition, leave the groups, disconnect. Resolves true when all of it happened by `deadline`.
   */
  stop(deadline = Date.now() + 30_000): Promise<boolean> {
    const run = (this.stopped ??= this.shutdown(deadline));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
    });
    const done = run.then(
      () => true,
      (err: unknown) => {
        this.o.log.log('error', err instanceof Error ? err.message : String(err));
        return false;
      },
    );
    return Promise.race([done, late]).finally(() => {
      clearTimeout(timer);
      // Whatever is still retrying gives up now: the process is about to exit.
      this.sender?.stop();
    });
  }

  private async shutdown(deadline: number): Promise<void> {
    const results = await Promise.allSettled([this.rekey?.stop(), this.detection?.stop(deadline)]);
    this.sender?.stop();
    await this.client.close();
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw new AuditwatchError('KAFKA', `shutdown incomplete: ${failed.reason instanceof Error ? failed.reason.message : String(failed.reason)}`, {}, { cause: failed.reason });
  }
}
