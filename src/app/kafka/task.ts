// One detection partition: its own engine (and so its own watermark), the offset it has
// processed up to, and what it needs to make re-delivery harmless. Records before `next` are
// skipped (kafkajs re-delivers after rebalances); records re-keyed twice (the re-key stage
// re-sends after a crash) are recognised by their source position; transitions the state
// partition says were delivered are not handed over again.
import type { DetectorDef } from '../../config/detectors.js';
import { Engine } from '../../engine/engine.js';
import { transitionId, type Transition } from '../../engine/transition.js';
import type { ParseResult } from '../../events/parse.js';
import { rejection, type Rejection } from '../../events/rejection.js';
import type { CheckpointRef } from '../../sources/checkpoint.js';
import type { SourceRecord } from '../../sources/source.js';
import type { KafkaNotification } from './deliver.js';
import { SOURCE_HEADER, SOURCE_OFFSET_HEADER } from './provenance.js';
import type { KafkaCounters } from './counters.js';
import type { TaskSnapshot } from './task-snapshot.js';

export interface TaskConfig {
  readonly topic: string;
  readonly defs: readonly DetectorDef[];
  readonly latenessMs: number;
  readonly maxBytes: number;
  readonly decode: (text: string) => ParseResult;
  /** The topic is `<group>-by-caller`: drop records the re-key stage sent twice. */
  readonly rekeyed: boolean;
}

export interface Rejected {
  readonly record: SourceRecord;
  readonly rejection: Rejection;
}

export interface BatchResult {
  readonly notifications: KafkaNotification[];
  readonly rejected: Rejected[];
}

export class PartitionTask {
  /** Next offset to process; undefined until the first record when there was no checkpoint. */
  next: number | undefined;
  /** Events processed since the last checkpoint was taken. */
  dirty = 0;
  lastCheckpointAt: number;
  /** The checkpoint the group's committed offset points to (ours, or the one restored). */
  committed: { readonly offset: number; readonly ref: CheckpointRef } | undefined;
  /** Acks written since the last committed checkpoint: tombstoned once one covers them. */
  readonly acked = new Map<string, number>();
  /** Acks found after the restored checkpoint: id → offset. Emptied once replay passes them. */
  private delivered: Map<string, number>;
  private deliveredUpTo: number;
  private readonly dedupe: Map<string, number>;
  private readonly out: Transition[] = [];

  private constructor(
    readonly partition: number,
    private readonly cfg: TaskConfig,
    private readonly counters: KafkaCounters,
    readonly engine: Engine,
    next: number | undefined,
    dedupe: Map<string, number>,
    delivered: Map<string, number>,
    now: number,
  ) {
    this.next = next;
    this.dedupe = dedupe;
    this.delivered = delivered;
    this.deliveredUpTo = Math.max(-1, ...delivered.values());
    this.lastCheckpointAt = now;
  }

  static fresh(partition: number, cfg: TaskConfig, counters: KafkaCounters, start: number | undefined, now: number): PartitionTask {
    return new PartitionTask(partition, cfg, counters, new Engine(cfg.defs, { latenessMs: cfg.latenessMs }), start, new Map(), new Map(), now);
  }

  static restored(cfg: TaskConfig, counters: KafkaCounters, s: TaskSnapshot, delivered: ReadonlyMap<string, number>, now: number): PartitionTask {
    const engine = Engine.restore(cfg.defs, { latenessMs: cfg.latenessMs }, s.engine);
    return new PartitionTask(s.partition, cfg, counters, engine, s.offset ?? undefined, new Map(s.dedupe), new Map(delivered), now);
  }

  /** Processes a batch in offset order; fills `res` with what to deliver and what to dead-letter. */
  process(records: readonly SourceRecord[], res: BatchResult): void {
    const c = this.counters;
    const { engine, cfg, out } = this;
    for (const r of records) {
      const next = this.next;
      if (next !== undefined && r.offset < next) {
        c.redelivered++;
        continue;
      }
      // Offsets removed by retention (or compaction of the input) before we read them.
      if (next !== undefined && r.offset > next) c.offsetGaps += r.offset - next;
      this.next = r.offset + 1;
      this.dirty++;
      c.records++;
      if (!cfg.rekeyed) c.input++;
      if (cfg.rekeyed && this.isDuplicate(r)) {
        c.duplicates++;
        continue;
      }
      const parsed = this.decode(r);
      if (!parsed.ok) {
        res.rejected.push({ record: r, rejection: parsed.rejection });
        continue;
      }
      if (engine.process(parsed.event, out) === 'late') c.late++;
      else c.accepted++;
      if (out.length === 0) continue;
      for (const t of out) {
        c.transitions++;
        const id = `${r.offset}:${transitionId(t)}`;
        if (this.delivered.size > 0 && this.delivered.has(id)) {
          c.suppressed++;
          continue;
        }
        res.notifications.push({ id, partition: this.partition, offset: r.offset, transition: t });
      }
      out.length = 0;
    }
    if (this.delivered.size > 0 && this.next !== undefined && this.next > this.deliveredUpTo) this.delivered = new Map();
  }

  private decode(r: SourceRecord): ParseResult {
    const v = r.value;
    if (v === null) return { ok: false, rejection: rejection('not-json', 'empty message (no value)') };
    if (v.length > this.cfg.maxBytes) return { ok: false, rejection: rejection('too-large', `message is larger than ${this.cfg.maxBytes} bytes`) };
    return this.cfg.decode(v.toString('utf8'));
  }

  /** True when this source record (re-keyed) was already processed: its source offset is not new. */
  private isDuplicate(r: SourceRecord): boolean {
    const src = r.headers[SOURCE_HEADER];
    const off = r.headers[SOURCE_OFFSET_HEADER];
    if (src === undefined || off === undefined) return false;
    const key = src.toString('latin1');
    const offset = Number(off.toString('latin1'));
    const seen = this.dedupe.get(key);
    if (seen !== undefined && offset <= seen) return true;
    this.dedupe.set(key, offset);
    return false;
  }

  /** The state to checkpoint, taken synchronously (a consistent point between two records). */
  snapshot(pending: TaskSnapshot['pending']): TaskSnapshot {
    return {
      v: 1,
      topic: this.cfg.topic,
      partition: this.partition,
      offset: this.next ?? null,
      engine: this.engine.snapshot(),
      dedupe: [...this.dedupe],
      pending,
    };
  }
}
