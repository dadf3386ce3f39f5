// Comparing the engine with the Elasticsearch query, one evaluation time at a time, and naming the
// cause of every difference. A difference is "declared" only when a cause from the plan's list
// provably applies to that key at that time; anything else fails verification.
import type { Where } from '../config/detectors.js';
import type { AuditEvent } from '../events/audit-event.js';
import type { WindowedCount } from '../provision/detector-view.js';
import type { ApproximationCode, Exactness } from '../provision/model.js';

export interface EvaluationResult {
  readonly t: number;
  /** Keys (JSON of the groupBy values) the engine has above the threshold at t. */
  readonly engine: ReadonlySet<string>;
  /** Keys the query returned above the threshold at t. */
  readonly query: ReadonlySet<string>;
}

export interface Difference {
  readonly t: number;
  readonly key: string;
  readonly side: 'query-only' | 'engine-only';
  /** The declared cause that explains it, or undefined (an undeclared difference: verification fails). */
  readonly cause: ApproximationCode | undefined;
}

export interface DetectorReport {
  readonly detector: string;
  readonly exactness: Exactness;
  readonly evaluations: number;
  /** (time, key) pairs where either side had the key above the threshold. */
  readonly keysCompared: number;
  readonly agreed: number;
  readonly declared: ReadonlyMap<ApproximationCode, number>;
  readonly undeclared: readonly Difference[];
}

function matches(where: Where, e: AuditEvent): boolean {
  for (const [f, vs] of where) {
    const v = (e as unknown as Record<string, unknown>)[f];
    if (typeof v !== 'string' || !vs.includes(v)) return false;
  }
  return true;
}

export function keyOf(groupBy: readonly string[], e: AuditEvent): string {
  return JSON.stringify(groupBy.map((f) => {
    const v = (e as unknown as Record<string, unknown>)[f];
    return typeof v === 'string' ? v : null;
  }));
}

/** Per key, the events that extend (where) or reset (resetWhere and not where) a streak, in stream order. */
export class StreakHistory {
  private readonly byKey = new Map<string, { ts: number; reset: boolean }[]>();

  constructor(c: WindowedCount, resetWhere: Where, events: readonly AuditEvent[]) {
    for (const e of events) {
      const extend = matches(c.where, e);
      const reset = !extend && matches(resetWhere, e);
      if (!extend && !reset) continue;
      const k = keyOf(c.groupBy, e);
      let list = this.byKey.get(k);
      if (list === undefined) this.byKey.set(k, (list = []));
      list.push({ ts: e.ts, reset });
    }
  }

  /** A reset of this key with a timestamp in (t - w, t]. */
  resetInWindow(key: string, t: number, w: number): boolean {
    return (this.byKey.get(key) ?? []).some((x) => x.reset && x.ts > t - w && x.ts <= t);
  }

  /** The streak running at t began at or before t - w (so the window holds only its tail). */
  streakOlderThanWindow(key: string, t: number, w: number): boolean {
    const upTo = (this.byKey.get(key) ?? []).filter((x) => x.ts <= t);
    let first: number | undefined;
    for (const x of upTo) {
      if (x.reset) first = undefined;
      else first ??= x.ts;
    }
    return first !== undefined && first <= t - w;
  }
}

function cause(c: WindowedCount, history: StreakHistory | undefined, d: Omit<Difference, 'cause'>): ApproximationCode | undefined {
  if (c.kind !== 'streak' || history === undefined) return undefined;
  if (d.side === 'query-only' && history.resetInWindow(d.key, d.t, c.windowMs)) return 'reset-in-window';
  if (d.side === 'engine-only' && history.streakOlderThanWindow(d.key, d.t, c.windowMs)) return 'streak-longer-than-window';
  return undefined;
}

export function compareDetector(c: WindowedCount, exactness: Exactness, results: readonly EvaluationResult[], history: StreakHistory | undefined): DetectorReport {
  const allowed = new Set<ApproximationCode>(exactness.kind === 'approximation' ? exactness.reasons : []);
  const declared = new Map<ApproximationCode, number>();
  const undeclared: Difference[] = [];
  let keysCompared = 0;
  let agreed = 0;
  for (const r of results) {
    for (const key of new Set([...r.engine, ...r.query])) {
      keysCompared++;
      const inEngine = r.engine.has(key);
      const inQuery = r.query.has(key);
      if (inEngine && inQuery) {
        agreed++;
        continue;
      }
      const d = { t: r.t, key, side: inQuery ? ('query-only' as const) : ('engine-only' as const) };
      const why = cause(c, history, d);
      if (why !== undefined && allowed.has(why)) declared.set(why, (declared.get(why) ?? 0) + 1);
      else undeclared.push({ ...d, cause: undefined });
    }
  }
  return { detector: c.id, exactness, evaluations: results.length, keysCompared, agreed, declared, undeclared };
}
