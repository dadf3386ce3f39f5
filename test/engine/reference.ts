/*
 * A slow, obviously-correct model of the detection semantics, written straight from the clauses
 * in the README with no cleverness: every event kept forever, every count recomputed from scratch.
 * The property tests compare the real engine with it.
 */
import type { DetectorDef, LeakDef, StreakDef, ThresholdDef } from '../../src/config/detectors.js';
import type { AuditEvent } from '../../src/events/audit-event.js';
import { evidenceOf, leakPlan, LeakScanner, type LeakEvidence } from '../../src/engine/leak-scan.js';
import { transitionJson, type Transition, type TransitionJson } from '../../src/engine/transition.js';

interface RefThresholdKey {
  values: (string | null)[];
  events: number[];
  active: boolean;
  a: number;
  r: number;
  seq: number;
}
/** Leak (clause 7): every leaking event kept with its evidence, in arrival order. */
interface RefLeakKey {
  values: (string | null)[];
  events: { ts: number; ev: LeakEvidence }[];
  active: boolean;
  a: number;
  r: number;
  seq: number;
}
interface RefStreakKey {
  values: (string | null)[];
  n: number;
  active: boolean;
  a: number;
}

function fieldValue(e: AuditEvent, f: string): string | undefined {
  const v = (e as unknown as Record<string, unknown>)[f];
  return typeof v === 'string' ? v : undefined;
}

function matches(e: AuditEvent, where: ReadonlyMap<string, readonly string[]>): boolean {
  for (const [f, vs] of where) {
    const v = fieldValue(e, f);
    if (v === undefined || !vs.includes(v)) return false;
  }
  return true;
}

export class ReferenceEngine {
  maxTs = -Infinity;
  late = 0;
  seq = 0;
  readonly tkeys = new Map<string, Map<string, RefThresholdKey>>();
  readonly skeys = new Map<string, Map<string, RefStreakKey>>();
  readonly lkeys = new Map<string, Map<string, RefLeakKey>>();
  readonly scanners = new Map<string, LeakScanner>();

  constructor(
    readonly defs: readonly DetectorDef[],
    readonly lateness: number,
  ) {
    for (const d of defs) {
      if (d.kind === 'threshold') this.tkeys.set(d.id, new Map());
      else if (d.kind === 'leak') {
        this.lkeys.set(d.id, new Map());
        this.scanners.set(d.id, new LeakScanner(leakPlan(d)));
      } else this.skeys.set(d.id, new Map());
    }
  }

  private count(k: RefThresholdKey, d: ThresholdDef, t: number): number {
    return k.events.filter((e) => t - d.windowMs < e && e <= t).length;
  }

  private resolveTime(k: RefThresholdKey, d: ThresholdDef): number {
    const cands = [...new Set(k.events.map((e) => e + d.windowMs))].filter((x) => x > k.a).sort((x, y) => x - y);
    for (const c of cands) if (this.count(k, d, c) <= d.threshold) return c;
    throw new Error('reference: no resolve time');
  }

  private tryFire(k: RefThresholdKey, d: ThresholdDef, lo: number, hi: number, out: Transition[]): void {
    const cands = [...new Set(k.events)].filter((t) => t >= lo && t < hi).sort((x, y) => x - y);
    for (const t of cands) {
      const c = this.count(k, d, t);
      if (c > d.threshold) {
        k.active = true;
        k.a = t;
        k.seq = ++this.seq;
        k.r = this.resolveTime(k, d);
        out.push({ type: 'fired', detector: d.id, severity: d.severity, keyFields: d.groupBy, key: [...k.values], at: t, count: c, threshold: d.threshold, windowMs: d.windowMs });
        return;
      }
    }
  }

  process(e: AuditEvent, out: Transition[]): 'accepted' | 'late' {
    if (e.ts < this.maxTs - this.lateness) {
      this.late++;
      return 'late';
    }
    this.maxTs = Math.max(this.maxTs, e.ts);
    for (const d of this.defs) {
      const values = d.groupBy.map((f) => fieldValue(e, f) ?? null);
      const id = JSON.stringify(values);
      if (d.kind === 'threshold') this.applyThreshold(d, e, id, values, out);
      else if (d.kind === 'leak') this.applyLeak(d, e, id, values, out);
      else this.applyStreak(d, e, id, values, out);
    }
    // Watermark-driven resolves, earliest first; ties by fire order.
    while (true) {
      let best: { d: ThresholdDef; k: RefThresholdKey } | undefined;
      for (const d of this.defs) {
        if (d.kind !== 'threshold') continue;
        for (const k of this.tkeys.get(d.id)?.values() ?? []) {
          if (!k.active || !(k.r < this.maxTs - this.lateness)) continue;
          if (best === undefined || k.r < best.k.r || (k.r === best.k.r && k.seq < best.k.seq)) best = { d, k };
        }
      }
      let bestLeak: { d: LeakDef; k: RefLeakKey } | undefined;
      for (const d of this.defs) {
        if (d.kind !== 'leak') continue;
        for (const k of this.lkeys.get(d.id)?.values() ?? []) {
          if (!k.active || !(k.r < this.maxTs - this.lateness)) continue;
          const cur = bestLeak?.k ?? best?.k;
          if (cur === undefined || k.r < cur.r || (k.r === cur.r && k.seq < cur.seq)) bestLeak = { d, k };
        }
      }
      if (bestLeak !== undefined) {
        const { d, k } = bestLeak;
        k.active = false;
        out.push({ type: 'resolved', detector: d.id, severity: d.severity, keyFields: d.groupBy, key: [...k.values], at: k.r, firedAt: k.a });
        this.tryFireLeak(k, d, k.r, Infinity, out);
        continue;
      }
      if (best === undefined) break;
      const { d, k } = best;
      k.active = false;
      out.push({ type: 'resolved', detector: d.id, severity: d.severity, keyFields: d.groupBy, key: [...k.values], at: k.r, firedAt: k.a });
      this.tryFire(k, d, k.r, Infinity, out);
    }
    return 'accepted';
  }

  // Clause 7, literally: a threshold of 0 over leaking events with window = quiet.
  private leakCount(k: RefLeakKey, d: LeakDef, t: number): number {
    return k.events.filter((e) => t - d.quietMs < e.ts && e.ts <= t).length;
  }

  private leakResolveTime(k: RefLeakKey, d: LeakDef): number {
    const cands = [...new Set(k.events.map((e) => e.ts + d.quietMs))].filter((x) => x > k.a).sort((x, y) => x - y);
    for (const c of cands) if (this.leakCount(k, d, c) === 0) return c;
    throw new Error('reference: no leak resolve time');
  }

  private tryFireLeak(k: RefLeakKey, d: LeakDef, lo: number, hi: number, out: Transition[]): void {
    const cands = [...new Set(k.events.map((e) => e.ts))].filter((t) => t >= lo && t < hi).sort((x, y) => x - y);
    for (const t of cands) {
      const c = this.leakCount(k, d, t);
      if (c > 0) {
        k.active = true;
        k.a = t;
        k.seq = ++this.seq;
        k.r = this.leakResolveTime(k, d);
        const first = k.events.find((e) => e.ts === t) as { ev: LeakEvidence };
        out.push({ type: 'fired', detector: d.id, severity: d.severity, keyFields: d.groupBy, key: [...k.values], at: t, count: c, threshold: 0, evidence: first.ev });
        return;
      }
    }
  }

  private applyLeak(d: LeakDef, e: AuditEvent, id: string, values: (string | null)[], out: Transition[]): void {
    if (!matches(e, d.where) || e.original === undefined) return;
    const found = this.scanners.get(d.id)?.find(e.original);
    if (found === undefined) return;
    const keys = this.lkeys.get(d.id) as Map<string, RefLeakKey>;
    let k = keys.get(id);
    if (k === undefined) {
      k = { values, events: [], active: false, a: 0, r: 0, seq: 0 };
      keys.set(id, k);
    }
    k.events.push({ ts: e.ts, ev: evidenceOf(found) });
    if (k.active) k.r = this.leakResolveTime(k, d);
    else this.tryFireLeak(k, d, e.ts, e.ts + d.quietMs, out);
  }

  private applyThreshold(d: ThresholdDef, e: AuditEvent, id: string, values: (string | null)[], out: Transition[]): void {
    if (!matches(e, d.where)) return;
    const keys = this.tkeys.get(d.id) as Map<string, RefThresholdKey>;
    let k = keys.get(id);
    if (k === undefined) {
      k = { values, events: [], active: false, a: 0, r: 0, seq: 0 };
      keys.set(id, k);
    }
    k.events.push(e.ts);
    if (k.active) k.r = this.resolveTime(k, d);
    else this.tryFire(k, d, e.ts, e.ts + d.windowMs, out);
  }

  private applyStreak(d: StreakDef, e: AuditEvent, id: string, values: (string | null)[], out: Transition[]): void {
    const keys = this.skeys.get(d.id) as Map<string, RefStreakKey>;
    let k = keys.get(id);
    if (matches(e, d.where)) {
      if (k === undefined) {
        k = { values, n: 0, active: false, a: 0 };
        keys.set(id, k);
      }
      k.n++;
      if (k.n > d.threshold && !k.active) {
        k.active = true;
        k.a = e.ts;
        ++this.seq;
        out.push({ type: 'fired', detector: d.id, severity: d.severity, keyFields: d.groupBy, key: [...values], at: e.ts, count: k.n, threshold: d.threshold });
      }
    } else if (matches(e, d.resetWhere) && k !== undefined) {
      if (k.active) out.push({ type: 'resolved', detector: d.id, severity: d.severity, keyFields: d.groupBy, key: [...values], at: e.ts, firedAt: k.a });
      k.n = 0;
      k.active = false;
    }
  }
}

export function asJson(ts: readonly Transition[]): TransitionJson[] {
  return ts.map(transitionJson);
}
