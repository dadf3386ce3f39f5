// Builders for transitions, routes and pipelines in the alerting tests.
import type { Severity } from '../../src/config/detectors.js';
import { DEFAULT_GROUPING, type GroupLabel, type Grouping, type RouteDef } from '../../src/config/routes.js';
import type { SilenceDef } from '../../src/config/silences.js';
import type { FiredTransition, ResolvedTransition } from '../../src/engine/transition.js';
import type { EventStringField } from '../../src/events/audit-event.js';
import { AlertPipeline, type SinkMode } from '../../src/alerts/pipeline.js';

export const T0 = Date.UTC(2026, 2, 5, 9, 0, 0);

export interface Tx {
  detector?: string;
  severity?: Severity;
  key?: Record<string, string | null>;
  count?: number;
  threshold?: number;
  windowMs?: number;
}

function keyOf(key: Record<string, string | null>): { keyFields: EventStringField[]; key: (string | null)[] } {
  const entries = Object.entries(key);
  return { keyFields: entries.map(([f]) => f as EventStringField), key: entries.map(([, v]) => v) };
}

export function fired(at: number, o: Tx = {}): FiredTransition {
  return {
    type: 'fired',
    detector: o.detector ?? 'rate-limit-burst',
    severity: o.severity ?? 'warning',
    ...keyOf(o.key ?? { callerId: 'c-1' }),
    at,
    count: o.count ?? 101,
    threshold: o.threshold ?? 100,
    windowMs: o.windowMs ?? 3_600_000,
  };
}

export function resolved(at: number, firedAt: number, o: Tx = {}): ResolvedTransition {
  return {
    type: 'resolved',
    detector: o.detector ?? 'rate-limit-burst',
    severity: o.severity ?? 'warning',
    ...keyOf(o.key ?? { callerId: 'c-1' }),
    at,
    firedAt,
  };
}

export function route(o: Partial<Omit<RouteDef, 'grouping'>> & { grouping?: Partial<Grouping> } = {}): RouteDef {
  return {
    name: o.name ?? 'r',
    detectors: o.detectors,
    severities: o.severities,
    sinks: o.sinks ?? ['slack'],
    continue: o.continue ?? false,
    grouping: { ...DEFAULT_GROUPING, ...(o.grouping ?? {}) },
    sinkPositions: [],
    detectorPosition: undefined,
  };
}

export const MODES = new Map<string, SinkMode>([
  ['slack', 'group'],
  ['pagerduty', 'alert'],
  ['console', 'alert'],
  ['hook', 'alert'],
]);

export function pipeline(routes: RouteDef[], silences: SilenceDef[] = [], topN?: number): AlertPipeline {
  return new AlertPipeline({ routes, sinkModes: MODES, detectors: new Map([['rate-limit-burst', { id: 'rate-limit-burst', description: 'Caller keeps hitting rate limits' }]]), silences, ...(topN === undefined ? {} : { topN }) });
}

export function silence(o: Partial<Omit<SilenceDef, 'matchers'>> & { matchers: [string, string[]][] }): SilenceDef {
  return {
    id: o.id ?? 's1',
    matchers: new Map(o.matchers.map(([l, vs]) => [l as GroupLabel, new Set(vs)])),
    startsAt: o.startsAt ?? T0 - 3_600_000,
    endsAt: o.endsAt ?? T0 + 3_600_000,
    createdBy: 'test',
    comment: 'test',
  };
}
