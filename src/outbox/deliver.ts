// The delivery loop. Every (notification id, sink) is recorded in the store before any network
// call ('enq' on arrival, 'try' before each attempt, both durable first), then delivered:
//   - in order per order key (per alert, per group), one in flight per lane;
//   - within the sink's documented rate (token bucket) and concurrency;
//   - retried on a `retry` verdict after max(Retry-After, exponential backoff with jitter); the
//     pause is per sink, and while a sink is failing only one probe is in flight;
//   - given up after `maxAgeMs`, which is reported (observer → log and metrics) and told in the
//     sink's next successful message; a `drop` likewise. Nothing is discarded silently.
// Detection never waits for delivery: enqueue() returns once the records are durable.
import type { Routed } from '../alerts/notification.js';
import type { SendContext, Sink, UndeliveredReport, Verdict } from '../sinks/sink.js';
import { redactUrl } from '../text/secret.js';
import { backoffDelay, DEFAULT_BACKOFF, TokenBucket, type BackoffPolicy } from './backoff.js';
import type { Clock, TimerHandle } from './clock.js';
import { compactRecords, entryKey, newEntry, replayRecords, type Entry } from './entry.js';
import { Lane, ReadyQueue } from './lanes.js';
import type { OutboxRecord } from './records.js';
import type { OutboxStore } from './store.js';
import { SinkStats, type DeliveryObserver } from './observe.js';

export type { DeliveryObserver } from './observe.js';
export { SinkStats } from './observe.js';

export interface OutboxOptions {
  readonly store: OutboxStore;
  readonly sinks: ReadonlyMap<string, Sink>;
  readonly clock: Clock;
  /** Give up on a notification not delivered this long after it was produced (default 24 h). */
  readonly maxAgeMs?: number;
  /** Remember finished ids this long, so a replay does not resend them (default 7 days). */
  readonly retainMs?: number;
  readonly backoff?: BackoffPolicy;
  readonly random?: () => number;
  readonly observer?: DeliveryObserver;
}

/** What is waiting in the outbox (for the `outbox_oldest_age_seconds` metric and health checks). */
export interface OutboxBacklog {
  /** Deliveries (notification × sink) not yet finished: queued, being attempted, or waiting to retry. */
  readonly depth: number;
  /**
   * When the oldest of them was produced and enqueued (wall clock, epoch ms; a notification
   * recovered from the file keeps its original time), or undefined when nothing is waiting.
   * Its age is `now - oldestEnqueuedAtMs`.
   */
  readonly oldestEnqueuedAtMs: number | undefined;
}

export interface OpenReport {
  readonly recovered: number;
  readonly possibleRepeats: number;
  readonly skippedLines: number;
  readonly tornTail: boolean;
  readonly orphaned: number;
}

class Runner {
  readonly lanes = new Map<string, Lane>();
  readonly ready = new ReadyQueue();
  readonly unreported = new Map<string, Entry>();
  readonly bucket: TokenBucket | undefined;
  readonly stats = new SinkStats();
  /** Entries whose 'try' record is being written. */
  preparing = 0;
  /** Entries whose 'try' record is durable, waiting for an HTTP slot. */
  readonly prepared: Batch = [];
  /** HTTP requests in flight. */
  inFlight = 0;
  pumpQueued = false;
  failures = 0;
  pausedUntil = 0;
  reportInFlight = false;
  timer: TimerHandle | undefined;
  timerAt = Infinity;

  constructor(readonly sink: Sink) {
    this.bucket = sink.rateLimit === undefined ? undefined : new TokenBucket(sink.rateLimit.perSecond, sink.rateLimit.burst);
  }
}

/** Deliveries picked for an attempt, with their send context. */
type Batch = [Lane, Entry, SendContext][];

const SWEEP_MS = 60_000;
const COMPACT_MIN_RECORDS = 50_000;

export class Outbox {
  private readonly store: OutboxStore;
  private readonly clock: Clock;
  private readonly maxAgeMs: number;
  private readonly retainMs: number;
  private readonly backoff: BackoffPolicy;
  private readonly random: () => number;
  private readonly observer: DeliveryObserver;
  private readonly runners = new Map<string, Runner>();
  private readonly entries = new Map<string, Entry>();
  private pendingCount = 0;
  private seq = 0;
  private writes = 0;
  private enqueuing = 0;
  private outcomes: OutboxRecord[] = [];
  private outcomesQueued = false;
  private compacting = false;
  private closed = false;
  private failure: unknown;
  private sweepTimer: TimerHandle | undefined;
  private waiters: (() => void)[] = [];

  private constructor(opts: OutboxOptions) {
    this.store = opts.store;
    this.clock = opts.clock;
    this.maxAgeMs = opts.maxAgeMs ?? 24 * 3_600_000;
    this.retainMs = opts.retainMs ?? 7 * 24 * 3_600_000;
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.random = opts.random ?? Math.random;
    this.observer = opts.observer ?? {};
    for (const [name, sink] of opts.sinks) this.runners.set(name, new Runner(sink));
  }

  /** Loads the store and resumes what was pending: unsent notifications, unreported failures. */
  static async open(opts: OutboxOptions): Promise<{ outbox: Outbox; report: OpenReport }> {
    const o = new Outbox(opts);
    const loaded = await o.store.load();
    replayRecords(loaded.records, o.entries);
    let recovered = 0;
    let possibleRepeats = 0;
    let orphaned = 0;
    const now = o.clock.now();
    const orphanRecords: OutboxRecord[] = [];
    for (const e of o.entries.values()) {
      const r = o.runners.get(e.sink);
      if (r === undefined) {
        if (e.status === 'pending') {
          // Its sink was removed from the configuration: nothing can deliver it any more.
          e.status = 'gaveup';
          e.doneAt = now;
          e.n = undefined;
          orphaned++;
          orphanRecords.push({ t: 'gaveup', id: e.id, sink: e.sink, at: now, reason: 'sink no longer configured' });
        }
        continue;
      }
      if (e.status === 'pending') {
        recovered++;
        if (e.uncertain) possibleRepeats++;
        o.schedule(r, e);
      } else if ((e.status === 'drop' || e.status === 'gaveup') && !e.reported) {
        r.unreported.set(entryKey(e.id, e.sink), e);
      }
    }
    await o.write(orphanRecords);
    o.sweepTimer = o.clock.at(now + SWEEP_MS, () => o.sweep());
    for (const r of o.runners.values()) o.pump(r);
    return { outbox: o, report: { recovered, possibleRepeats, skippedLines: loaded.skipped, tornTail: loaded.tornTail, orphaned } };
  }

  /** Notifications not yet finished (delivered, dropped or given up). */
  get pending(): number {
    return this.pendingCount;
  }

  /**
   * Depth and oldest pending delivery, of one sink or (without `sink`) of all. Delivered,
   * dropped and given-up notifications are not pending. Costs one pass over the pending
   * deliveries of the sink(s): meant for a metrics scrape, not for a hot path.
   */
  backlog(sink?: string): OutboxBacklog {
    let depth = 0;
    let oldest = Infinity;
    for (const [name, r] of this.runners) {
      if (sink !== undefined && name !== sink) continue;
      depth += r.stats.pending;
      for (const lane of r.lanes.values()) oldest = Math.min(oldest, lane.oldestCreatedAt());
    }
    return { depth, oldestEnqueuedAtMs: depth === 0 || oldest === Infinity ? undefined : oldest };
  }

  /** Per-sink counters. */
  stats(): ReadonlyMap<string, SinkStats> {
    return new Map([...this.runners].map(([name, r]) => [name, r.stats]));
  }

  /**
   * Records new notifications durably and queues them. A (notification id, sink) seen before —
   * pending or finished — is not queued again: replays and restarts never resend.
   */
  async enqueue(routed: readonly Routed[]): Promise<{ added: number; duplicates: number }> {
    if (this.failure !== undefined) throw this.failure;
    // Busy until the new entries are queued, not only until they are written: idle() must not
    // resolve in between.
    this.enqueuing++;
    try {
      return await this.enqueueNow(routed);
    } finally {
      this.enqueuing--;
      this.settle();
    }
  }

  private async enqueueNow(routed: readonly Routed[]): Promise<{ added: number; duplicates: number }> {
    const fresh: [Runner, Entry][] = [];
    const records: OutboxRecord[] = [];
    let duplicates = 0;
    for (const { notification: n, sinks } of routed) {
      const durable: string[] = [];
      for (const s of sinks) {
        const r = this.runners.get(s);
        if (r === undefined) throw new Error(`notification ${n.id} is routed to sink "${s}", which does not exist`);
        const k = entryKey(n.id, s);
        if (this.entries.has(k)) {
          duplicates++;
          r.stats.duplicates++;
          continue;
        }
        const e = newEntry(n, s);
        this.entries.set(k, e);
        fresh.push([r, e]);
        r.stats.enqueued++;
        if (r.sink.durable) durable.push(s);
      }
      if (durable.length > 0) records.push({ t: 'enq', sinks: durable, n });
    }
    // The first attempts are recorded in the same append as the notifications (one fsync, not
    // two, between a transition and its request). Queuing before the append is safe: nothing
    // leaves before its 'try' record is durable, and a 'try' appended by any later pump is
    // written after this append (appends are durable in call order).
    const touched = new Set<Runner>();
    for (const [r, e] of fresh) {
      this.schedule(r, e);
      touched.add(r);
    }
    const now = this.clock.now();
    const batches: [Runner, Batch][] = [];
    for (const r of touched) {
      const batch = this.prepare(r, now);
      if (batch === undefined) continue;
      batches.push([r, batch]);
      records.push(...this.tries(r, batch, now));
    }
    await this.write(records);
    for (const [r, batch] of batches) this.prepared(r, batch);
    for (const r of touched) this.pump(r);
    return { added: fresh.length, duplicates };
  }

  private schedule(r: Runner, e: Entry): void {
    e.seq = ++this.seq;
    this.pendingCount++;
    r.stats.pending++;
    let lane = r.lanes.get(e.orderKey);
    if (lane === undefined) {
      lane = new Lane(e.orderKey);
      r.lanes.set(e.orderKey, lane);
    }
    lane.push(e);
    if (!lane.busy) r.ready.push(lane);
  }

  private async write(records: readonly OutboxRecord[]): Promise<void> {
    if (records.length === 0) return;
    this.writes++;
    try {
      await this.store.append(records);
    } catch (err) {
      this.fail(err);
      throw err;
    } finally {
      this.writes--;
      this.settle();
    }
    this.maybeCompact();
  }

  /**
   * Outcome records ('ok', 'fail', 'drop'...) of everything answered in this turn of the event
   * loop are written together: one append instead of one per answer. Nothing waits for them (a
   * lost 'ok' only makes a resend a possible repeat); a failure stops the outbox.
   */
  private record(records: readonly OutboxRecord[]): void {
    this.outcomes.push(...records);
    if (this.outcomesQueued) return;
    this.outcomesQueued = true;
    setImmediate(() => {
      this.outcomesQueued = false;
      const batch = this.outcomes;
      this.outcomes = [];
      this.write(batch).catch(() => undefined);
      this.settle();
    });
  }

  /** Coalesces the pumps asked for by answers arriving in the same turn of the event loop. */
  private requestPump(r: Runner): void {
    if (r.pumpQueued) return;
    r.pumpQueued = true;
    setImmediate(() => {
      r.pumpQueued = false;
      this.pump(r);
      this.settle();
    });
  }

  private fail(err: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    this.observer.storeFailed?.(err);
    this.settle();
  }

  /**
   * Starts what can start now on one sink; arms a timer for what must wait. Two stages overlap:
   * while one batch's 'try' records are being fsynced, the previous batch is on the wire
   * (`prepared` waits for an HTTP slot), so the disk and the network are both kept busy.
   */
  private pump(r: Runner): void {
    if (this.closed || this.failure !== undefined) return;
    const now = this.clock.now();
    const failing = r.failures > 0;
    const limit = failing ? 1 : r.sink.concurrency;
    if (now < r.pausedUntil) {
      if (r.prepared.length > 0 || r.ready.length > 0) this.wake(r, r.pausedUntil);
      return;
    }
    while (r.inFlight < limit && r.prepared.length > 0) {
      const next = r.prepared.shift();
      if (next === undefined) break;
      const [lane, e, ctx] = next;
      if (now - e.createdAt >= this.maxAgeMs) {
        // Prepared before a long pause: too old to send now.
        lane.busy = false;
        if (ctx.undelivered !== undefined) r.reportInFlight = false;
        this.giveUp(r, lane, e, now);
        continue;
      }
      r.inFlight++;
      void this.attempt(r, lane, e, ctx);
    }
    const batch = this.prepare(r, now);
    if (batch === undefined) return;
    // The attempt is durable before the request leaves: after a crash it reads "may have been sent".
    this.write(this.tries(r, batch, now)).then(
      () => this.prepared(r, batch),
      () => undefined,
    );
  }

  /**
   * Picks what to attempt next on a sink that is not paused: up to a few times the concurrency
   * ahead, one at a time while the sink fails. The caller appends the batch's 'try' records
   * and calls prepared() once they are durable; nothing in the batch is sent before that.
   */
  private prepare(r: Runner, now: number): Batch | undefined {
    if (this.closed || this.failure !== undefined || now < r.pausedUntil) return undefined;
    const failing = r.failures > 0;
    const window = failing ? 1 : r.sink.concurrency * 4;
    const batch: Batch = [];
    while (r.ready.length > 0 && r.preparing + r.prepared.length + r.inFlight + batch.length < window) {
      const wait = r.bucket?.take(now) ?? 0;
      if (wait > 0) {
        this.wake(r, now + wait);
        break;
      }
      const lane = r.ready.shift();
      const e = lane?.first;
      if (lane === undefined || e === undefined || lane.busy) {
        r.bucket?.refund();
        continue;
      }
      if (now - e.createdAt >= this.maxAgeMs) {
        r.bucket?.refund();
        this.giveUp(r, lane, e, now);
        continue;
      }
      lane.busy = true;
      e.attempts++;
      let undelivered: UndeliveredReport | undefined;
      if (!r.reportInFlight && r.unreported.size > 0) {
        r.reportInFlight = true;
        undelivered = this.report(r);
      }
      batch.push([lane, e, { attempt: e.attempts, possibleRepeat: e.uncertain, ...(undelivered === undefined ? {} : { undelivered }) }]);
    }
    if (batch.length === 0) return undefined;
    r.preparing += batch.length;
    return batch;
  }

  /** The 'try' records of a prepared batch (none for a sink that is not durable). */
  private tries(r: Runner, batch: Batch, now: number): OutboxRecord[] {
    return r.sink.durable ? batch.map(([, e]) => ({ t: 'try', id: e.id, sink: e.sink, attempt: e.attempts, at: now })) : [];
  }

  /** A batch's 'try' records are durable: its requests may leave. */
  private prepared(r: Runner, batch: Batch): void {
    r.preparing -= batch.length;
    r.prepared.push(...batch);
    this.pump(r);
  }

  private report(r: Runner): UndeliveredReport {
    let oldestAt = Infinity;
    const reasons = new Set<string>();
    for (const e of r.unreported.values()) {
      oldestAt = Math.min(oldestAt, e.createdAt);
      if (e.lastReason !== undefined && reasons.size < 3) reasons.add(e.lastReason);
    }
    return { count: r.unreported.size, oldestAt, reasons: [...reasons] };
  }

  private async attempt(r: Runner, lane: Lane, e: Entry, ctx: SendContext): Promise<void> {
    let v: Verdict;
    const n = e.n;
    if (n === undefined) v = { kind: 'drop', reason: 'internal: payload missing' };
    else {
      try {
        v = await r.sink.send(n, ctx);
      } catch (err) {
        // A sink should answer with a verdict; if it throws, treat it as transient.
        v = { kind: 'retry', reason: `sink failed: ${redactUrl(err instanceof Error ? err.message : String(err))}` };
      }
    }
    const now = this.clock.now();
    const info = { id: e.id, sink: e.sink, attempt: ctx.attempt, possibleRepeat: ctx.possibleRepeat, severity: n?.severity };
    if (ctx.possibleRepeat) r.stats.possibleRepeats++;
    const out: OutboxRecord[] = [];
    if (v.kind === 'ok') {
      this.finish(r, lane, e, 'ok', now);
      r.failures = 0;
      r.stats.delivered++;
      out.push({ t: 'ok', id: e.id, sink: e.sink, at: now });
      if (ctx.undelivered !== undefined) out.push(...this.markReported(r, now));
      this.observer.delivered?.({ ...info, latencyMs: now - e.createdAt });
    } else if (v.kind === 'retry') {
      // Failures of requests sent together are one failure of the sink, not many: the backoff
      // grows only when a probe sent after the last pause fails too.
      if (now >= r.pausedUntil) r.failures++;
      r.stats.retries++;
      e.uncertain = e.uncertain || v.uncertain === true;
      e.lastReason = v.reason;
      const delay = Math.max(v.retryAfterMs ?? 0, backoffDelay(Math.max(1, r.failures), this.backoff, this.random));
      r.pausedUntil = Math.max(r.pausedUntil, now + delay);
      if (v.retryAfterMs !== undefined) r.bucket?.drain(now);
      out.push({ t: 'fail', id: e.id, sink: e.sink, at: now, reason: v.reason, uncertain: e.uncertain });
      this.observer.retrying?.({ ...info, reason: v.reason, delayMs: delay });
    } else {
      e.lastReason = v.reason;
      this.finish(r, lane, e, 'drop', now);
      if (v.gone !== true) r.failures = 0;
      r.stats.dropped++;
      r.unreported.set(entryKey(e.id, e.sink), e);
      out.push({ t: 'drop', id: e.id, sink: e.sink, at: now, reason: v.reason });
      this.observer.dropped?.({ ...info, reason: v.reason, gone: v.gone === true });
    }
    if (ctx.undelivered !== undefined) r.reportInFlight = false;
    lane.busy = false;
    r.inFlight--;
    if (lane.first !== undefined) r.ready.push(lane);
    else r.lanes.delete(lane.key);
    if (r.sink.durable) this.record(out);
    this.requestPump(r);
    this.settle();
  }

  /** Marks the failures the last successful message told about as reported. */
  private markReported(r: Runner, now: number): OutboxRecord[] {
    const out: OutboxRecord[] = [];
    for (const [k, e] of r.unreported) {
      e.reported = true;
      r.unreported.delete(k);
      out.push({ t: 'reported', id: e.id, sink: e.sink, at: now });
    }
    this.observer.reported?.(r.sink.name, out.length);
    return out;
  }

  private finish(r: Runner, lane: Lane, e: Entry, status: 'ok' | 'drop' | 'gaveup', now: number): void {
    e.status = status;
    e.doneAt = now;
    e.n = undefined;
    if (lane.first === e) lane.shift();
    this.pendingCount--;
    r.stats.pending--;
  }

  private giveUp(r: Runner, lane: Lane, e: Entry, now: number): void {
    const reason = `not delivered within ${Math.round(this.maxAgeMs / 60_000)} min${e.lastReason === undefined ? ' (never attempted)' : `; last error: ${e.lastReason}`}`;
    const attempts = e.attempts;
    e.lastReason = reason;
    this.finish(r, lane, e, 'gaveup', now);
    r.stats.gaveUp++;
    r.unreported.set(entryKey(e.id, e.sink), e);
    if (lane.first !== undefined) r.ready.push(lane);
    else r.lanes.delete(lane.key);
    if (r.sink.durable) this.record([{ t: 'gaveup', id: e.id, sink: e.sink, at: now, reason }]);
    this.observer.gaveUp?.({ id: e.id, sink: e.sink, attempt: attempts, possibleRepeat: e.uncertain, severity: undefined, reason, ageMs: now - e.createdAt });
  }

  private wake(r: Runner, at: number): void {
    if (r.timer !== undefined && r.timerAt <= at) return;
    r.timer?.cancel();
    r.timerAt = at;
    r.timer = this.clock.at(at, () => {
      r.timer = undefined;
      r.timerAt = Infinity;
      this.pump(r);
      this.settle();
    });
  }

  /** Gives up queued notifications that passed the maximum age even while their sink is paused. */
  private sweep(): void {
    if (this.closed) return;
    const now = this.clock.now();
    for (const r of this.runners.values()) {
      for (const lane of [...r.lanes.values()]) {
        for (let e = lane.first; e !== undefined && !lane.busy && now - e.createdAt >= this.maxAgeMs; e = lane.first) this.giveUp(r, lane, e, now);
      }
      this.pump(r);
    }
    this.sweepTimer = this.clock.at(now + Math.min(SWEEP_MS, this.maxAgeMs), () => this.sweep());
    this.settle();
  }

  private maybeCompact(): void {
    if (this.compacting || this.closed) return;
    // A compacted log holds about one record per entry; rewrite when the log is twice that.
    if (this.store.appendedSinceRewrite < Math.max(COMPACT_MIN_RECORDS, 2 * this.entries.size)) return;
    this.compacting = true;
    this.store
      .rewrite(() => {
        const before = this.clock.now() - this.retainMs;
        for (const [k, e] of this.entries) {
          if (e.status !== 'pending' && (e.doneAt ?? 0) < before && (e.reported || e.status === 'ok')) this.entries.delete(k);
        }
        return compactRecords(this.entries.values(), before);
      })
      .catch((err: unknown) => this.fail(err))
      .finally(() => {
        this.compacting = false;
      });
  }

  private get busy(): boolean {
    if (this.writes > 0 || this.enqueuing > 0 || this.outcomesQueued) return true;
    const now = this.clock.now();
    // Prepared entries of a paused sink wait for a timer: that is idle.
    for (const r of this.runners.values()) if (r.inFlight > 0 || r.preparing > 0 || r.pumpQueued || (r.prepared.length > 0 && now >= r.pausedUntil)) return true;
    return false;
  }

  private settle(force = false): void {
    if (!force && this.busy && this.failure === undefined) return;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves when nothing is in flight and everything left waits for a timer (tests use it to step a fake clock). */
  idle(): Promise<void> {
    if (!this.busy || this.failure !== undefined) return Promise.resolve();
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /**
   * Waits until every notification is finished, at most `timeoutMs` on the outbox clock.
   * Returns how many are still pending (0 when drained). Rejects if the store failed.
   */
  async drain(timeoutMs: number): Promise<number> {
    const deadline = this.clock.now() + timeoutMs;
    let timedOut = false;
    const timer = this.clock.at(
      deadline,
      () => {
        timedOut = true;
        this.settle(true);
      },
      { keepAlive: true },
    );
    try {
      // Waiters are woken whenever the outbox becomes idle (or fails, or the deadline passes).
      while (this.failure === undefined && !timedOut && (this.pendingCount > 0 || this.busy)) {
        await new Promise<void>((resolve) => this.waiters.push(resolve));
      }
    } finally {
      timer.cancel();
    }
    if (this.failure !== undefined) throw this.failure;
    return this.pendingCount;
  }

  /** Stops scheduling, waits for requests in flight to be answered and recorded, closes the store. */
  async close(): Promise<void> {
    this.closed = true;
    this.sweepTimer?.cancel();
    for (const r of this.runners.values()) r.timer?.cancel();
    while (this.busy && this.failure === undefined) await new Promise<void>((resolve) => this.waiters.push(resolve));
    for (const r of this.runners.values()) await r.sink.close();
    await this.store.close();
  }
}
