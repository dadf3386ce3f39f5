// Rebuilds a detection partition from its checkpoint: the committed offset's metadata names the
// snapshot in the state partition; everything written there after it (acks of notifications
// delivered since) is read to its end. The engine is restored, the partition's consumer position
// is the snapshot's offset, and replay regenerates the rest.
import { AuditwatchError } from '../../errors.js';
import { decodeRef, StateScanner } from '../../sources/checkpoint.js';
import type { CommittedOffset, LogReader } from '../../sources/source.js';
import type { KafkaCounters } from './counters.js';
import type { KafkaNotification } from './deliver.js';
import type { KafkaLog } from './log.js';
import { PartitionTask, type TaskConfig } from './task.js';
import { parseTaskSnapshot } from './task-snapshot.js';

export interface RestoreDeps {
  readonly reader: LogReader;
  readonly stateTopic: string;
  readonly cfg: TaskConfig;
  readonly counters: KafkaCounters;
  readonly log: KafkaLog;
  readonly now: () => number;
}

export interface Restored {
  readonly task: PartitionTask;
  /** Notifications of the checkpoint that were never acked: to deliver again, in order. */
  readonly redeliver: readonly KafkaNotification[];
}

export async function restoreTask(d: RestoreDeps, partition: number, committed: CommittedOffset | undefined, stateEnd: number): Promise<Restored> {
  const started = d.now();
  const ref = decodeRef(committed?.metadata ?? null);
  const where = `${d.cfg.topic}/${partition}`;
  if (ref === undefined) {
    if (committed?.offset !== undefined) {
      // Committed by something else (or an old tool): the offset stands, the state starts empty.
      d.log.log('warn', `${where}: committed offset ${committed.offset} carries no auditwatch checkpoint; detection state starts empty there`);
    }
    return { task: PartitionTask.fresh(partition, d.cfg, d.counters, committed?.offset, d.now()), redeliver: [] };
  }
  const scanner = new StateScanner(d.stateTopic, partition, ref);
  await d.reader.read({ topic: d.stateTopic, partition }, ref.stateOffset, stateEnd, (rs) => scanner.add(rs));
  const scan = await scanner.finish();
  if (scanner.skipped > 0) d.log.log('warn', `${d.stateTopic}/${partition}: ${scanner.skipped} unreadable record(s) skipped while restoring`);
  const parsed = parseTaskSnapshot(scan.snapshot);
  const ctx = { topic: d.stateTopic, partition, offset: ref.stateOffset, snapshot: ref.id };
  if (!parsed.ok) throw new AuditwatchError('KAFKA', `checkpoint ${ref.id} of ${where} is invalid: ${parsed.problem}`, ctx);
  const s = parsed.snapshot;
  if (s.partition !== partition || s.topic !== d.cfg.topic) {
    throw new AuditwatchError('KAFKA', `checkpoint ${ref.id} found for ${where} belongs to ${s.topic}/${s.partition}`, ctx);
  }
  if (s.offset !== null && committed?.offset !== undefined && s.offset !== committed.offset) {
    d.log.log('warn', `${where}: committed offset ${committed.offset} differs from its checkpoint's ${s.offset}; resuming from the checkpoint`);
  }
  const task = PartitionTask.restored(d.cfg, d.counters, s, scan.delivered, d.now());
  if (s.offset !== null) task.committed = { offset: s.offset, ref };
  for (const [id, offset] of scan.delivered) task.acked.set(id, offset);
  const redeliver = s.pending.filter((n) => !scan.delivered.has(n.id)).map((n) => ({ id: n.id, partition, offset: n.offset, transition: n.transition }));
  d.counters.restores++;
  d.counters.restoreMs += d.now() - started;
  return { task, redeliver };
}
