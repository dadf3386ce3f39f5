import type { ThresholdDef } from '../config/detectors.js';
import { keyCodec, type KeyCodec, type KeyValues } from '../engine/key.js';
import { compileWhere, type Predicate } from '../engine/match.js';
import { SortedTimes } from '../engine/times.js';
import type { AuditEvent } from '../events/audit-event.js';
import { MAX_MARKS, Timeline, type Mark } from './timeline.js';

/*
 * Each key's PEAK window count: the largest count(t) (accepted matching events of the key in
 * (t − W, t]) over all t. Counts only rise at event times, so the peak is reached at one of the
 * key's event times, and only the FINAL count there matters: an event may still arrive up to the
 * lateness L behind maxTs and raise count(t) for t after it. So count(t) is taken once t is final,
 * t < maxTs − L (every later accepted event is at or after maxTs − L), and at the end of the input.
 * Per key the final counts come out in increasing t, which is also what a timeline needs.
 */

export class WindowKey {
  /** Stored times of the key; the first `done` of them have had their final count taken. */
  readonly times = new SortedTimes();
  done = 0;
  /** The first `expired` stored times have had the count at their expiry (e + W) taken. */
  expired = 0;
  peak = 0;
  /** When the key first reached `peak`, as a running number across keys (ties in the ranking). */
  peakOrder = 0;
  /** Set while the key is one of the tracked top keys. */
  timeline: Timeline | undefined = undefined;
  /** Time of the key's first sample. */
  firstAt = 0;
  /** Set when tracking started after the key had samples: the timeline misses counts in [from, since), all <= `atMost`. */
  untracked: { from: number; since: number; atMost: number } | undefined = undefined;
  readonly marks: Mark[] = [];
  marksDropped = 0;
  constructor(
    readonly id: string,
    readonly values: KeyValues,
  ) {}
}

/** Keys whose timeline is kept while the input is read; the report shows the first few. */
export const TRACKED_KEYS = 64;

export class WindowPeaks {
  private readonly keys = new Map<string, WindowKey>();
  private readonly match: Predicate;
  readonly codec: KeyCodec;
  private readonly w: number;
  /** Tracked keys (those with the highest peaks so far); undefined when timelines are off. */
  private readonly tracked: WindowKey[] | undefined;
  private order = 0;
  /** A lower bound of the lowest tracked peak (tracked peaks only rise): rejects most candidates without a scan. */
  private lowBound = 0;

  constructor(
    def: ThresholdDef,
    readonly windowMs: number,
    timelines: boolean,
  ) {
    this.match = compileWhere(def.where);
    this.codec = keyCodec(def.groupBy);
    this.w = windowMs;
    this.tracked = timelines ? [] : undefined;
  }

  /** An accepted event; times before `finalBefore` (maxTs − L after the event) are final. */
  observe(e: AuditEvent, finalBefore: number): void {
    if (!this.match(e)) return;
    const id = this.codec.encode(e);
    let k = this.keys.get(id);
    if (k === undefined) {
      k = new WindowKey(id, this.codec.values(e));
      this.keys.set(id, k);
    }
    k.times.insert(e.ts);
    this.settle(k, finalBefore);
  }

  /** A fire or resolve of the configured detector for key `id`. */
  mark(id: string, m: Mark): void {
    const k = this.keys.get(id);
    if (k === undefined) return;
    if (k.marks.length < MAX_MARKS) k.marks.push(m);
    else k.marksDropped++;
  }

  /** End of input at `endTs` (the last maxTs): every count up to it is final. */
  finish(endTs: number): void {
    for (const k of this.keys.values()) this.settle(k, endTs + 1);
  }

  /** Peak of every key that had a matching event, ascending. */
  peaks(): Float64Array {
    const out = new Float64Array(this.keys.size);
    let i = 0;
    for (const k of this.keys.values()) out[i++] = k.peak;
    return out.sort();
  }

  /** The `n` tracked keys with the highest peaks (ties: the key that reached it first). */
  top(n: number): WindowKey[] {
    return [...(this.tracked ?? [])].sort((a, b) => b.peak - a.peak || a.peakOrder - b.peakOrder).slice(0, n);
  }

  /**
   * Takes the final count at every stored time before `limit`, then forgets events no later
   * count needs. With timelines on it also takes the count at each event's expiry e + W (the
   * count only changes at event times and expiries, so the timeline is the exact step function),
   * walking both sorted sequences in time order.
   */
  private settle(k: WindowKey, limit: number): void {
    const times = k.times;
    const n = times.length;
    const w = this.w;
    const expiries = this.tracked !== undefined;
    let done = k.done;
    let expired = expiries ? k.expired : done;
    while (true) {
      const a = done < n ? times.get(done) : Infinity;
      // An expiry comes after its event's own sample, so only sampled events have one pending.
      const b = expiries && expired < done ? times.get(expired) + w : Infinity;
      const x = a <= b ? a : b;
      if (x >= limit || x === Infinity) break;
      if (a <= b) {
        const hi = times.countAtMost(a);
        this.sample(k, a, hi - times.countAtMost(a - w));
        done = hi;
        // An expiry at the same instant has the same count: one sample stands for both.
        if (b === a) expired = times.countAtMost(a - w);
      } else {
        const after = times.countAtMost(b - w);
        k.timeline?.add(b, times.countAtMost(b) - after);
        expired = after;
      }
    }
    if (!expiries) expired = done;
    // Every count still to take is at a time >= m: an event at or before m − W is in none of
    // those windows (and an event whose expiry is still pending is kept for its index).
    const a = done < n ? times.get(done) : Infinity;
    const b = expired < done ? times.get(expired) + w : Infinity;
    const m = Math.min(a, b, limit);
    const drop = Math.min(times.countAtMost(m - w), expired);
    k.done = done - drop;
    k.expired = expired - drop;
    if (drop > 0) times.dropFront(drop);
  }

  private sample(k: WindowKey, t: number, c: number): void {
    const before = k.peak;
    if (before === 0) k.firstAt = t;
    if (c > before) {
      k.peak = c;
      k.peakOrder = ++this.order;
    }
    if (this.tracked === undefined) return;
    if (k.timeline === undefined && c > before) this.consider(k, t, before);
    k.timeline?.add(t, c);
  }

  /**
   * A key whose peak just rose: tracked if there is room or its peak beats the lowest tracked
   * one (which is dropped). So at any moment an untracked key's peak is at most every tracked
   * key's, and at the end the tracked keys include the top ones.
   */
  private consider(k: WindowKey, t: number, before: number): void {
    const tracked = this.tracked as WindowKey[];
    if (tracked.length >= TRACKED_KEYS) {
      if (k.peak <= this.lowBound) return;
      let low = 0;
      for (let j = 1; j < tracked.length; j++) {
        const a = tracked[j] as WindowKey;
        const b = tracked[low] as WindowKey;
        if (a.peak < b.peak || (a.peak === b.peak && a.peakOrder > b.peakOrder)) low = j;
      }
      const lowest = tracked[low] as WindowKey;
      this.lowBound = lowest.peak;
      if (k.peak <= lowest.peak) return;
      lowest.timeline = undefined;
      lowest.untracked = undefined;
      tracked[low] = k;
    } else {
      tracked.push(k);
    }
    k.timeline = new Timeline();
    k.untracked = before > 0 ? { from: k.firstAt, since: t, atMost: before } : undefined;
  }
}
