// alerts/silences.yaml: planned quiet periods. A silence matches alerts by detector, severity
// and key fields (every listed matcher must match) between startsAt and endsAt; a silenced alert
// is recorded and counted, never sent. Written by hand or by `auditwatch silence add|expire`.
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { AuditwatchError } from '../errors.js';
import { parseTimestamp } from '../events/timestamp.js';
import { GROUP_LABELS, type GroupLabel } from './routes.js';
import { configError, parseYaml, zodProblems, type ConfigProblem } from './yaml-errors.js';

const timestamp = z.string().transform((s, ctx) => {
  const ms = parseTimestamp(s);
  if (ms === undefined) {
    ctx.issues.push({ code: 'custom', message: `"${s}" is not an RFC 3339 time with a zone (e.g. 2026-03-05T10:00:00Z)`, input: s });
    return z.NEVER;
  }
  return ms;
});

const matcherValues = z.union([z.string(), z.array(z.string()).min(1)]);

export const silenceSchema = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'id must be letters, digits, - and _ (at most 64)'),
    matchers: z
      .partialRecord(z.enum(GROUP_LABELS), matcherValues)
      .refine((m) => Object.keys(m).length > 0, { message: 'a silence needs at least one matcher (it would silence everything)' }),
    startsAt: timestamp,
    endsAt: timestamp,
    createdBy: z.string().min(1).max(200),
    comment: z.string().min(1).max(2000),
  })
  .refine((s) => s.endsAt > s.startsAt, { message: 'endsAt must be after startsAt', path: ['endsAt'] });

export const silencesFileSchema = z.strictObject({
  silences: z.array(silenceSchema).nullable().default([]),
});

export interface SilenceDef {
  readonly id: string;
  /** Label → accepted values; a silence matches when every label has one of its values. */
  readonly matchers: ReadonlyMap<GroupLabel, ReadonlySet<string>>;
  readonly startsAt: number;
  readonly endsAt: number;
  readonly createdBy: string;
  readonly comment: string;
}

export function silencesFromYaml(file: string, text: string): SilenceDef[] {
  const parsed = parseYaml(file, text);
  const res = silencesFileSchema.safeParse(parsed.value ?? {});
  if (!res.success) throw configError(zodProblems(file, parsed, res.error));
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  const defs = (res.data.silences ?? []).map((s, i): SilenceDef => {
    if (seen.has(s.id)) problems.push({ file, ...parsed.positionOf(['silences', i, 'id']), path: `silences.${i}.id`, message: `silence id "${s.id}" is used twice` });
    seen.add(s.id);
    const matchers = new Map<GroupLabel, ReadonlySet<string>>();
    for (const label of GROUP_LABELS) {
      const v = s.matchers[label];
      if (v !== undefined) matchers.set(label, new Set(typeof v === 'string' ? [v] : v));
    }
    return Object.freeze({ id: s.id, matchers, startsAt: s.startsAt, endsAt: s.endsAt, createdBy: s.createdBy, comment: s.comment });
  });
  if (problems.length > 0) throw configError(problems);
  return defs;
}

/** Loads a silences file; a file that does not exist means no silences. */
export function loadSilences(file: string): SilenceDef[] {
  if (!existsSync(file)) return [];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AuditwatchError('CONFIG_NOT_FOUND', `cannot read silences file ${file}`, { file }, { cause: err });
  }
  return silencesFromYaml(file, text);
}
