import type { DetectorDef, StreakDef, ThresholdDef, Where } from '../../src/config/detectors.js';
import type { AuditEvent, EventStringField, Outcome } from '../../src/events/audit-event.js';
import { Engine } from '../../src/engine/engine.js';
import { transitionJson, type Transition, type TransitionJson } from '../../src/engine/transition.js';

export const T0 = Date.UTC(2026, 2, 5, 9, 0, 0);

export function ev(ts: number, callerId: string, outcome: Outcome = 'rate_limited', extra: Partial<AuditEvent> = {}): AuditEvent {
  return { callerId, tool: 'search', outcome, timestamp: new Date(ts).toISOString(), ts, ...extra };
}

function where(w: Partial<Record<EventStringField, string | string[]>>): Where {
  return new Map(Object.entries(w).map(([k, v]) => [k as EventStringField, typeof v === 'string' ? [v] : (v as string[])]));
}

export function thresholdDef(o: { id?: string; windowMs: number; threshold: number; where?: Partial<Record<EventStringField, string | string[]>>; groupBy?: EventStringField[] }): ThresholdDef {
  return {
    id: o.id ?? 'burst',
    kind: 'threshold',
    severity: 'warning',
    groupBy: o.groupBy ?? ['callerId'],
    where: where(o.where ?? { outcome: 'rate_limited' }),
    windowMs: o.windowMs,
    threshold: o.threshold,
    file: 'test',
  };
}

export function streakDef(o: { id?: string; threshold: number; where?: Partial<Record<EventStringField, string | string[]>>; resetWhere?: Partial<Record<EventStringField, string | string[]>>; groupBy?: EventStringField[] }): StreakDef {
  return {
    id: o.id ?? 'streak',
    kind: 'streak',
    severity: 'critical',
    groupBy: o.groupBy ?? ['callerId'],
    where: where(o.where ?? { outcome: 'error' }),
    resetWhere: where(o.resetWhere ?? { outcome: 'success' }),
    threshold: o.threshold,
    file: 'test',
  };
}

export interface RunResult {
  transitions: Transition[];
  json: TransitionJson[];
  verdicts: ('accepted' | 'late')[];
  engine: Engine;
}

export function run(defs: readonly DetectorDef[], events: readonly AuditEvent[], latenessMs = 0): RunResult {
  const engine = new Engine(defs, { latenessMs });
  const transitions: Transition[] = [];
  const verdicts = events.map((e) => engine.process(e, transitions));
  return { transitions, json: transitions.map(transitionJson), verdicts, engine };
}

/** Compact "type@offset#count" strings make expectations readable. */
export function brief(ts: readonly Transition[], t0 = T0): string[] {
  return ts.map((t) => `${t.detector}:${t.key.join(',')}:${t.type}@${t.at - t0}${t.type === 'fired' ? `#${t.count}` : ''}`);
}
