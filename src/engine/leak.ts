import type { LeakDef } from '../config/detectors.js';
import type { AuditEvent } from '../events/audit-event.js';
import type { Agenda, DetectorRuntime, DetectorSnapshot, DetectorStats, KeySnapshot, Sequence } from './detector.js';
import { ResolveQueue } from './resolve-queue.js';
import { keyCodec, type KeyCodec, type KeyValues } from './key.js';
import { evidenceOf, leakPlan, LeakScanner, type LeakEvidence, type LeakFinding } from './leak-scan.js';
import { compileWhere, outcomeMask, type Predicate } from './match.js';
import type { Transition } from './transition.js';

/*
 * Unscrubbed events (README "Semantics", clause 7). Per key, an alert is active from a leak until
 * `quiet` has passed in event time without another one. In the terms of clause 3 this is a
 * threshold detector over leaking events with window `quiet` and threshold 0: count(t) > 0 exactly
 * on the union of the intervals [e, e + quiet) of the key's leak times e, so the alert resolves at
 * the end r of the connected stretch of that union that contains its fire time, once r < maxTs − L,
 * and fires again at the first leak at or after r. That needs no stored times, only stretches:
 * the active one (its end is the pending resolve) and, rarely, later ones that out-of-order
 * arrivals already opened, each with its first leak's time, multiplicity and evidence.
 */

type Evidence = LeakFinding | LeakEvidence;

function rendered(ev: Evidence): LeakEvidence {
  return 'path' in ev ? ev : evidenceOf(ev);
}

/** A stretch after the active one: leaks in [start, end − quiet], connected. */
interface Stretch {
  start: number;
  end: number;
  /** Leaks at exactly `start`: the count reported when it fires. */
  n: number;
  /** Evidence of the first leak that arrived with timestamp `start`. */
  ev: Evidence;
}

class LeakKey {
  firedAt = 0;
  /** End of the active stretch: the pending resolve. */
  resolveAt = 0;
  heapAt = 0;
  seq = 0;
  readonly later: Stretch[] = [];
  constructor(
    readonly id: string,
    readonly values: KeyValues,
  ) {}
}

export class LeakDetector implements DetectorRuntime {
  readonly outcomes: number;
  private readonly keys = new Map<string, LeakKey>();
  private readonly resolves: ResolveQueue<LeakKey>;
  private readonly match: Predicate;
  private readonly codec: KeyCodec;
  private readonly scanner: LeakScanner;
  private readonly q: number;

  constructor(
    readonly def: LeakDef,
    private readonly seq: Sequence,
    agenda: Agenda,
  ) {
    this.resolves = new ResolveQueue<LeakKey>(agenda);
    this.match = compileWhere(def.where);
    this.outcomes = outcomeMask(def.where);
    this.codec = keyCodec(def.groupBy);
    this.scanner = new LeakScanner(leakPlan(def));
    this.q = def.quietMs;
  }

  apply(e: AuditEvent, _floor: number, out: Transition[]): void {
    // Only the decoded message is inspected; events built in code without one have nothing to leak.
    if (e.original === undefined || !this.match(e)) return;
    const found = this.scanner.find(e.original);
    if (found === undefined) return;
    const id = this.codec.encode(e);
    const k = this.keys.get(id);
    if (k === undefined) {
      const nk = new LeakKey(id, this.codec.values(e));
      this.keys.set(id, nk);
      this.fire(nk, e.ts, e.ts + this.q, 1, found, out);
    } else {
      this.add(k, e.ts, found);
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
    out.push({ type: 'resolved', detector: this.def.id, severity: this.def.severity, keyFields: this.def.groupBy, key: k.values, at: k.resolveAt, firedAt: k.firedAt });
    const next = k.later.shift();
    if (next === undefined) this.keys.delete(k.id);
    else this.fire(k, next.start, next.end, next.n, next.ev, out);
  }

  expire(): void {
    // Nothing to forget: a key exists only while its alert is active.
  }

  nextDue(): number {
    return this.resolves.dueAt();
  }

  stats(): DetectorStats {
    let storedTimes = 0;
    for (const k of this.keys.values()) storedTimes += k.later.length;
    return { keys: this.keys.size, active: this.keys.size, storedTimes };
  }

  snapshot(): DetectorSnapshot {
    const keys: KeySnapshot[] = [];
    for (const k of this.keys.values()) {
      const t: number[] = [];
      const e: string[] = [];
      for (const s of k.later) {
        const ev = rendered(s.ev);
        t.push(s.start, s.end, s.n);
        e.push(ev.path, ev.rule);
      }
      keys.push({ v: k.values, a: k.firedAt, r: k.resolveAt, s: k.seq, t, e });
    }
    return { id: this.def.id, kind: this.def.kind, keys };
  }

  restore(s: DetectorSnapshot): void {
    for (const ks of s.keys) {
      if (ks.a === undefined || ks.r === undefined || ks.s === undefined) continue;
      const k = new LeakKey(this.codec.encodeValues(ks.v), ks.v);
      k.firedAt = ks.a;
      k.resolveAt = ks.r;
      k.seq = ks.s;
      const t = ks.t ?? [];
      const e = ks.e ?? [];
      for (let i = 0; i + 2 < t.length; i += 3) {
        const j = (i / 3) * 2;
        k.later.push({ start: t[i] as number, end: t[i + 1] as number, n: t[i + 2] as number, ev: { path: e[j] ?? '', rule: e[j + 1] ?? '' } });
      }
      this.keys.set(k.id, k);
      this.resolves.add(k);
    }
  }

  private fire(k: LeakKey, at: number, end: number, count: number, ev: Evidence, out: Transition[]): void {
    k.firedAt = at;
    k.resolveAt = end;
    k.seq = ++this.seq.value;
    this.resolves.add(k);
    out.push({
      type: 'fired',
      detector: this.def.id,
      severity: this.def.severity,
      keyFields: this.def.groupBy,
      key: k.values,
      at,
      count,
      threshold: 0,
      evidence: rendered(ev),
    });
  }

  /** A leak at `ts` for a key whose alert is active. */
  private add(k: LeakKey, ts: number, found: LeakFinding): void {
    const q = this.q;
    if (ts <= k.resolveAt) {
      // Inside the active stretch, or right at its end (count(r) now counts it): it can only grow.
      if (ts + q > k.resolveAt) {
        k.resolveAt = ts + q;
        const later = k.later;
        while (later.length > 0 && (later[0] as Stretch).start <= k.resolveAt) {
          k.resolveAt = Math.max(k.resolveAt, (later.shift() as Stretch).end);
        }
      }
      return;
    }
    // After the pending resolve: it belongs to a later stretch, which fires once the active one resolves.
    const later = k.later;
    let i = 0;
    while (i < later.length && (later[i] as Stretch).end < ts) i++;
    const s = later[i];
    if (s === undefined || ts + q < s.start) {
      later.splice(i, 0, { start: ts, end: ts + q, n: 1, ev: found });
      return;
    }
    if (ts < s.start) {
      s.start = ts;
      s.n = 1;
      s.ev = found;
    } else if (ts === s.start) {
      s.n++;
    }
    s.end = Math.max(s.end, ts + q);
    while (i + 1 < later.length && (later[i + 1] as Stretch).start <= s.end) {
      s.end = Math.max(s.end, (later.splice(i + 1, 1)[0] as Stretch).end);
    }
  }
}
