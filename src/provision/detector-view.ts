// What every target compiler needs to know about a detector, in one place: which kinds can be
// provisioned at all, the windowed count a detector becomes on a platform, and which of the
// engine's semantics that count cannot keep. A kind added to the engine later (say `leak`)
// falls through to "not provisionable" here until a compiler learns it.
import type { DetectorDef, Where } from '../config/detectors.js';
import { formatDuration } from '../config/duration.js';
import type { ApproximationCode } from './model.js';

/** Event fields every valid audit event carries (events/audit-event.ts); the others may be missing. */
const ALWAYS_PRESENT = new Set<string>(['callerId', 'tool', 'outcome']);

export interface WindowedCount {
  readonly id: string;
  readonly kind: 'threshold' | 'streak';
  readonly file: string;
  readonly description: string | undefined;
  readonly runbook: string | undefined;
  readonly severity: 'info' | 'warning' | 'critical';
  readonly where: Where;
  readonly groupBy: readonly string[];
  readonly windowMs: number;
  readonly threshold: number;
  /** Approximations every windowed-count platform shares for this detector (before its own). */
  readonly inherent: readonly ApproximationCode[];
}

/**
 * The detector as "more than `threshold` events matching `where` in (t - window, t] per key", or
 * undefined with the reason when no windowed count represents it.
 */
export function asWindowedCount(def: DetectorDef, streakWindowMs: number): WindowedCount | { notProvisionable: string } {
  const base = {
    id: def.id,
    file: def.file,
    description: def.description,
    runbook: def.runbook,
    severity: def.severity,
    where: def.where,
    groupBy: def.groupBy,
  };
  if (def.kind === 'threshold') return { ...base, kind: 'threshold', threshold: def.threshold, windowMs: def.windowMs, inherent: [] };
  if (def.kind === 'streak') {
    const inherent: ApproximationCode[] = ['streak-as-window-count', 'reset-in-window', 'streak-longer-than-window'];
    return { ...base, kind: 'streak', threshold: def.threshold, windowMs: streakWindowMs, inherent };
  }
  return { notProvisionable: `kind "${(def as { kind: string }).kind}" has no windowed-count equivalent; not provisionable` };
}

export function optionalGroupFields(c: WindowedCount): string[] {
  return c.groupBy.filter((f) => !ALWAYS_PRESENT.has(f));
}

export function isOptionalField(field: string): boolean {
  return !ALWAYS_PRESENT.has(field);
}

/** One line saying what the compiled object counts, for messages and plans. */
export function summary(c: WindowedCount): string {
  const where = [...c.where].map(([f, vs]) => `${f}=${vs.join('|')}`).join(' ') || 'any event';
  return `more than ${c.threshold} events [${where}] in ${formatDuration(c.windowMs)} per ${c.groupBy.join(',')}`;
}

/** File name without folders: compiled objects must not change with where the repo is checked out. */
export function fileName(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i < 0 ? path : path.slice(i + 1);
}
