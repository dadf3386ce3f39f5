import type { StreakDef } from '../config/detectors.js';
import type { AuditEvent } from '../events/audit-event.js';
import type { DetectorRuntime, DetectorSnapshot, DetectorStats, KeySnapshot, Sequence } from './detector.js';
import { keyCodec, type KeyCodec, type KeyValues } from './key.js';
import { compileWhere, outcomeMask, type Predicate } from './match.js';
import type { Transition } from './transition.js';

interface StreakKey {
  readonly values: KeyValues;
  n: number;
  active: boolean;
  firedAt: number;
  seq: number;
}

/**
 * Consecutive matching events per key, in arrival order. A key whose streak is zero and has no
 * active alert holds nothing, so only callers currently failing cost memory.
 */
export class StreakDetector implements DetectorRuntime {
  private readonly keys = new Map<string, StreakKey>();
  private readonly match: Predicate;
  private readonly reset: Predicate;
  private readonly codec: KeyCodec;
  private activeCount = 0;
  readonly outcomes: number;

  constructor(
    readonly def: StreakDef,
    private readonly seq: Sequence,
  ) {
    this.match = compileWhere(def.where);
    this.reset = compileWhere(def.resetWhere);
    this.outcomes = outcomeMask(def.where) | outcomeMask(def.resetWhere);
    this.codec = keyCodec(def.groupBy);
  }

  apply(e: AuditEvent, _floor: number, out: Transition[]): void {
    if (this.match(e)) {
      const id = this.codec.encode(e);
      let k = this.keys.get(id);
      if (k === undefined) {
        k = { values: this.codec.values(e), n: 0, active: false, firedAt: 0, seq: 0 };
        this.keys.set(id, k);
      }
      k.n++;
      if (k.n > this.def.threshold && !k.active) {
        k.active = true;
        k.firedAt = e.ts;
        k.seq = ++this.seq.value;
        this.activeCount++;
        out.push({
          type: 'fired',
          detector: this.def.id,
          severity: this.def.severity,
          keyFields: this.def.groupBy,
          key: k.values,
          at: e.ts,
          count: k.n,
          threshold: this.def.threshold,
        });
      }
    } else if (this.reset(e)) {
      const id = this.codec.encode(e);
      const k = this.keys.get(id);
      if (k === undefined) return;
      this.keys.delete(id);
      if (k.active) {
        this.activeCount--;
        out.push({ type: 'resolved', detector: this.def.id, severity: this.def.severity, keyFields: this.def.groupBy, key: k.values, at: e.ts, firedAt: k.firedAt });
      }
    }
  }

  nextResolveAt(): number {
    return Infinity;
  }

  nextResolveSeq(): number {
    return Infinity;
  }

  resolveNext(): void {}

  expire(): void {}

  nextDue(): number {
    return Infinity;
  }

  stats(): DetectorStats {
    return { keys: this.keys.size, active: this.activeCount, storedTimes: 0 };
  }

  snapshot(): DetectorSnapshot {
    const keys: KeySnapshot[] = [];
    for (const k of this.keys.values()) keys.push(k.active ? { v: k.values, n: k.n, a: k.firedAt, s: k.seq } : { v: k.values, n: k.n });
    return { id: this.def.id, kind: this.def.kind, keys };
  }

  restore(s: DetectorSnapshot): void {
    for (const ks of s.keys) {
      const active = ks.a !== undefined;
      if (active) this.activeCount++;
      this.keys.set(this.codec.encodeValues(ks.v), { values: ks.v, n: ks.n ?? 0, active, firedAt: ks.a ?? 0, seq: ks.s ?? 0 });
    }
  }
}
