import type { DetectorDef } from '../config/detectors.js';
import { Engine, type Verdict } from '../engine/engine.js';
import { keyCodec, type KeyCodec } from '../engine/key.js';
import type { Transition } from '../engine/transition.js';
import type { AuditEvent } from '../events/audit-event.js';
import { candidatesFor, type Candidate } from './candidates.js';
import { summarize } from './distribution.js';
import { isTunable, type BacktestResult, type DetectorResult, type KeyTimeline, type Tuning, type WhatIfRow } from './result.js';
import { StreakTracker } from './streak-tracker.js';
import { AlertTally, type AlertSummary } from './tally.js';
import { WindowPeaks } from './window-peaks.js';

export interface BacktestOptions {
  readonly latenessMs: number;
  /** Alternative windows for threshold detectors (the configured window is always tried). */
  readonly windowsMs?: readonly number[];
  /** Top keys reported per detector (with a timeline for threshold detectors). */
  readonly topKeys?: number;
}

export const DEFAULT_TOP_KEYS = 6;

interface Cell {
  readonly candidate: Candidate;
  readonly tally: AlertTally;
}

/** Everything the backtest keeps for one configured detector. */
interface Plan {
  readonly def: DetectorDef;
  readonly codec: KeyCodec;
  readonly cells: readonly Cell[];
  /** Threshold detectors: one tracker per window, the configured window first (with timelines). */
  readonly windows: readonly WindowPeaks[];
  /** Streak detectors: peaks and every candidate threshold's alerts, from the streaks themselves. */
  readonly streak: StreakTracker | undefined;
}

interface Route {
  readonly plan: Plan;
  readonly tally: AlertTally;
  readonly configured: boolean;
}

function planFor(def: DetectorDef, windowsMs: readonly number[]): Plan {
  const codec = keyCodec(def.groupBy);
  const id = def.id;
  if (!isTunable(def)) {
    // Nothing to tune (leak detectors): only the configured detector's own alerts are counted.
    const only: Candidate = { detectorId: id, threshold: 0, windowMs: undefined, configured: true, def };
    return { def, codec, cells: [{ candidate: only, tally: new AlertTally() }], windows: [], streak: undefined };
  }
  const candidates = candidatesFor(def, windowsMs);
  if (def.kind === 'streak') {
    // Only the configured streak runs in the engine: the tracker derives every other threshold.
    const configured = candidates.filter((c) => c.configured).map((candidate) => ({ candidate, tally: new AlertTally() }));
    return { def, codec, cells: configured, windows: [], streak: new StreakTracker(def, candidates.map((c) => c.threshold)) };
  }
  const cells = candidates.map((candidate) => ({ candidate, tally: new AlertTally() }));
  const ws = [...new Set(cells.map((c) => c.candidate.windowMs ?? def.windowMs))];
  return { def, codec, cells, windows: ws.map((w) => new WindowPeaks(def, w, w === def.windowMs)), streak: undefined };
}

/**
 * The backtest in one pass: an Engine (so `ingestFile` drives it exactly like `replay`) that
 * runs, next to the configured detectors, one variant detector per what-if cell. The variants
 * are ordinary detector definitions, so their alerts are by construction what the engine would
 * raise with that threshold and window. Their transitions are counted here and removed from the
 * output: callers only see the configured detectors' transitions, the same as `replay`.
 */
export class Backtester extends Engine {
  private readonly plans: readonly Plan[];
  private readonly routes = new Map<string, Route>();
  private readonly windowTrackers: readonly WindowPeaks[];
  private readonly streakTrackers: readonly StreakTracker[];
  private readonly latenessMs: number;
  private readonly topKeys: number;
  private firstTs = Infinity;

  static create(defs: readonly DetectorDef[], opts: BacktestOptions): Backtester {
    return new Backtester(
      defs.map((d) => planFor(d, opts.windowsMs ?? [])),
      opts,
    );
  }

  private constructor(plans: readonly Plan[], opts: BacktestOptions) {
    // Configured detectors first and in their own order: transition order stays that of replay.
    const variants = plans.flatMap((p) => p.cells.filter((c) => !c.candidate.configured).map((c) => c.candidate.def));
    super([...plans.map((p) => p.def), ...variants], { latenessMs: opts.latenessMs });
    this.plans = plans;
    this.latenessMs = opts.latenessMs;
    this.topKeys = opts.topKeys ?? DEFAULT_TOP_KEYS;
    for (const plan of plans) {
      for (const cell of plan.cells) this.routes.set(cell.candidate.def.id, { plan, tally: cell.tally, configured: cell.candidate.configured });
    }
    this.windowTrackers = plans.flatMap((p) => p.windows);
    this.streakTrackers = plans.flatMap((p) => (p.streak === undefined ? [] : [p.streak]));
  }

  override process(e: AuditEvent, out: Transition[]): Verdict {
    const start = out.length;
    const verdict = super.process(e, out);
    if (verdict === 'accepted') {
      if (e.ts < this.firstTs) this.firstTs = e.ts;
      const finalBefore = this.watermark - this.latenessMs;
      for (const w of this.windowTrackers) w.observe(e, finalBefore);
      for (const s of this.streakTrackers) s.observe(e);
    }
    if (out.length > start) this.route(out, start);
    return verdict;
  }

  /** The analysis of everything processed so far. Call once, at the end of the input. */
  result(): BacktestResult {
    const end = this.watermark;
    for (const w of this.windowTrackers) w.finish(end);
    return {
      latenessMs: this.latenessMs,
      accepted: this.accepted,
      late: this.late,
      firstTs: Number.isFinite(this.firstTs) ? this.firstTs : undefined,
      lastTs: Number.isFinite(end) ? end : undefined,
      detectors: this.plans.map((p) => this.detectorResult(p, end)),
    };
  }

  private route(out: Transition[], start: number): void {
    let keep = start;
    for (let i = start; i < out.length; i++) {
      const t = out[i] as Transition;
      const r = this.routes.get(t.detector);
      if (r === undefined) {
        out[keep++] = t;
        continue;
      }
      const id = r.plan.codec.encodeValues(t.key);
      r.tally.add(t, id);
      if (!r.configured) continue;
      r.plan.windows[0]?.mark(id, { type: t.type, at: t.at });
      out[keep++] = t;
    }
    out.length = keep;
  }

  private detectorResult(p: Plan, end: number): DetectorResult {
    const configured = p.cells.find((c) => c.candidate.configured) as Cell;
    const alerts = configured.tally.summary(end);
    const def = p.def;
    if (!isTunable(def)) return { def, alerts, tuning: undefined };
    if (p.streak !== undefined) {
      const s = p.streak;
      const rows = s.whatIf(end);
      const whatIf: WhatIfRow[] = s.thresholds.map((threshold, i) => ({ threshold, windowMs: undefined, configured: threshold === def.threshold, ...(rows[i] as AlertSummary) }));
      const peaks = s.peaks();
      return { def, alerts, tuning: { def, peaks, peakSummary: summarize(peaks), windowPeaks: [], whatIf, top: s.top(this.topKeys), timelines: [] } };
    }
    const whatIf: WhatIfRow[] = p.cells.map((c) => ({
      threshold: c.candidate.threshold,
      windowMs: c.candidate.windowMs,
      configured: c.candidate.configured,
      ...c.tally.summary(end),
    }));
    const main = p.windows[0] as WindowPeaks;
    const peaks = main.peaks();
    const timelines: KeyTimeline[] = main.top(this.topKeys).map((k) => ({
      values: k.values,
      peak: k.peak,
      points: k.timeline?.points() ?? [],
      samples: k.timeline?.samples ?? 0,
      untracked: k.untracked,
      marks: k.marks,
      marksDropped: k.marksDropped,
    }));
    const tuning: Tuning = {
      def,
      peaks,
      peakSummary: summarize(peaks),
      windowPeaks: p.windows.map((w, i) => ({ windowMs: w.windowMs, configured: i === 0, summary: summarize(w.peaks()) })),
      whatIf,
      top: timelines.map((t) => ({ values: t.values, peak: t.peak })),
      timelines,
    };
    return { def, alerts, tuning };
  }
}
