import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { AuditwatchError } from '../errors.js';
import { formatOptionsSchema, inputFormatSchema } from '../events/formats/registry.js';
import { DEFAULT_LIMITS, inputLimitsSchema } from '../events/limits.js';
import { configError, parseYaml, zodProblems } from './yaml-errors.js';
import { kafkaSectionSchema } from './sections/kafka.js';
import { alertingSectionSchema } from './sections/alerting.js';
import { provisionSectionSchema } from './sections/provision.js';
import { opsSectionSchema } from './sections/ops.js';
import { durationSchema } from './duration-schema.js';

/** A duration in config: "30s", "15m"... parsed to milliseconds. */
export const durationMs = durationSchema(0);

const inputSectionSchema = z.strictObject({
  /** Event format: `canonical` (default), a named adapter, or `auto` (README "Input formats"). */
  format: inputFormatSchema.default('canonical'),
  /** Per-format options, e.g. `redisctl: { caller: prod-profile }` or `ecs: { callerFields: [...] }`. */
  formats: formatOptionsSchema.default({}),
  maxBytes: z.number().int().positive().default(1024 * 1024),
  maxDepth: inputLimitsSchema.shape.maxDepth,
  maxFieldLength: inputLimitsSchema.shape.maxFieldLength,
  lateness: durationMs.default(30_000),
});

/**
 * `auditwatch.yaml`: every section optional so that no file at all is a valid configuration
 * (file input, console output). Each stage owns its section's schema in config/sections/.
 */
export const runtimeConfigSchema = z.strictObject({
  detectors: z.string().optional(),
  alerts: z.string().optional(),
  input: inputSectionSchema.default({ format: 'canonical', formats: {}, maxBytes: 1024 * 1024, maxDepth: DEFAULT_LIMITS.maxDepth, maxFieldLength: DEFAULT_LIMITS.maxFieldLength, lateness: 30_000 }),
  kafka: kafkaSectionSchema.optional(),
  alerting: alertingSectionSchema.optional(),
  provision: provisionSectionSchema.optional(),
  ops: opsSectionSchema.optional(),
});
export type RuntimeConfig = z.infer<typeof runtimeConfigSchema>;

/**
 * Loads the runtime configuration: the file named by --config, else $AUDITWATCH_CONFIG, else
 * ./auditwatch.yaml when present, else defaults. Secrets never live here: sections name the
 * environment variable or file that holds them.
 */
export function loadRuntimeConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): { config: RuntimeConfig; file: string | undefined } {
  const file = path ?? env.AUDITWATCH_CONFIG ?? (existsSync('auditwatch.yaml') ? 'auditwatch.yaml' : undefined);
  if (file === undefined) return { config: runtimeConfigSchema.parse({}), file: undefined };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AuditwatchError('CONFIG_NOT_FOUND', `cannot read config file ${resolve(file)}`, { file }, { cause: err });
  }
  const parsed = parseYaml(file, text);
  const res = runtimeConfigSchema.safeParse(parsed.value ?? {});
  if (!res.success) throw configError(zodProblems(file, parsed, res.error));
  return { config: res.data, file };
}
