import { z } from 'zod';
import type { FormatAdapter, Mapped } from './adapter.js';
import { auditTrailFormat } from './audit-trail.js';
import { canonicalFormat } from './canonical.js';
import { ecsFormat } from './ecs.js';
import type { JsonObject } from './json.js';
import { obotFormat } from './obot.js';
import { redisctlFormat } from './redisctl.js';
import { toolhiveFormat } from './toolhive.js';

/**
 * Input formats: one explicit table from name to adapter. Its order is the order in which `auto`
 * asks the adapters to claim a message; each detector tests fields only its own format has, so
 * the order only matters for speed (canonical, the common case, first).
 */
export const FORMATS = {
  canonical: canonicalFormat,
  redisctl: redisctlFormat,
  toolhive: toolhiveFormat,
  obot: obotFormat,
  'audit-trail': auditTrailFormat,
  ecs: ecsFormat,
} as const;

export type FormatName = keyof typeof FORMATS;
export const FORMAT_NAMES = Object.keys(FORMATS) as FormatName[];

/** What `--format` and `input.format` accept. */
export const INPUT_FORMATS = [...FORMAT_NAMES, 'auto'] as const;
export type InputFormat = FormatName | 'auto';
export const inputFormatSchema = z.enum(INPUT_FORMATS as unknown as readonly [InputFormat, ...InputFormat[]]);

/** Per-format options (`input.formats` in auditwatch.yaml); every section optional. */
export const formatOptionsSchema = z.strictObject({
  canonical: canonicalFormat.options.optional(),
  redisctl: redisctlFormat.options.optional(),
  toolhive: toolhiveFormat.options.optional(),
  obot: obotFormat.options.optional(),
  'audit-trail': auditTrailFormat.options.optional(),
  ecs: ecsFormat.options.optional(),
});
/** Options as written in a config file (before defaults). */
export type FormatOptionsInput = z.input<typeof formatOptionsSchema>;
/** Options after validation (defaults applied, paths compiled): what decoders take. */
export type FormatOptions = z.output<typeof formatOptionsSchema>;

/** A format with its options bound: what the decoder calls per message. */
export interface BoundFormat {
  readonly name: FormatName;
  detect(msg: JsonObject): boolean;
  map(msg: JsonObject): Mapped;
}

function bind<O>(name: FormatName, adapter: FormatAdapter<O>, parsed: O | undefined): BoundFormat {
  const options = parsed ?? adapter.options.parse({});
  return { name, detect: (msg) => adapter.detect(msg), map: (msg) => adapter.map(msg, options) };
}

/** Binds validated options (formatOptionsSchema's output; absent sections get their defaults). */
export function bindFormats(o: FormatOptions = {}): ReadonlyMap<FormatName, BoundFormat> {
  return new Map<FormatName, BoundFormat>([
    ['canonical', bind('canonical', FORMATS.canonical, o.canonical)],
    ['redisctl', bind('redisctl', FORMATS.redisctl, o.redisctl)],
    ['toolhive', bind('toolhive', FORMATS.toolhive, o.toolhive)],
    ['obot', bind('obot', FORMATS.obot, o.obot)],
    ['audit-trail', bind('audit-trail', FORMATS['audit-trail'], o['audit-trail'])],
    ['ecs', bind('ecs', FORMATS.ecs, o.ecs)],
  ]);
}

/** The format `auto` picks for a message, or undefined when no adapter claims it. */
export function detectFormat(msg: JsonObject, formats: ReadonlyMap<FormatName, BoundFormat>): BoundFormat | undefined {
  for (const f of formats.values()) if (f.detect(msg)) return f;
  return undefined;
}
