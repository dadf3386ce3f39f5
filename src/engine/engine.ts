import type { DetectorDef } from '../config/detectors.js';
import type { AuditEvent } from '../events/audit-event.js';
import { compileDetector } from './compile.js';
import { outcomeBit } from './match.js';
import type { Agenda, DetectorRuntime, DetectorStats, Sequence } from './detector.js';
import type { EngineSnapshot } from './snapshot.js';
import type { Transition } from './transition.js';

export const DEFAULT_LATENESS_MS = 30_000;

export interface EngineOptions {
  /** Allowed lateness L: an event earlier than maxTs - L is dropped as late. */
  readonly latenessMs: number;
}

export type Verdict = 'accepted' | 'late';

/**
 * Runs every detector over one ordered stream (a file, or one Kafka partition). Pure and
 * synchronous: time is event time, the only input is the event, the only output transitions.
 */
export class Engine {
  private readonly detectors: readonly DetectorRuntime[];
  private readonly seq: Sequence = { value: 0 };
  private readonly agenda: Agenda = { due: Infinity };
  private readonly lateness: number;
  private maxTs = -Infinity;
  private floor = -Infinity;
  private acceptedCount = 0;
  private lateCount = 0;

  constructor(
    readonly defs: readonly DetectorDef[],
    options: EngineOptions,
  ) {
    this.lateness = options.latenessMs;
    this.detectors = defs.map((d) => compileDetector(d, this.seq, this.agenda));
  }

  /** Processes one event; transitions it causes are appended to `out`, in the order they occur. */
  process(e: AuditEvent, out: Transition[]): Verdict {
    if (e.ts < this.maxTs - this.lateness) {
      this.lateCount++;
      return 'late';
    }
    this.acceptedCount++;
    if (e.ts > this.maxTs) this.maxTs = e.ts;
    const floor = this.floor;
    const bit = outcomeBit(e.outcome);
    for (const d of this.detectors) if ((d.outcomes & bit) !== 0) d.apply(e, floor, out);
    const next = this.maxTs - this.lateness;
    if (next > floor) {
      // Resolves due before `next` and expiries at or before it; nothing is scheduled that early
      // unless the agenda says so.
      if (next >= this.agenda.due) this.advance(next, out);
      this.floor = next;
    }
    return 'accepted';
  }

  private advance(next: number, out: Transition[]): void {
    this.resolveBefore(next, out);
    for (const d of this.detectors) d.expire(next);
    this.agenda.due = this.earliestDue();
  }

  /** The detectors' own bounds, after work that may have moved them (the agenda only ever lowers itself). */
  private earliestDue(): number {
    let due = Infinity;
    for (const d of this.detectors) due = Math.min(due, d.nextDue());
    return due;
  }

  /** Watermark-driven resolves with time < limit, in time order (ties: fire order). */
  private resolveBefore(limit: number, out: Transition[]): void {
    const ds = this.detectors;
    while (true) {
      let best: DetectorRuntime | undefined;
      let bestAt = limit;
      let bestSeq = Infinity;
      for (const d of ds) {
        const at = d.nextResolveAt();
        if (at < bestAt || (at === bestAt && best !== undefined && d.nextResolveSeq() < bestSeq)) {
          best = d;
          bestAt = at;
          bestSeq = d.nextResolveSeq();
        }
      }
      if (best === undefined) return;
      best.resolveNext(out);
    }
  }

  get watermark(): number {
    return this.maxTs;
  }

  get accepted(): number {
    return this.acceptedCount;
  }

  get late(): number {
    return this.lateCount;
  }

  stats(): ReadonlyMap<string, DetectorStats> {
    return new Map(this.detectors.map((d) => [d.def.id, d.stats()]));
  }

  snapshot(): EngineSnapshot {
    return {
      version: 1,
      latenessMs: this.lateness,
      maxTs: Number.isFinite(this.maxTs) ? this.maxTs : null,
      seq: this.seq.value,
      accepted: this.acceptedCount,
      late: this.lateCount,
      detectors: this.detectors.map((d) => d.snapshot()),
    };
  }

  /**
   * Rebuilds an engine from a snapshot. State of detectors that no longer exist, or whose kind
   * changed, is dropped; a detector new since the snapshot starts empty.
   */
  static restore(defs: readonly DetectorDef[], options: EngineOptions, s: EngineSnapshot): Engine {
    const engine = new Engine(defs, options);
    engine.maxTs = s.maxTs ?? -Infinity;
    engine.floor = engine.maxTs - engine.lateness;
    engine.seq.value = s.seq;
    engine.acceptedCount = s.accepted;
    engine.lateCount = s.late;
    for (const d of engine.detectors) {
      const ds = s.detectors.find((x) => x.id === d.def.id && x.kind === d.def.kind);
      if (ds !== undefined) d.restore(ds);
    }
    engine.agenda.due = engine.earliestDue();
    return engine;
  }
}
