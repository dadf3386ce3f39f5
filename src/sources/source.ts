// The partitioned-log interfaces auditwatch's Kafka runtime is written against. kafkajs sits
// behind them in sources/kafka.ts (the only file that imports it), so another client can
// replace it by implementing these few types.
//
// Contract every implementation keeps:
//   - records of one partition reach `batch` in offset order, one batch at a time for the whole
//     consumer (no two batches in flight), and a rebalance only happens between batches;
//   - a batch may repeat records already delivered (after a rebalance or a client restart):
//     callers must make re-delivery harmless (the runtime skips offsets it has processed);
//   - `assigned` runs synchronously before fetching starts for a new assignment, and every
//     partition of that assignment stays paused until the caller resumes it.
import { isAuditwatchError } from '../errors.js';

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface SourceRecord {
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Record headers; a header repeated under one name keeps its first value. */
  readonly headers: Readonly<Record<string, Buffer | undefined>>;
  /** Producer (CreateTime) or broker (LogAppendTime) timestamp, epoch ms. */
  readonly timestamp: number;
}

export interface SourceBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly SourceRecord[];
  /** The partition's high watermark when fetched: lag = highWatermark - (last offset + 1). */
  readonly highWatermark: number;
}

export interface OffsetCommit {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to read (Kafka's convention: last processed + 1). */
  readonly offset: number;
  /** Kept by the broker with the offset (at most offset.metadata.max.bytes, 4 KiB by default). */
  readonly metadata: string;
}

/** What a batch handler may do while it holds the batch. */
export interface BatchControl {
  /** Commits in the current group generation, one attempt: a commit can never land in a later generation. */
  commit(commits: readonly OffsetCommit[]): Promise<void>;
  /** Heartbeats the group; rejects with a rebalance error (isRebalance) when the group is rebalancing. */
  heartbeat(): Promise<void>;
}

export interface GroupListener {
  /** The new assignment (eager: the whole set, replacing the previous one). All of it is paused. */
  assigned(partitions: readonly TopicPartition[]): void;
  /** A rebalance noticed outside a batch (before the member rejoins). */
  rebalancing(): void;
  /**
   * Handles a batch. Resolves true once it is consumed (the next fetch continues after it), false
   * to leave the position where it was (the partition is not ready, or the member is stopping).
   */
  batch(batch: SourceBatch, control: BatchControl): Promise<boolean>;
  /** The client lost the cluster after its retries and will reconnect (`down`), or reconnected (`up`). */
  connection(state: 'up' | 'down', detail: string): void;
  /** Consuming stopped for good after the group was joined: an error retrying cannot fix (authorization, say). */
  failed(err: Error): void;
}

export interface GroupConsumerOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Where partitions without a committed offset start. */
  readonly fromBeginning: boolean;
  readonly sessionTimeoutMs: number;
  /** Largest fetch per partition; small values interleave partitions finely (default 4 MiB). */
  readonly maxBytesPerPartition?: number;
}

export interface GroupConsumer {
  /** Joins the group and starts fetching; resolves once the first assignment was handed over. */
  run(listener: GroupListener): Promise<void>;
  /** The next fetch of this partition starts at `offset`. */
  seek(tp: TopicPartition, offset: number): void;
  pause(tps: readonly TopicPartition[]): void;
  resume(tps: readonly TopicPartition[]): void;
  /** Commits outside a batch (idle checkpoints, shutdown). Prefer BatchControl.commit. */
  commit(commits: readonly OffsetCommit[]): Promise<void>;
  /** Stops fetching (waiting for the batch in hand), leaves the group and disconnects. */
  stop(): Promise<void>;
}

export interface CommittedOffset {
  /** Undefined when the group never committed this partition. */
  readonly offset: number | undefined;
  readonly metadata: string | null;
}

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  readonly replicationFactor: number | undefined;
  readonly config: Readonly<Record<string, string>>;
}

export interface LogAdmin {
  /** Partition count, or undefined when the topic does not exist. */
  partitionCount(topic: string): Promise<number | undefined>;
  /** Creates the topic; false when it already existed (another instance won the race). */
  createTopic(spec: TopicSpec): Promise<boolean>;
  /** Named configuration values of a topic (e.g. max.message.bytes). */
  topicConfig(topic: string, names: readonly string[]): Promise<ReadonlyMap<string, string>>;
  committed(groupId: string, topic: string): Promise<ReadonlyMap<number, CommittedOffset>>;
  /** High watermark (next offset to be written) of every partition. */
  endOffsets(topic: string): Promise<ReadonlyMap<number, number>>;
}

export interface OutRecord {
  readonly partition: number;
  readonly key: string | Buffer | null;
  readonly value: string | Buffer | null;
  readonly headers?: Readonly<Record<string, string | Buffer>>;
}

export interface LogWriter {
  /**
   * Appends records to one topic, in order per partition, and resolves when every one is
   * acknowledged by all in-sync replicas, with the offset of the first record per partition.
   * Records of one call to one partition form one batch: keep their total under the topic's
   * max.message.bytes.
   */
  send(topic: string, records: readonly OutRecord[]): Promise<ReadonlyMap<number, number>>;
}

export interface LogReader {
  /**
   * Reads `tp` from `from` (inclusive) up to `to` (exclusive; a high watermark), in offset order.
   * Offsets a compaction removed are simply absent.
   */
  read(tp: TopicPartition, from: number, to: number, onRecords: (records: readonly SourceRecord[]) => void): Promise<void>;
}

/** One connection to a cluster and everything made from it. */
export interface LogClient {
  readonly admin: LogAdmin;
  readonly writer: LogWriter;
  readonly reader: LogReader;
  consumer(opts: GroupConsumerOptions): GroupConsumer;
  /** Verifies that the cluster answers with these credentials (fails fast at startup). */
  connect(): Promise<void>;
  close(): Promise<void>;
}

/** A rebalance noticed by BatchControl.heartbeat (or a commit refused because of one). */
export function isRebalance(err: unknown): boolean {
  return isAuditwatchError(err, 'KAFKA') && err.context.rebalance === true;
}
