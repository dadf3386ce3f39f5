// The re-key stage, for input not keyed by callerId: counting per caller across instances is
// only right if all events of a caller reach one engine, so every valid event is copied to
// `<group>-by-caller` keyed (and partitioned) by callerId, as a Kafka Streams repartition topic
// would. Invalid events go to the dead-letter topic here, with their real source position.
// Input partitions are merged by event time first (time-merge.ts). At least once: input offsets
// are committed after the copies are durable; copies sent twice after a crash carry the same
// source position and detection drops them (provenance.ts).
import type { ParseResult } from '../../events/parse.js';
import { rejection } from '../../events/rejection.js';
import { deadLetterRecord } from '../../sources/dead-letter.js';
import { partitionForKey } from '../../sources/partitioner.js';
import type { BatchControl, GroupConsumer, GroupListener, OffsetCommit, OutRecord, SourceBatch, TopicPartition } from '../../sources/source.js';
import type { KafkaCounters } from './counters.js';
import { splitBySize, type DurableSender } from './durable-send.js';
import type { KafkaLog } from './log.js';
import { provenanceHeaders } from './provenance.js';
import type { Readiness } from './readiness.js';
import { TimeMerge, type Queued } from './time-merge.js';

export interface RekeyDeps {
  readonly byCallerTopic: string;
  readonly byCallerPartitions: number;
  readonly deadLetterTopic: string;
  readonly deadLetterPartitions: number;
  /** Original bytes kept in a dead letter. */
  readonly deadLetterValueBytes: number;
  readonly maxBytes: number;
  readonly decode: (text: string) => ParseResult;
  readonly sender: DurableSender;
  readonly counters: KafkaCounters;
  readonly log: KafkaLog;
  readonly readiness: Readiness;
  /** The re-key consumer stopped for good (an error retrying cannot fix). */
  readonly onFatal: (err: unknown) => void;
}

// Well under the default max.message.bytes (1 MB) of the by-caller topic per produce batch.
const SEND_BYTES = 768 * 1024;
/** A partition this far ahead of the others in the merge stops fetching until they catch up. */
const PAUSE_ABOVE = 20_000;
const RESUME_BELOW = 5_000;
/** How long the merge waits for a partition that has records but has not delivered them. */
const MERGE_WAIT_MS = 1_000;
const TICK_MS = 250;

interface Partition {
  readonly topic: string;
  readonly partition: number;
}

export class RekeyStage implements GroupListener {
  private consumer: GroupConsumer | undefined;
  private stopping = false;
  private readonly merge = new TimeMerge<OutRecord>(MERGE_WAIT_MS);
  private readonly known = new Map<string, Partition>();
  private readonly committed = new Map<string, number>();
  private readonly paused = new Set<string>();
  private lock: Promise<unknown> = Promise.resolve();
  private busy = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly d: RekeyDeps) {
    d.readiness.expect('rekey', 'waiting for a partition assignment');
  }

  start(consumer: GroupConsumer): Promise<void> {
    this.consumer = consumer;
    // A merge waiting on a slow partition must go on even when no batch arrives.
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
    return consumer.run(this);
  }

  assigned(tps: readonly TopicPartition[]): void {
    // Stateless apart from the merge: kafkajs fetches again from the committed offsets.
    this.merge.clear();
    this.known.clear();
    this.committed.clear();
    this.paused.clear();
    for (const tp of tps) {
      const key = `${tp.topic}/${tp.partition}`;
      this.known.set(key, tp);
      this.merge.expect(key, undefined);
    }
    this.consumer?.resume(tps);
    this.d.readiness.set('rekey', true, `re-keying ${tps.length} input partition(s) into ${this.d.byCallerTopic}`);
  }

  rebalancing(): void {
    this.d.readiness.set('rekey', false, 'group rebalancing');
  }

  connection(state: 'up' | 'down', detail: string): void {
    this.d.readiness.set('kafka-rekey', state === 'up', detail);
    this.d.log.log(state === 'up' ? 'info' : 'warn', `re-key consumer: ${detail}`);
  }

  failed(err: Error): void {
    this.d.onFatal(err);
  }

  batch(b: SourceBatch, control: BatchControl): Promise<boolean> {
    if (this.stopping) return Promise.resolve(false);
    return this.locked(async () => {
      if (this.stopping) return false;
      this.busy = true;
      try {
        const { d } = this;
        const key = `${b.topic}/${b.partition}`;
        this.known.set(key, { topic: b.topic, partition: b.partition });
        const queued: Queued<OutRecord>[] = [];
        const dead: OutRecord[] = [];
        d.counters.input += b.records.length;
        for (const r of b.records) {
          const v = r.value;
          const parsed: ParseResult =
            v === null
              ? { ok: false, rejection: rejection('not-json', 'empty message (no value)') }
              : v.length > d.maxBytes
                ? { ok: false, rejection: rejection('too-large', `message is larger than ${d.maxBytes} bytes`) }
                : d.decode(v.toString('utf8'));
          if (!parsed.ok) {
            d.counters.reject(parsed.rejection.reason);
            dead.push(deadLetterRecord(d.deadLetterPartitions, { topic: b.topic, partition: b.partition, offset: r.offset, timestamp: r.timestamp }, v, parsed.rejection, d.deadLetterValueBytes));
            continue;
          }
          const callerId = parsed.event.callerId;
          queued.push({ ts: parsed.event.ts, offset: r.offset, item: { partition: partitionForKey(callerId, d.byCallerPartitions), key: callerId, value: v, headers: provenanceHeaders(b.topic, b.partition, r.offset) } });
        }
        for (const part of splitBySize(dead, SEND_BYTES)) await d.sender.send(d.deadLetterTopic, part);
        d.counters.deadLettered += dead.length;
        const last = b.records[b.records.length - 1];
        this.merge.add(key, queued, last === undefined ? 0 : last.offset + 1, b.highWatermark);
        await this.emit((cs) => control.commit(cs));
        return true;
      } finally {
        this.busy = false;
      }
    });
  }

  /** Sends what the merge releases, in order, then commits what is fully copied. */
  private async emit(commit: (cs: readonly OffsetCommit[]) => Promise<void>): Promise<void> {
    const { d } = this;
    const out = this.merge.drain(Date.now()).map((x) => x.q.item);
    // In order, one send after the other: copies of one source partition stay in source order.
    for (const part of splitBySize(out, SEND_BYTES)) await d.sender.send(d.byCallerTopic, part);
    d.counters.rekeyed += out.length;
    const commits: OffsetCommit[] = [];
    for (const [key, tp] of this.known) {
      const offset = this.merge.committable(key);
      if (offset !== undefined && offset !== this.committed.get(key)) commits.push({ topic: tp.topic, partition: tp.partition, offset, metadata: '' });
      const size = this.merge.size(key);
      if (size > PAUSE_ABOVE && !this.paused.has(key)) {
        this.paused.add(key);
        this.consumer?.pause([tp]);
      } else if (size < RESUME_BELOW && this.paused.delete(key)) this.consumer?.resume([tp]);
    }
    if (commits.length > 0) {
      await commit(commits);
      for (const c of commits) this.committed.set(`${c.topic}/${c.partition}`, c.offset);
    }
  }

  private async tick(): Promise<void> {
    const consumer = this.consumer;
    if (consumer === undefined || this.stopping || this.busy || !this.merge.waiting) return;
    await this.locked(() => this.emit((cs) => consumer.commit(cs))).catch((err: unknown) => {
      if (!this.stopping) this.d.log.log('warn', `re-key: ${err instanceof Error ? err.message : String(err)}`);
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    // Whatever is still queued was not copied: it is fetched again after the restart.
    await this.locked(() => Promise.resolve());
    await this.consumer?.stop();
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.catch(() => undefined);
    return run;
  }
}
