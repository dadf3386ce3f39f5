// The one writer of the state topic in this process. Everything it writes goes out in the
// order it was asked for (one send at a time): an ack queued before a snapshot lands before it,
// which is what lets a restore trust "acks after the snapshot" and the snapshot's pending list
// together. A failed send is retried (with backoff) before anything queued after it.
import { randomBytes } from 'node:crypto';
import { ackRecord, ackTombstone, compressPayload, snapshotRecords, type Ack } from '../../sources/checkpoint.js';
import type { OutRecord } from '../../sources/source.js';
import { splitBySize, type DurableSender } from './durable-send.js';

export interface WrittenSnapshot {
  readonly id: string;
  readonly stateOffset: number;
  readonly chunks: number;
  readonly bytes: number;
}

export class StateLog {
  private tail: Promise<unknown> = Promise.resolve();
  private buffered: OutRecord[] = [];
  private readonly ends = new Map<number, number>();

  constructor(
    private readonly sender: DurableSender,
    readonly topic: string,
    private readonly chunkBytes: number,
  ) {}

  /** Queues a delivered-ack; it is written by the next flush (or before the next snapshot). */
  ack(partition: number, ack: Ack): void {
    this.buffered.push(ackRecord(partition, ack));
  }

  /** Queues tombstones for acks a committed checkpoint made obsolete (compaction removes them). */
  forget(partition: number, ids: Iterable<string>): void {
    for (const id of ids) this.buffered.push(ackTombstone(partition, id));
  }

  /** Writes what is queued; resolves once it is durable. */
  flush(): Promise<void> {
    if (this.buffered.length === 0) return this.tail.then(() => undefined);
    const records = this.buffered;
    this.buffered = [];
    return this.enqueue(async () => {
      for (const part of splitBySize(records, 512 * 1024)) await this.send(part);
    });
  }

  /** Writes a snapshot (after everything queued before it); resolves with where it starts. */
  async writeSnapshot(partition: number, slot: 0 | 1, value: unknown, previousChunks: number): Promise<WrittenSnapshot> {
    const id = randomBytes(8).toString('hex');
    const payload = await compressPayload(value);
    const records = snapshotRecords(partition, slot, id, payload, this.chunkBytes, previousChunks);
    const acks = this.buffered;
    this.buffered = [];
    return this.enqueue(async () => {
      for (const part of splitBySize(acks, 512 * 1024)) await this.send(part);
      let first: number | undefined;
      let chunks = 0;
      // One chunk per send: a record batch must stay under the topic's max.message.bytes.
      for (const r of records) {
        if (r.value === null) continue;
        const offsets = await this.send([r]);
        first ??= offsets.get(partition);
        chunks++;
      }
      const tombstones = records.filter((r) => r.value === null);
      if (tombstones.length > 0) await this.send(tombstones);
      if (first === undefined) throw new Error(`no offset returned for the snapshot of partition ${partition}`);
      return { id, stateOffset: first, chunks, bytes: payload.length };
    });
  }

  /** The end (next offset) of a state partition as far as this process's own writes know it. */
  knownEnd(partition: number): number | undefined {
    return this.ends.get(partition);
  }

  /** Records the end found when restoring a partition. */
  setKnownEnd(partition: number, end: number): void {
    this.ends.set(partition, end);
  }

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.tail.then(op);
    // The chain continues after a failure; the caller of the failed op sees it.
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async send(records: readonly OutRecord[]): Promise<ReadonlyMap<number, number>> {
    const offsets = await this.sender.send(this.topic, records);
    const counts = new Map<number, number>();
    for (const r of records) counts.set(r.partition, (counts.get(r.partition) ?? 0) + 1);
    for (const [p, base] of offsets) this.ends.set(p, Math.max(this.ends.get(p) ?? 0, base + (counts.get(p) ?? 0)));
    return offsets;
  }
}
