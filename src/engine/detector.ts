import type { DetectorDef } from '../config/detectors.js';
import type { AuditEvent } from '../events/audit-event.js';
import type { Transition } from './transition.js';

/** Fire order shared by all detectors of one engine: ties between resolves are broken by it. */
export interface Sequence {
  value: number;
}

/**
 * A lower bound, shared by the detectors of one engine, on the earliest event time at which any
 * of them has watermark-driven work (a resolve or an expiry). A detector lowers it whenever it
 * schedules something; the engine raises it again after doing the work. Most events advance the
 * watermark without reaching it, and then cost no call into the detectors' queues.
 */
export interface Agenda {
  due: number;
}

/** Lowers the agenda to `at` if that is earlier. */
export function scheduleAt(agenda: Agenda, at: number): void {
  if (at < agenda.due) agenda.due = at;
}

export interface DetectorStats {
  readonly keys: number;
  readonly active: number;
  /** Timestamps held across all keys (threshold kinds); memory is proportional to it. */
  readonly storedTimes: number;
}

/** One compiled detector inside an engine. Pure: everything it knows arrives as arguments. */
export interface DetectorRuntime {
  readonly def: DetectorDef;
  /** Outcomes (see outcomeBit) of the events apply() can react to; the engine skips the rest. */
  readonly outcomes: number;
  /** An accepted event; `floor` is the lowest event time any future question can be about. */
  apply(e: AuditEvent, floor: number, out: Transition[]): void;
  /** The earliest pending watermark-driven resolve, or Infinity. */
  nextResolveAt(): number;
  /** Fire order of that pending resolve's alert, to order equal times. */
  nextResolveSeq(): number;
  /** Performs the pending resolve returned by nextResolveAt (the caller checked it is due). */
  resolveNext(out: Transition[]): void;
  /** Forgets state no question at or after `floor` can need. */
  expire(floor: number): void;
  /**
   * A lower bound on the earliest time this detector has work at: a pending resolve time, or an
   * expiry (expire(floor) with floor at or after it may forget something); Infinity if none.
   */
  nextDue(): number;
  stats(): DetectorStats;
  snapshot(): DetectorSnapshot;
  restore(s: DetectorSnapshot): void;
}

export interface DetectorSnapshot {
  readonly id: string;
  readonly kind: string;
  readonly keys: readonly KeySnapshot[];
}

export interface KeySnapshot {
  /** groupBy values */
  readonly v: readonly (string | null)[];
  /** stored event times (threshold); start, end, count of each later stretch (leak) */
  readonly t?: readonly number[];
  /** streak length (streak) */
  readonly n?: number;
  /** active alert: fired at, pending resolve at (threshold, leak), fire sequence */
  readonly a?: number;
  readonly r?: number;
  readonly s?: number;
  /** evidence strings (leak: path and rule of each later stretch, in `t` order) */
  readonly e?: readonly string[];
}
