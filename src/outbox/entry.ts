// Delivery state of one (notification id, sink), and its reconstruction from the log.
import type { Notification } from '../alerts/notification.js';
import type { OutboxRecord } from './records.js';

export type EntryStatus = 'pending' | 'ok' | 'drop' | 'gaveup';

export interface Entry {
  readonly id: string;
  readonly sink: string;
  readonly orderKey: string;
  readonly createdAt: number;
  /** Order of arrival in this process (recovered entries first): the ready queue serves oldest first. */
  seq: number;
  /** The payload; released once the entry is finished. */
  n: Notification | undefined;
  status: EntryStatus;
  /** Attempts started (a 'try' record each). */
  attempts: number;
  /** A previous attempt may have reached the receiver: the next one is a possible repeat. */
  uncertain: boolean;
  lastReason: string | undefined;
  doneAt: number | undefined;
  /** For drops and give-ups: already told in a later successful message of the sink. */
  reported: boolean;
}

export function entryKey(id: string, sink: string): string {
  return `${id}\u0000${sink}`;
}

export function newEntry(n: Notification, sink: string): Entry {
  return {
    id: n.id,
    sink,
    orderKey: n.orderKey,
    createdAt: n.createdAt,
    seq: 0,
    n,
    status: 'pending',
    attempts: 0,
    uncertain: false,
    lastReason: undefined,
    doneAt: undefined,
    reported: false,
  };
}

function finish(e: Entry, status: Exclude<EntryStatus, 'pending'>, at: number, reason?: string): void {
  e.status = status;
  e.doneAt = at;
  e.n = undefined;
  if (reason !== undefined) e.lastReason = reason;
}

/**
 * Folds log records into entries, in log order (which is also the order entries were created,
 * so per-sink lanes rebuilt from the result keep their order). Records about unknown entries
 * (their 'enq' was compacted away or lost with a corrupt line) are ignored.
 */
export function replayRecords(records: Iterable<OutboxRecord>, into: Map<string, Entry>): void {
  for (const r of records) {
    if (r.t === 'enq') {
      for (const sink of r.sinks) {
        const k = entryKey(r.n.id, sink);
        if (!into.has(k)) into.set(k, newEntry(r.n, sink));
      }
      continue;
    }
    if (r.t === 'done') {
      into.set(entryKey(r.id, r.sink), {
        id: r.id,
        sink: r.sink,
        orderKey: '',
        createdAt: r.createdAt,
        seq: 0,
        n: undefined,
        status: r.outcome,
        attempts: 0,
        uncertain: false,
        lastReason: r.reason,
        doneAt: r.at,
        reported: r.reported,
      });
      continue;
    }
    const e = into.get(entryKey(r.id, r.sink));
    if (e === undefined) continue;
    switch (r.t) {
      case 'try':
        e.attempts = Math.max(e.attempts, r.attempt);
        // Until an answer is recorded, this attempt may have been delivered.
        e.uncertain = true;
        break;
      case 'fail':
        // The record carries the whole answer: whether any attempt so far may have arrived.
        e.uncertain = r.uncertain;
        e.lastReason = r.reason;
        break;
      case 'ok':
        finish(e, 'ok', r.at);
        break;
      case 'drop':
        finish(e, 'drop', r.at, r.reason);
        break;
      case 'gaveup':
        finish(e, 'gaveup', r.at, r.reason);
        break;
      case 'reported':
        e.reported = true;
        break;
    }
  }
}

/**
 * The compacted log for a set of entries: pending ones keep their payload and uncertainty,
 * finished ones shrink to a 'done' record. Finished entries older than `retainUntil` are left out.
 */
export function compactRecords(entries: Iterable<Entry>, retainBefore: number): OutboxRecord[] {
  const out: OutboxRecord[] = [];
  const pending = new Map<string, { n: Notification; sinks: string[] }>();
  const tries: OutboxRecord[] = [];
  for (const e of entries) {
    if (e.status === 'pending') {
      if (e.n === undefined) continue;
      const p = pending.get(e.id) ?? { n: e.n, sinks: [] };
      p.sinks.push(e.sink);
      pending.set(e.id, p);
      if (e.attempts > 0) tries.push({ t: 'try', id: e.id, sink: e.sink, attempt: e.attempts, at: e.createdAt });
      if (e.attempts > 0 && !e.uncertain) tries.push({ t: 'fail', id: e.id, sink: e.sink, at: e.createdAt, reason: e.lastReason ?? '', uncertain: false });
      continue;
    }
    const doneAt = e.doneAt ?? e.createdAt;
    if (doneAt < retainBefore && (e.reported || e.status === 'ok')) continue;
    out.push({
      t: 'done',
      id: e.id,
      sink: e.sink,
      at: doneAt,
      outcome: e.status,
      reported: e.reported,
      createdAt: e.createdAt,
      ...(e.lastReason === undefined || e.status === 'ok' ? {} : { reason: e.lastReason }),
    });
  }
  for (const p of pending.values()) out.push({ t: 'enq', sinks: p.sinks, n: p.n });
  out.push(...tries);
  return out;
}
