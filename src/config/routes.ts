// alerts/routes.yaml: which sinks get which alerts, and how they are grouped (Alertmanager's
// route tree, flattened to an ordered list). The first matching route wins unless it says
// `continue: true`.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AuditwatchError } from '../errors.js';
import { EVENT_STRING_FIELDS } from '../events/audit-event.js';
import type { Severity } from './detectors.js';
import { duration, positiveDuration } from './sink-schemas.js';
import { configError, parseYaml, zodProblems, type ConfigProblem, type ParsedYaml } from './yaml-errors.js';

/** What a group can be keyed by: the detector, the severity, or a key field of the alert. */
export const GROUP_LABELS = ['detector', 'severity', ...EVENT_STRING_FIELDS] as const;
export type GroupLabel = (typeof GROUP_LABELS)[number];

const SEVERITIES = ['info', 'warning', 'critical'] as const;
const oneOrMany = <T extends z.ZodType>(item: T) => z.union([item, z.array(item).min(1)]);

const groupingFields = {
  groupBy: z
    .array(z.enum(GROUP_LABELS))
    .refine((g) => new Set(g).size === g.length, { message: 'groupBy lists a label twice' })
    .optional(),
  /** Wait this long after a group's first alert before the first message (collects a burst). */
  groupWait: duration.optional(),
  /** Then at most one message per group per interval, when something changed. */
  groupInterval: positiveDuration.optional(),
  /** Remind while alerts stay active. */
  repeatInterval: positiveDuration.optional(),
  sendResolved: z.boolean().optional(),
};

const routeSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9]+(?:[-_][a-z0-9]+)*$/, 'route names are lowercase letters, digits, - and _').max(64).optional(),
  match: z
    .strictObject({
      detector: oneOrMany(z.string().min(1)).optional(),
      severity: oneOrMany(z.enum(SEVERITIES)).optional(),
    })
    .default({}),
  sinks: z.array(z.string().min(1)).min(1),
  continue: z.boolean().default(false),
  ...groupingFields,
});

export const routesFileSchema = z.strictObject({
  defaults: z.strictObject(groupingFields).default({}),
  routes: z.array(routeSchema).min(1),
});

export interface Grouping {
  readonly groupBy: readonly GroupLabel[];
  readonly groupWaitMs: number;
  readonly groupIntervalMs: number;
  readonly repeatIntervalMs: number;
  readonly sendResolved: boolean;
}

/** Alertmanager's defaults, except groupBy: one group per detector. */
export const DEFAULT_GROUPING: Grouping = Object.freeze({
  groupBy: Object.freeze(['detector'] as GroupLabel[]),
  groupWaitMs: 10_000,
  groupIntervalMs: 60_000,
  repeatIntervalMs: 4 * 3_600_000,
  sendResolved: true,
});

export interface Position {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export interface RouteDef {
  /** Stable name used in group ids: the configured name, else `route-<n>` (1-based). */
  readonly name: string;
  readonly detectors: ReadonlySet<string> | undefined;
  readonly severities: ReadonlySet<Severity> | undefined;
  readonly sinks: readonly string[];
  readonly continue: boolean;
  readonly grouping: Grouping;
  /** Where each sink name was written, for errors found later (an unknown sink). */
  readonly sinkPositions: readonly Position[];
  readonly detectorPosition: Position | undefined;
}

const toSet = <T>(v: T | readonly T[] | undefined): ReadonlySet<T> | undefined => (v === undefined ? undefined : new Set(Array.isArray(v) ? v : [v as T]));

export function routesFromYaml(file: string, text: string): RouteDef[] {
  const parsed: ParsedYaml = parseYaml(file, text);
  const res = routesFileSchema.safeParse(parsed.value ?? {});
  if (!res.success) throw configError(zodProblems(file, parsed, res.error));
  const { defaults, routes } = res.data;
  const pos = (path: readonly PropertyKey[]): Position => ({ file, ...parsed.positionOf(path) });
  const names = new Map<string, number>();
  const problems: ConfigProblem[] = [];
  const defs = routes.map((r, i): RouteDef => {
    const name = r.name ?? `route-${i + 1}`;
    const other = names.get(name);
    if (other !== undefined) problems.push({ ...pos(['routes', i, 'name']), path: `routes.${i}.name`, message: `route name "${name}" is used twice (also routes.${other})` });
    names.set(name, i);
    return Object.freeze({
      name,
      detectors: toSet(r.match.detector),
      severities: toSet(r.match.severity),
      sinks: Object.freeze([...new Set(r.sinks)]),
      continue: r.continue,
      grouping: Object.freeze({
        groupBy: Object.freeze([...(r.groupBy ?? defaults.groupBy ?? DEFAULT_GROUPING.groupBy)]),
        groupWaitMs: r.groupWait ?? defaults.groupWait ?? DEFAULT_GROUPING.groupWaitMs,
        groupIntervalMs: r.groupInterval ?? defaults.groupInterval ?? DEFAULT_GROUPING.groupIntervalMs,
        repeatIntervalMs: r.repeatInterval ?? defaults.repeatInterval ?? DEFAULT_GROUPING.repeatIntervalMs,
        sendResolved: r.sendResolved ?? defaults.sendResolved ?? DEFAULT_GROUPING.sendResolved,
      }),
      sinkPositions: r.sinks.map((_, j) => pos(['routes', i, 'sinks', j])),
      detectorPosition: r.match.detector === undefined ? undefined : pos(['routes', i, 'match', 'detector']),
    });
  });
  if (problems.length > 0) throw configError(problems);
  return defs;
}

export function loadRoutes(file: string): RouteDef[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AuditwatchError('CONFIG_NOT_FOUND', `cannot read routes file ${file}`, { file }, { cause: err });
  }
  return routesFromYaml(file, text);
}

/**
 * Detectors built into auditwatch rather than defined in detectors/: their alerts go through the
 * same routes and silences. `audit-stream-silent` is the dead-man's switch (src/app/deadman.ts
 * DEADMAN_DETECTOR), `provisioning-drift` the scheduled drift check (src/app/drift-job.ts
 * DRIFT_DETECTOR); a test keeps this list equal to those constants.
 */
export const BUILTIN_DETECTORS = ['audit-stream-silent', 'provisioning-drift'] as const;

/**
 * A route that names a detector that does not exist is almost always a typo: report it. The
 * built-in detectors always exist, whatever `detectorIds` (the loaded detector files) holds.
 */
export function checkRouteDetectors(routes: readonly RouteDef[], detectorIds: ReadonlySet<string>): void {
  const known = new Set<string>([...detectorIds, ...BUILTIN_DETECTORS]);
  const problems: ConfigProblem[] = [];
  routes.forEach((r, i) => {
    for (const d of r.detectors ?? []) {
      if (!known.has(d)) {
        const p = r.detectorPosition ?? { file: '', line: 1, col: 1 };
        problems.push({ ...p, path: `routes.${i}.match.detector`, message: `no detector "${d}" (known: ${[...known].sort().join(', ')})` });
      }
    }
  });
  if (problems.length > 0) throw configError(problems);
}

/**
 * Resolves sink names against the sinks that exist. A name in `optional` (the well-known
 * `slack` and `pagerduty` of the shipped routes) whose secret is not configured is left out;
 * any other unknown name is an error at its file:line:col. A route left with no sink falls back
 * to `fallback` (the console), so no alert is ever routed nowhere.
 */
export function resolveRouteSinks(
  routes: readonly RouteDef[],
  available: ReadonlySet<string>,
  optional: ReadonlySet<string>,
  fallback: string,
): { routes: RouteDef[]; skipped: ReadonlySet<string> } {
  const problems: ConfigProblem[] = [];
  const skipped = new Set<string>();
  const out = routes.map((r, i) => {
    const sinks: string[] = [];
    r.sinks.forEach((s, j) => {
      if (available.has(s)) sinks.push(s);
      else if (optional.has(s)) skipped.add(s);
      else {
        const p = r.sinkPositions[j] ?? { file: '', line: 1, col: 1 };
        problems.push({ ...p, path: `routes.${i}.sinks.${j}`, message: `no sink named "${s}" (configured: ${[...available].sort().join(', ')})` });
      }
    });
    return Object.freeze({ ...r, sinks: Object.freeze(sinks.length > 0 ? sinks : [fallback]) });
  });
  if (problems.length > 0) throw configError(problems);
  return { routes: out, skipped };
}
