import type { ThresholdDef } from '../config/detectors.js';
import type { AuditEvent } from '../events/audit-event.js';
import { scheduleAt, type Agenda, type DetectorRuntime, type DetectorSnapshot, type DetectorStats, type KeySnapshot, type Sequence } from './detector.js';
import { Heap } from './heap.js';
import { ResolveQueue } from './resolve-queue.js';
import { keyCodec, type KeyCodec, type KeyValues } from './key.js';
import { compileWhere, outcomeMask, type Predicate } from './match.js';
import { SortedTimes } from './times.js';
import type { Transition } from './transition.js';

/*
 * Exact sliding-window threshold (see README "Semantics"). count(t) counts stored events in
 * (t - W, t]. Every question the detector is asked later concerns a time >= floor (the
 * watermark maxTs - L before the current event), so an event e with e + W <= floor is dropped.
 *
 * While an alert is active, a burst could store unboundedly many times. compact() drops an
 * event group (all events at one timestamp, multiplicity m) when every time t in
 * [max(e, floor), e + W) has stored count >= threshold + 1 + m: those times stay above the
 * threshold without it, and since counts at times >= floor only grow, they always will. Times
 * that are not above the threshold never lose an event from their window, and a re-fire point t
 * (first hot time after a quiet time t - 1) keeps its own group, so every count the detector
 * reports stays exact. The reference test in test/engine checks this against brute force.
 */

/** A key's stored times (the class it extends: one object a key, not two) and its alert state. */
class Key extends SortedTimes {
  active = false;
  firedAt = 0;
  resolveAt = 0;
  seq = 0;
  heapAt = 0;
  /** When the expiry heap next looks at this key. */
  sched = 0;
  limit: number;
  /**
   * @param multi the groupBy values, unless groupBy is callerId alone: then `id` is the one
   * value, and the array is only built when a transition or a snapshot needs it.
   */
  constructor(
    readonly id: string,
    private readonly multi: KeyValues | undefined,
    limit: number,
  ) {
    super();
    this.limit = limit;
  }

  get values(): KeyValues {
    return this.multi ?? [this.id];
  }
}

export class ThresholdDetector implements DetectorRuntime {
  private readonly keys = new Map<string, Key>();
  private readonly resolves: ResolveQueue<Key>;
  private readonly expiries = new Heap<Key>((a, b) => a.sched < b.sched);
  private readonly match: Predicate;
  private readonly codec: KeyCodec;
  private readonly w: number;
  private readonly thr: number;
  private readonly baseLimit: number;
  private activeCount = 0;
  readonly outcomes: number;

  constructor(
    readonly def: ThresholdDef,
    private readonly seq: Sequence,
    private readonly agenda: Agenda,
  ) {
    this.resolves = new ResolveQueue<Key>(agenda);
    this.match = compileWhere(def.where);
    this.outcomes = outcomeMask(def.where);
    this.codec = keyCodec(def.groupBy);
    this.w = def.windowMs;
    this.thr = def.threshold;
    this.baseLimit = def.threshold + 1 + Math.max(8, def.threshold >> 2);
  }

  apply(e: AuditEvent, floor: number, out: Transition[]): void {
    if (!this.match(e)) return;
    const id = this.codec.encode(e);
    let k = this.keys.get(id);
    if (k === undefined) {
      k = new Key(id, this.codec.single ? undefined : this.codec.values(e), this.baseLimit);
      this.keys.set(id, k);
      k.sched = e.ts + this.w;
      this.scheduleExpiry(k);
    } else {
      this.prune(k, floor);
    }
    k.insert(e.ts);
    if (k.active) {
      // Counts only grow, so the first quiet time can only move later.
      if (e.ts <= k.resolveAt) k.resolveAt = this.firstQuietAtOrAfter(k, k.resolveAt);
      this.shed(k, floor);
      if (k.length > k.limit) {
        this.compact(k, floor);
        k.limit = Math.max(this.baseLimit, 2 * k.length);
      }
    } else {
      this.fireFrom(k, e.ts, e.ts + this.w, out);
    }
  }

  nextResolveAt(): number {
    return this.resolves.nextAt();
  }

  nextResolveSeq(): number {
    return this.resolves.nextSeq();
  }

  resolveNext(out: Transition[]): void {
    const k = this.resolves.pop();
    if (k === undefined) return;
    k.active = false;
    this.activeCount--;
    const r = k.resolveAt;
    out.push({ type: 'resolved', detector: this.def.id, severity: this.def.severity, keyFields: this.def.groupBy, key: k.values, at: r, firedAt: k.firedAt });
    this.fireFrom(k, r, Infinity, out);
  }

  expire(floor: number): void {
    while (true) {
      const top = this.expiries.peek();
      if (top === undefined || top.sched > floor) return;
      this.expiries.pop();
      this.prune(top, floor);
      if (!top.active && top.length === 0) {
        this.keys.delete(top.id);
        continue;
      }
      top.sched = Math.max(top.length > 0 ? top.last() + this.w : floor + 1, floor + 1);
      this.scheduleExpiry(top);
    }
  }

  nextDue(): number {
    return Math.min(this.expiries.peek()?.sched ?? Infinity, this.resolves.dueAt());
  }

  private scheduleExpiry(k: Key): void {
    this.expiries.push(k);
    scheduleAt(this.agenda, k.sched);
  }

  stats(): DetectorStats {
    let storedTimes = 0;
    for (const k of this.keys.values()) storedTimes += k.length;
    return { keys: this.keys.size, active: this.activeCount, storedTimes };
  }

  snapshot(): DetectorSnapshot {
    const keys: KeySnapshot[] = [];
    for (const k of this.keys.values()) {
      keys.push(k.active ? { v: k.values, t: k.toArray(), a: k.firedAt, r: k.resolveAt, s: k.seq } : { v: k.values, t: k.toArray() });
    }
    return { id: this.def.id, kind: this.def.kind, keys };
  }

  restore(s: DetectorSnapshot): void {
    for (const ks of s.keys) {
      const id = this.codec.encodeValues(ks.v);
      const k = new Key(id, this.codec.single ? undefined : ks.v, this.baseLimit);
      k.assign(ks.t ?? []);
      if (ks.a !== undefined && ks.r !== undefined && ks.s !== undefined) {
        k.active = true;
        k.firedAt = ks.a;
        k.resolveAt = ks.r;
        k.seq = ks.s;
        this.activeCount++;
        this.resolves.add(k);
        k.limit = Math.max(this.baseLimit, 2 * k.length);
      }
      k.sched = k.length > 0 ? k.last() + this.w : k.resolveAt;
      this.keys.set(id, k);
      this.scheduleExpiry(k);
    }
  }

  private count(k: Key, t: number): number {
    return k.countAtMost(t) - k.countAtMost(t - this.w);
  }

  private prune(k: Key, floor: number): void {
    const n = k.countAtMost(floor - this.w);
    if (n > 0) k.dropFront(n);
  }

  /** Fires at the smallest stored time t in [from, until) whose count exceeds the threshold. */
  private fireFrom(k: Key, from: number, until: number, out: Transition[]): void {
    let i = k.countBelow(from);
    const n = k.length;
    while (i < n) {
      const t = k.get(i);
      if (t >= until) return;
      const hi = k.countAtMost(t);
      const c = hi - k.countAtMost(t - this.w);
      if (c > this.thr) {
        k.active = true;
        k.firedAt = t;
        k.seq = ++this.seq.value;
        k.resolveAt = this.firstQuietAfter(k, t);
        this.activeCount++;
        this.resolves.add(k);
        out.push({
          type: 'fired',
          detector: this.def.id,
          severity: this.def.severity,
          keyFields: this.def.groupBy,
          key: k.values,
          at: t,
          count: c,
          threshold: this.thr,
          windowMs: this.w,
        });
        return;
      }
      i = hi;
    }
  }

  /** Smallest time > a whose count is <= threshold: always the expiry e + W of a stored event. */
  private firstQuietAfter(k: Key, a: number): number {
    const n = k.length;
    let i = k.countAtMost(a - this.w);
    while (i < n) {
      const e = k.get(i);
      const hi = k.countAtMost(e);
      // count(e + W) = stored events in (e, e + W]
      if (k.countAtMost(e + this.w) - hi <= this.thr) return e + this.w;
      i = hi;
    }
    return n > 0 ? k.last() + this.w : a + 1;
  }

  private firstQuietAtOrAfter(k: Key, r: number): number {
    return this.count(k, r) <= this.thr ? r : this.firstQuietAfter(k, r);
  }

  /**
   * compact()'s rule applied to the oldest event group alone, which makes it cheap enough for
   * every event of an active key. For the oldest group x (multiplicity m) no stored event expires
   * in [max(x, floor), x + W), so the count there is smallest at the start, where it is the
   * number of stored times <= max(x, floor). A sustained burst then keeps about threshold + 1
   * times up to the floor (and those after it, within the lateness) instead of growing to the
   * next full compaction.
   */
  private shed(k: Key, floor: number): void {
    const need = this.thr + 1;
    while (k.length > need) {
      const x = k.get(0);
      const m = k.countAtMost(x);
      if (k.countAtMost(Math.max(x, floor)) < need + m) return;
      k.dropFront(m);
    }
  }

  private compact(k: Key, floor: number): void {
    this.prune(k, floor);
    const n = k.length;
    const w = this.w;
    // Distinct values and multiplicities.
    const vals: number[] = [];
    const mult: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = k.get(i);
      if (vals.length > 0 && vals[vals.length - 1] === t) mult[mult.length - 1]!++;
      else {
        vals.push(t);
        mult.push(1);
      }
    }
    // The minimum of the count step function over [x, x + W) is reached at its left end, just
    // before an increase (v - 1), or at its right end (x + W - 1).
    const cand = new Set<number>([floor]);
    for (const v of vals) {
      cand.add(v - 1);
      cand.add(v);
      cand.add(v + w - 1);
    }
    const points = Float64Array.from([...cand].filter((p) => p >= floor)).sort();
    const cnt = new Float64Array(points.length);
    for (let j = 0; j < points.length; j++) cnt[j] = this.count(k, points[j] as number);
    const lowerBound = (x: number): number => {
      let lo = 0;
      let hi = points.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((points[mid] as number) < x) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    const keep: number[] = [];
    const need = this.thr + 1;
    for (let g = 0; g < vals.length; g++) {
      const x = vals[g] as number;
      const m = mult[g] as number;
      const lo = lowerBound(Math.max(x, floor));
      const hi = lowerBound(x + w);
      let min = Infinity;
      for (let j = lo; j < hi; j++) if ((cnt[j] as number) < min) min = cnt[j] as number;
      if (hi > lo && min >= need + m) {
        for (let j = lo; j < hi; j++) cnt[j] = (cnt[j] as number) - m;
      } else {
        for (let i = 0; i < m; i++) keep.push(x);
      }
    }
    if (keep.length < n) k.assign(keep);
  }
}
