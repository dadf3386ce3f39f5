import type { StreakDef } from '../config/detectors.js';
import { keyCodec, type KeyCodec, type KeyValues } from '../engine/key.js';
import { compileWhere, type Predicate } from '../engine/match.js';
import type { AuditEvent } from '../events/audit-event.js';
import type { AlertSummary } from './tally.js';

interface StreakKey {
  readonly values: KeyValues;
  n: number;
  peak: number;
  peakOrder: number;
  /** Fire times of the current streak, one per candidate threshold below n (ascending thresholds). */
  readonly fired: number[];
}

interface CandidateTally {
  alerts: number;
  closedMs: number;
  readonly keys: Set<string>;
}

/*
 * Peaks and the what-if of a streak detector, from the streaks themselves. The streak semantics
 * (README "Semantics" 4) make each threshold's alerts a function of the streaks: in arrival
 * order, a streak of a key grows by one per matching event; threshold T fires when the streak
 * reaches T + 1 (at that event's time) and, since nothing but a reset event ends an alert, the
 * alert resolves at the reset event that ends the streak (or stays active at the end). So one
 * walk over the events gives every threshold's alerts exactly; test/backtest checks it against
 * the engine run with each threshold.
 */
export class StreakTracker {
  private readonly keys = new Map<string, StreakKey>();
  private readonly match: Predicate;
  private readonly reset: Predicate;
  private readonly codec: KeyCodec;
  private readonly tallies: CandidateTally[];
  private order = 0;

  /** `thresholds` ascending, without duplicates. */
  constructor(
    def: StreakDef,
    readonly thresholds: readonly number[],
  ) {
    this.match = compileWhere(def.where);
    this.reset = compileWhere(def.resetWhere);
    this.codec = keyCodec(def.groupBy);
    this.tallies = thresholds.map(() => ({ alerts: 0, closedMs: 0, keys: new Set<string>() }));
  }

  /** An accepted event. A matching event that also matches resetWhere counts as matching. */
  observe(e: AuditEvent): void {
    if (this.match(e)) {
      const id = this.codec.encode(e);
      let k = this.keys.get(id);
      if (k === undefined) {
        k = { values: this.codec.values(e), n: 0, peak: 0, peakOrder: 0, fired: [] };
        this.keys.set(id, k);
      }
      const n = ++k.n;
      if (n > k.peak) {
        k.peak = n;
        k.peakOrder = ++this.order;
      }
      const th = this.thresholds;
      while (k.fired.length < th.length && (th[k.fired.length] as number) < n) {
        const tally = this.tallies[k.fired.length] as CandidateTally;
        tally.alerts++;
        tally.keys.add(id);
        k.fired.push(e.ts);
      }
    } else if (this.reset(e)) {
      const k = this.keys.get(this.codec.encode(e));
      if (k === undefined || k.n === 0) return;
      for (let i = 0; i < k.fired.length; i++) (this.tallies[i] as CandidateTally).closedMs += e.ts - (k.fired[i] as number);
      k.n = 0;
      k.fired.length = 0;
    }
  }

  /** What each candidate threshold would have done; alerts still active count up to `endTs`. */
  whatIf(endTs: number): AlertSummary[] {
    const out = this.tallies.map((t) => ({ alerts: t.alerts, keys: t.keys.size, alertMs: t.closedMs, openAtEnd: 0 }));
    for (const k of this.keys.values()) {
      for (let i = 0; i < k.fired.length; i++) {
        const o = out[i] as { alertMs: number; openAtEnd: number };
        o.alertMs += endTs - (k.fired[i] as number);
        o.openAtEnd++;
      }
    }
    return out;
  }

  /** Peak streak of every key that had a matching event, ascending. */
  peaks(): Float64Array {
    const out = new Float64Array(this.keys.size);
    let i = 0;
    for (const k of this.keys.values()) out[i++] = k.peak;
    return out.sort();
  }

  /** The `n` keys with the longest streaks (ties: the key that reached it first). */
  top(n: number): { values: KeyValues; peak: number }[] {
    if (n <= 0) return [];
    const best: StreakKey[] = [];
    for (const k of this.keys.values()) {
      // Insertion into a short sorted list: n is small, the key count may be large.
      if (best.length === n && !before(k, best[n - 1] as StreakKey)) continue;
      let j = best.length;
      while (j > 0 && before(k, best[j - 1] as StreakKey)) j--;
      best.splice(j, 0, k);
      if (best.length > n) best.pop();
    }
    return best.map((k) => ({ values: k.values, peak: k.peak }));
  }
}

function before(a: StreakKey, b: StreakKey): boolean {
  return a.peak > b.peak || (a.peak === b.peak && a.peakOrder < b.peakOrder);
}
