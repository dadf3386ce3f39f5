// The detection stage: one PartitionTask per assigned partition of the detection topic.
//
// Batches, checkpoints and assignment changes never interleave (one lock). A checkpoint is a
// snapshot written to the state partition, then the offset it covers committed with a pointer
// to it as metadata: offsets are only ever committed once the state covering them is durable.
// Checkpoints are taken while holding a batch (so the commit goes out in the batch's group
// generation), when a rebalance is noticed there (kafkajs' closest thing to a revocation hook),
// after a quiet spell, and on shutdown.
import { decodeRef, encodeRef, type CheckpointRef } from '../../sources/checkpoint.js';
import { deadLetterRecord } from '../../sources/dead-letter.js';
import { isRebalance, type BatchControl, type GroupConsumer, type GroupListener, type LogAdmin, type OffsetCommit, type SourceBatch, type TopicPartition } from '../../sources/source.js';
import type { Deliverer, KafkaNotification } from './deliver.js';
import { splitBySize, type DurableSender } from './durable-send.js';
import type { KafkaLog } from './log.js';
import type { Readiness } from './readiness.js';
import { restoreTask, type RestoreDeps } from './restore.js';
import type { StateLog } from './state-log.js';
import type { BatchResult, PartitionTask } from './task.js';
import { pendingJson } from './task-snapshot.js';

export interface DetectionDeps extends RestoreDeps {
  readonly groupId: string;
  readonly admin: LogAdmin;
  readonly stateLog: StateLog;
  readonly sender: DurableSender;
  readonly deliverer: Deliverer;
  readonly deadLetterTopic: string;
  readonly deadLetterPartitions: number;
  /** Original bytes kept in a dead letter. */
  readonly deadLetterValueBytes: number;
  readonly checkpointIntervalMs: number;
  readonly checkpointEvents: number;
  readonly readiness: Readiness;
  /** A failure the stage cannot recover from (a missing checkpoint, a refused write). */
  readonly onFatal: (err: unknown) => void;
  /** A checkpoint was written and committed (metrics). */
  readonly onCheckpoint?: (partition: number, durationMs: number, bytes: number) => void;
}

type Commit = (commits: readonly OffsetCommit[]) => Promise<void>;

export interface PartitionStatus {
  readonly partition: number;
  /** Next offset to process. */
  readonly next: number | undefined;
  /** Offset of the last committed checkpoint. */
  readonly committed: number | undefined;
  readonly lag: number | undefined;
  /** Largest accepted event time, epoch ms. */
  readonly streamTime: number | undefined;
}

const IDLE_CHECK_MS = 1_000;
const RESTORE_CONCURRENCY = 3;

export class DetectionStage implements GroupListener {
  private consumer: GroupConsumer | undefined;
  private readonly tasks = new Map<number, PartitionTask>();
  private assignment: readonly number[] = [];
  private epoch = 0;
  private rebalancingNow = false;
  private stopping = false;
  private lock: Promise<unknown> = Promise.resolve();
  private busy = false;
  private lastBatchAt = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Lag per partition at its last batch. */
  readonly lag = new Map<number, number>();

  constructor(
    private readonly d: DetectionDeps,
    readonly topic: string,
  ) {
    d.readiness.expect('detection', 'waiting for a partition assignment');
  }

  start(consumer: GroupConsumer): Promise<void> {
    this.consumer = consumer;
    this.idleTimer = setInterval(() => void this.idleCheckpoint(), IDLE_CHECK_MS);
    this.idleTimer.unref();
    return consumer.run(this);
  }

  /** Partitions currently processed here, with where they are. */
  partitions(): PartitionStatus[] {
    return [...this.tasks].map(([p, t]) => ({
      partition: p,
      next: t.next,
      committed: t.committed?.offset,
      lag: this.lag.get(p),
      streamTime: Number.isFinite(t.engine.watermark) ? t.engine.watermark : undefined,
    }));
  }

  get assignedPartitions(): readonly number[] {
    return this.assignment;
  }

  // ---- GroupListener ------------------------------------------------------------------------

  assigned(tps: readonly TopicPartition[]): void {
    this.epoch++;
    this.rebalancingNow = false;
    this.assignment = tps.filter((tp) => tp.topic === this.topic).map((tp) => tp.partition);
    this.d.readiness.set('detection', false, `restoring ${this.assignment.length} partition(s)`);
    const epoch = this.epoch;
    this.handleAssignment(epoch).catch((err: unknown) => this.d.onFatal(err));
  }

  rebalancing(): void {
    this.rebalancingNow = true;
    this.d.readiness.set('detection', false, 'group rebalancing');
  }

  connection(state: 'up' | 'down', detail: string): void {
    this.d.readiness.set('kafka', state === 'up', detail);
    this.d.log.log(state === 'up' ? 'info' : 'warn', `detection consumer: ${detail}`);
  }

  failed(err: Error): void {
    this.d.onFatal(err);
  }

  batch(b: SourceBatch, control: BatchControl): Promise<boolean> {
    if (this.stopping) return Promise.resolve(false);
    return this.locked(async () => {
      const task = this.tasks.get(b.partition);
      if (this.stopping || task === undefined || b.topic !== this.topic) return false;
      this.busy = true;
      try {
        const res: BatchResult = { notifications: [], rejected: [] };
        task.process(b.records, res);
        if (task.next !== undefined) this.lag.set(b.partition, Math.max(0, b.highWatermark - task.next));
        await this.hand(task, res);
        await this.checkpointDue((cs) => control.commit(cs));
        try {
          await control.heartbeat();
        } catch (err) {
          // The group is rebalancing and this member has not rejoined yet: the last moment a
          // checkpoint of everything can still be committed in this generation.
          if (isRebalance(err)) await this.checkpointAll((cs) => control.commit(cs), true);
          throw err;
        }
        this.lastBatchAt = Date.now();
        return true;
      } finally {
        this.busy = false;
      }
    });
  }

  // ---- processing -----------------------------------------------------------------------------

  /** Dead letters and notifications of a batch; returns once the dead letters and acks are durable. */
  private async hand(task: PartitionTask, res: BatchResult): Promise<void> {
    const { d } = this;
    if (res.rejected.length > 0) {
      const records = res.rejected.map(({ record, rejection }) => {
        d.counters.reject(rejection.reason);
        return deadLetterRecord(d.deadLetterPartitions, { topic: this.topic, partition: task.partition, offset: record.offset, timestamp: record.timestamp }, record.value, rejection, d.deadLetterValueBytes);
      });
      for (const part of splitBySize(records, 900 * 1024)) await d.sender.send(d.deadLetterTopic, part);
      d.counters.deadLettered += records.length;
    }
    if (res.notifications.length > 0) this.submit(task, res.notifications);
    // Acks of what was delivered are durable before the next batch: a rebalance happens only
    // between batches, so the next owner of the partition sees them.
    await d.stateLog.flush();
  }

  private submit(task: PartitionTask, ns: readonly KafkaNotification[]): void {
    this.d.counters.notifications += ns.length;
    this.d.deliverer.submit(ns, (n) => {
      this.d.stateLog.ack(n.partition, { v: 1, id: n.id, offset: n.offset });
      if (this.tasks.get(n.partition) === task) task.acked.set(n.id, n.offset);
    });
  }

  // ---- checkpoints ----------------------------------------------------------------------------

  private async checkpointDue(commit: Commit): Promise<void> {
    const now = Date.now();
    for (const task of this.tasks.values()) {
      if (task.dirty > 0 && (task.dirty >= this.d.checkpointEvents || now - task.lastCheckpointAt >= this.d.checkpointIntervalMs)) await this.checkpoint(task, commit);
    }
  }

  private async checkpointAll(commit: Commit, swallow: boolean): Promise<void> {
    for (const task of [...this.tasks.values()]) {
      try {
        await this.checkpoint(task, commit);
      } catch (err) {
        if (!swallow) throw err;
        this.d.log.log('warn', `${this.topic}/${task.partition}: checkpoint before the rebalance failed (its records will be replayed): ${describe(err)}`);
      }
    }
  }

  private async checkpoint(task: PartitionTask, commit: Commit): Promise<void> {
    const { d } = this;
    const offset = task.next;
    if (offset === undefined || (task.dirty === 0 && task.committed?.offset === offset)) return;
    const p = task.partition;
    const snapshot = task.snapshot(pendingJson(d.deliverer.pending(p)));
    const streamTime = Number.isFinite(task.engine.watermark) ? task.engine.watermark : null;
    const prev = task.committed?.ref;
    const slot: 0 | 1 = prev === undefined ? 0 : prev.slot === 0 ? 1 : 0;
    const chunks: [number, number] = prev === undefined ? [0, 0] : [prev.chunks[0], prev.chunks[1]];
    const obsolete = [...task.acked].filter(([, o]) => o < offset).map(([id]) => id);
    const dirty = task.dirty;
    const started = Date.now();
    task.dirty = 0;
    task.lastCheckpointAt = started;
    let ref: CheckpointRef;
    let bytes: number;
    try {
      const written = await d.stateLog.writeSnapshot(p, slot, snapshot, chunks[slot]);
      chunks[slot] = written.chunks;
      bytes = written.bytes;
      ref = { v: 1, stateOffset: written.stateOffset, slot, id: written.id, streamTime, chunks };
      await commit([{ topic: this.topic, partition: p, offset, metadata: encodeRef(ref) }]);
    } catch (err) {
      d.counters.commitFailures++;
      // Not covered after all: the next checkpoint tries again.
      task.dirty += Math.max(1, dirty);
      throw err;
    }
    d.counters.checkpoints++;
    d.counters.checkpointBytes += bytes;
    d.onCheckpoint?.(p, Date.now() - started, bytes);
    task.committed = { offset, ref };
    for (const id of obsolete) task.acked.delete(id);
    d.stateLog.forget(p, obsolete);
  }

  /** Commits what changed once the partitions have been quiet for a while (nothing else would). */
  private async idleCheckpoint(): Promise<void> {
    const consumer = this.consumer;
    if (consumer === undefined || this.stopping || this.rebalancingNow || this.busy || Date.now() - this.lastBatchAt < IDLE_CHECK_MS) return;
    const now = Date.now();
    if (![...this.tasks.values()].some((t) => t.dirty > 0 && now - t.lastCheckpointAt >= IDLE_CHECK_MS)) return;
    const epoch = this.epoch;
    await this.locked(async () => {
      for (const task of [...this.tasks.values()]) {
        if (this.stopping || this.rebalancingNow || epoch !== this.epoch || task.dirty === 0) continue;
        // Outside a batch kafkajs retries a failed commit, possibly after a rejoin: commit only
        // while no rebalance has been seen since the assignment this checkpoint belongs to.
        await this.checkpoint(task, async (cs) => {
          if (this.rebalancingNow || epoch !== this.epoch) throw new Error('rebalance started');
          await consumer.commit(cs);
        });
      }
    }).catch((err: unknown) => {
      if (!this.stopping) this.d.log.log('warn', `${this.topic}: idle checkpoint not committed (the records since the last one will be replayed if needed): ${describe(err)}`);
    });
  }

  // ---- assignment -----------------------------------------------------------------------------

  private async handleAssignment(epoch: number): Promise<void> {
    const { d } = this;
    const consumer = this.consumer;
    if (consumer === undefined) return;
    await this.locked(async () => {
      if (epoch !== this.epoch) return;
      const wanted = new Set(this.assignment);
      for (const [p] of this.tasks) {
        if (!wanted.has(p)) this.drop(p, 'revoked');
      }
      await d.stateLog.flush();
    });
    if (epoch !== this.epoch) return;
    const [committed, ends] = await retrying(() => Promise.all([d.admin.committed(d.groupId, this.topic), d.admin.endOffsets(d.stateLog.topic)]), () => epoch !== this.epoch || this.stopping, d.log);
    if (epoch !== this.epoch) return;
    const restores: number[] = [];
    for (const p of this.assignment) {
      const task = this.tasks.get(p);
      const c = committed.get(p);
      const sameCommit = task !== undefined && (task.committed === undefined ? c?.offset === undefined : c?.offset === task.committed.offset && decodeRef(c.metadata)?.id === task.committed.ref.id);
      if (task !== undefined && sameCommit && d.stateLog.knownEnd(p) === (ends.get(p) ?? 0)) {
        // Nobody else touched it since our last commit: keep the engine, continue where it was.
        if (task.next !== undefined) consumer.seek({ topic: this.topic, partition: p }, task.next);
        consumer.resume([{ topic: this.topic, partition: p }]);
        continue;
      }
      if (task !== undefined) this.drop(p, 'changed elsewhere');
      restores.push(p);
    }
    let i = 0;
    const worker = async (): Promise<void> => {
      while (i < restores.length && epoch === this.epoch && !this.stopping) {
        const p = restores[i++] as number;
        const end = ends.get(p) ?? 0;
        const { task, redeliver } = await retrying(() => restoreTask(d, p, committed.get(p), end), () => epoch !== this.epoch || this.stopping, d.log);
        if (epoch !== this.epoch || this.stopping) return;
        d.stateLog.setKnownEnd(p, end);
        // Staggered, so that the partitions' periodic checkpoints do not all pause the same batch.
        task.lastCheckpointAt -= ((p % 8) / 8) * d.checkpointIntervalMs;
        this.tasks.set(p, task);
        if (redeliver.length > 0) this.submit(task, redeliver);
        if (task.next !== undefined) consumer.seek({ topic: this.topic, partition: p }, task.next);
        consumer.resume([{ topic: this.topic, partition: p }]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(RESTORE_CONCURRENCY, restores.length) }, worker));
    if (epoch === this.epoch && !this.stopping) {
      d.readiness.set('detection', true, `processing ${this.assignment.length} partition(s) of ${this.topic}`);
      const from = restores.filter((p) => this.tasks.get(p)?.committed !== undefined).length;
      d.log.log('info', `processing ${this.topic} partition(s) [${this.assignment.join(', ')}] (${from} restored from a checkpoint, ${restores.length - from} without one, ${this.assignment.length - restores.length} kept)`);
    }
  }

  private drop(p: number, why: string): void {
    this.tasks.delete(p);
    this.lag.delete(p);
    this.d.deliverer.drop(p);
    this.d.log.log('info', `${this.topic}/${p}: ${why}, state dropped`);
  }

  // ---- shutdown -------------------------------------------------------------------------------

  /** Stops taking batches, checkpoints every partition and leaves the group. */
  async stop(deadline: number): Promise<void> {
    this.stopping = true;
    if (this.idleTimer !== undefined) clearInterval(this.idleTimer);
    const consumer = this.consumer;
    if (consumer === undefined) return;
    await this.locked(async () => {
      consumer.pause(this.assignment.map((partition) => ({ topic: this.topic, partition })));
      const left = await this.d.deliverer.drain(deadline);
      if (left > 0) this.d.log.log('warn', `${left} notification(s) not delivered before shutdown: they stay in the checkpoint and are delivered after the restart`);
      await this.d.stateLog.flush();
      if (!this.rebalancingNow) await this.checkpointAll((cs) => consumer.commit(cs), false);
    });
    await consumer.stop();
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.catch(() => undefined);
    return run;
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Retries a Kafka read with backoff until it succeeds, gives up when `cancelled`, or fails for good. */
async function retrying<T>(op: () => Promise<T>, cancelled: () => boolean, log: KafkaLog): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      const retriable = (err as { retriable?: unknown }).retriable === true;
      if (!retriable || cancelled()) throw err;
      const delay = Math.min(10_000, 200 * 2 ** attempt);
      log.log('warn', `${describe(err)}; retrying in ${delay} ms`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
