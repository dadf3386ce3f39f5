import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AuditwatchError } from '../errors.js';
import { EVENT_STRING_FIELDS, type EventStringField } from '../events/audit-event.js';
import { ConfigInvalidError, configError, parseYaml, zodProblems, type ConfigProblem } from './yaml-errors.js';
import { durationSchema } from './duration-schema.js';

const fieldSchema = z.enum(EVENT_STRING_FIELDS);
const matchValues = z.union([z.string(), z.array(z.string()).min(1)]);
const whereSchema = z.partialRecord(fieldSchema, matchValues);
const positiveDuration = durationSchema(1, { example: '15m' });
const groupBySchema = z
  .array(fieldSchema)
  .min(1)
  .refine((g) => g.includes('callerId'), { message: 'groupBy must include callerId' })
  .refine((g) => new Set(g).size === g.length, { message: 'groupBy lists a field twice' });

const common = {
  id: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'id must be lowercase letters, digits and single dashes').max(64),
  description: z.string().max(500).optional(),
  runbook: z.url().optional(),
  severity: z.enum(['info', 'warning', 'critical']),
  groupBy: groupBySchema,
};

export const thresholdDetectorSchema = z.strictObject({
  ...common,
  kind: z.literal('threshold'),
  where: whereSchema.default({}),
  window: positiveDuration,
  threshold: z.number().int().nonnegative(),
});

export const streakDetectorSchema = z.strictObject({
  ...common,
  kind: z.literal('streak'),
  where: whereSchema,
  resetWhere: whereSchema,
  threshold: z.number().int().nonnegative(),
});

/** Field names that must never reach a log platform (matched case-insensitively, at any depth). */
export const DEFAULT_LEAK_DENY_FIELDS = ['args', 'arguments', 'params', 'apiKey', 'api_key', 'token', 'accessToken', 'access_token', 'secret', 'password', 'credential', 'authorization', 'bearer', 'privateKey', 'private_key', 'clientSecret', 'client_secret'] as const;

export const leakDetectorSchema = z.strictObject({
  ...common,
  kind: z.literal('leak'),
  // Leaks are breaches: critical unless the file says otherwise.
  severity: common.severity.default('critical'),
  groupBy: groupBySchema.default(['callerId', 'serverVersion']),
  /** Which events are inspected; all by default. */
  where: whereSchema.default({}),
  /** The alert resolves once this long has passed (in event time) without a leak for the key. */
  quiet: positiveDuration,
  /** Field names (any depth, case-insensitive) whose presence with a value is a leak. */
  denyFields: z.array(z.string().min(1).max(200)).max(500).default([...DEFAULT_LEAK_DENY_FIELDS]),
  /** Dotted paths (array indices left out) where a deny-listed name is expected and harmless. */
  allowPaths: z.array(z.string().min(1).max(500)).max(500).default([]),
  /** Also look for credentials in every string value, with the secret screen's credential rules. */
  checkValues: z.boolean().default(true),
});

export const detectorFileSchema = z.discriminatedUnion('kind', [thresholdDetectorSchema, streakDetectorSchema, leakDetectorSchema]);

export type Severity = 'info' | 'warning' | 'critical';
/** Field → accepted values; an event matches when every listed field has one of its values. */
export type Where = ReadonlyMap<EventStringField, readonly string[]>;

interface CommonDef {
  readonly id: string;
  readonly description?: string;
  readonly runbook?: string;
  readonly severity: Severity;
  readonly groupBy: readonly EventStringField[];
  readonly where: Where;
  /** Where the definition came from, for error messages. */
  readonly file: string;
}
export interface ThresholdDef extends CommonDef {
  readonly kind: 'threshold';
  readonly windowMs: number;
  readonly threshold: number;
}
export interface StreakDef extends CommonDef {
  readonly kind: 'streak';
  readonly resetWhere: Where;
  readonly threshold: number;
}
/** Unscrubbed events: see README "Semantics", clause 7. */
export interface LeakDef extends CommonDef {
  readonly kind: 'leak';
  readonly quietMs: number;
  /** Lower-cased deny-listed field names. */
  readonly denyFields: ReadonlySet<string>;
  readonly allowPaths: ReadonlySet<string>;
  readonly checkValues: boolean;
}
export type DetectorDef = ThresholdDef | StreakDef | LeakDef;

function toWhere(raw: Partial<Record<EventStringField, string | string[]>>): Where {
  const m = new Map<EventStringField, readonly string[]>();
  for (const f of EVENT_STRING_FIELDS) {
    const v = raw[f];
    if (v !== undefined) m.set(f, Object.freeze(typeof v === 'string' ? [v] : [...v]));
  }
  return m;
}

export function detectorFromYaml(file: string, text: string): DetectorDef {
  const parsed = parseYaml(file, text);
  const res = detectorFileSchema.safeParse(parsed.value);
  if (!res.success) throw configError(zodProblems(file, parsed, res.error));
  const d = res.data;
  const base = {
    id: d.id,
    description: d.description,
    runbook: d.runbook,
    severity: d.severity,
    groupBy: Object.freeze([...d.groupBy]),
    where: toWhere(d.where),
    file,
  };
  if (d.kind === 'threshold') return Object.freeze({ ...base, kind: 'threshold', windowMs: d.window, threshold: d.threshold });
  if (d.kind === 'leak') {
    return Object.freeze({
      ...base,
      kind: 'leak',
      quietMs: d.quiet,
      denyFields: new Set(d.denyFields.map((f) => f.toLowerCase())),
      allowPaths: new Set(d.allowPaths),
      checkValues: d.checkValues,
    });
  }
  return Object.freeze({ ...base, kind: 'streak', resetWhere: toWhere(d.resetWhere), threshold: d.threshold });
}

/**
 * Loads every *.yaml / *.yml file of a directory, in name order. All problems of all files are
 * reported together, each as file:line:col, so one run shows everything that needs fixing.
 */
export function loadDetectors(dir: string): DetectorDef[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.yaml') || n.endsWith('.yml')).sort();
  } catch (err) {
    throw new AuditwatchError('CONFIG_NOT_FOUND', `cannot read detectors directory ${dir}`, { file: dir }, { cause: err });
  }
  if (names.length === 0) throw new AuditwatchError('CONFIG_NOT_FOUND', `no detector files (*.yaml) in ${dir}`, { file: dir });
  const defs: DetectorDef[] = [];
  const problems: ConfigProblem[] = [];
  const seen = new Map<string, string>();
  for (const name of names) {
    const file = join(dir, name);
    try {
      const def = detectorFromYaml(file, readFileSync(file, 'utf8'));
      const other = seen.get(def.id);
      if (other !== undefined) {
        problems.push({ file, line: 1, col: 1, path: 'id', message: `duplicate detector id "${def.id}" (also in ${other})` });
        continue;
      }
      seen.set(def.id, file);
      defs.push(def);
    } catch (err) {
      if (!(err instanceof ConfigInvalidError)) throw err;
      problems.push(...err.problems);
    }
  }
  if (problems.length > 0) throw configError(problems);
  return defs;
}
