// The Elasticsearch search that answers "which keys have more than `threshold` matching events in
// (t - window, t]?", and the parser of its answer. The same builder makes the plain body (bounds in
// epoch milliseconds, run by `provision verify`) and the stored mustache template (bounds from an
// `end` parameter, or "now" when a watch runs it), so the two cannot drift apart.
//
// Window boundary: the engine counts (t - W, t] in event time with millisecond timestamps, so the
// range is gt / lte (never gte / lt). Elasticsearch `date` fields keep milliseconds and truncate
// finer digits, exactly as the engine's timestamp parser does.
//
// Grouping: one `terms` level per groupBy field, ordered by count then key, min_doc_count =
// threshold + 1 (a key above the threshold has every prefix above it, so pruning at each level is
// safe). Events missing an optional field form the engine's null key: a sibling `missing`
// aggregation per optional level collects them (min_doc_count does not apply there, the parser
// filters). No scripts anywhere.
import { z } from 'zod';
import type { Where } from '../config/detectors.js';
import { isOptionalField } from './detector-view.js';
import type { Json, JsonObject } from './model.js';

export const TIMESTAMP_FORMAT = 'strict_date_optional_time||epoch_millis';

export interface SearchShape {
  readonly detector: string;
  readonly where: Where;
  readonly groupBy: readonly string[];
  readonly windowMs: number;
  readonly threshold: number;
  readonly maxKeys: number;
  readonly shardSize: number;
}

/** `end` in epoch ms for a plain body; `template` for the mustache source (end param, else now). */
export type Bounds = { readonly endMs: number } | 'template';

function range(shape: SearchShape, bounds: Bounds): JsonObject {
  if (bounds === 'template') {
    // Elasticsearch date math has no millisecond unit: compile-elasticsearch refuses such windows.
    const seconds = shape.windowMs / 1000;
    return {
      gt: `{{#end}}{{end}}||{{/end}}{{^end}}now{{/end}}-${seconds}s`,
      lte: '{{#end}}{{end}}{{/end}}{{^end}}now{{/end}}',
      format: TIMESTAMP_FORMAT,
    };
  }
  return { gt: bounds.endMs - shape.windowMs, lte: bounds.endMs, format: TIMESTAMP_FORMAT };
}

function filters(shape: SearchShape, bounds: Bounds): Json[] {
  const out: Json[] = [{ range: { timestamp: range(shape, bounds) } }];
  for (const [field, values] of shape.where) {
    out.push(values.length === 1 ? { term: { [field]: values[0] ?? '' } } : { terms: { [field]: [...values] } });
  }
  return out;
}

/** Path to the largest count below level i, for max_bucket (the watch condition reads it). */
function peakPath(shape: SearchShape, i: number): string {
  return i === shape.groupBy.length - 1 ? `k${i}>_count` : `k${i}>p${i + 1}`;
}

function level(shape: SearchShape, i: number): Record<string, Json> {
  const field = shape.groupBy[i];
  if (field === undefined) return {};
  const inner = level(shape, i + 1);
  const terms: Record<string, Json> = {
    terms: {
      field,
      size: shape.maxKeys,
      shard_size: Math.max(shape.shardSize, shape.maxKeys),
      min_doc_count: shape.threshold + 1,
      order: [{ _count: 'desc' }, { _key: 'asc' }],
    },
  };
  if (i + 1 < shape.groupBy.length) terms.aggs = { ...inner, [`p${i + 1}`]: { max_bucket: { buckets_path: peakPath(shape, i + 1) } } };
  const aggs: Record<string, Json> = { [`k${i}`]: terms };
  if (isOptionalField(field)) aggs[`m${i}`] = i + 1 < shape.groupBy.length ? { missing: { field }, aggs: inner } : { missing: { field } };
  return aggs;
}

/** The search body; `_name` marks the query as auditwatch's in slow logs and profiles. */
export function searchBody(shape: SearchShape, bounds: Bounds): JsonObject {
  return {
    size: 0,
    track_total_hits: false,
    query: { bool: { _name: `auditwatch:${shape.detector}`, filter: filters(shape, bounds) } },
    aggs: { ...level(shape, 0), peak: { max_bucket: { buckets_path: peakPath(shape, 0) } } },
  };
}

// ---------------------------------------------------------------------------------------- answers

const bucketSchema = z.looseObject({ key: z.union([z.string(), z.number()]), doc_count: z.number().int().nonnegative() });
const termsSchema = z.looseObject({
  buckets: z.array(bucketSchema),
  doc_count_error_upper_bound: z.number().optional(),
  sum_other_doc_count: z.number().optional(),
});
const missingSchema = z.looseObject({ doc_count: z.number().int().nonnegative() });

export interface KeyCount {
  /** groupBy values in order; null where the events lack the field. */
  readonly values: readonly (string | null)[];
  readonly count: number;
}

export interface SearchAnswer {
  readonly keys: readonly KeyCount[];
  /** A terms level returned maxKeys buckets: keys beyond them may be missing (a declared limit). */
  readonly truncated: boolean;
  /** Some shard could not guarantee its counts (doc_count_error_upper_bound > 0). */
  readonly countErrors: boolean;
}

export class SearchAnswerError extends Error {}

// Terms buckets are taken as Elasticsearch returned them: min_doc_count is the query's own
// threshold (the watch relies on it too), so it is not re-applied here, where it would hide a wrong
// query from `provision verify`. Only `missing` buckets, which have no min_doc_count, are filtered.
function walkAnswer(shape: SearchShape, aggs: Record<string, unknown>, i: number, prefix: (string | null)[], out: KeyCount[], flags: { truncated: boolean; countErrors: boolean }, count: number): void {
  if (i === shape.groupBy.length) {
    out.push({ values: prefix, count });
    return;
  }
  const t = termsSchema.safeParse(aggs[`k${i}`]);
  if (!t.success) throw new SearchAnswerError(`aggregation k${i} is missing or malformed: ${t.error.issues[0]?.message ?? ''}`);
  if (t.data.buckets.length >= shape.maxKeys) flags.truncated = true;
  if ((t.data.doc_count_error_upper_bound ?? 0) > 0) flags.countErrors = true;
  for (const b of t.data.buckets) walkAnswer(shape, b, i + 1, [...prefix, String(b.key)], out, flags, b.doc_count);
  const field = shape.groupBy[i] ?? '';
  if (isOptionalField(field)) {
    const m = missingSchema.safeParse(aggs[`m${i}`]);
    if (!m.success) throw new SearchAnswerError(`aggregation m${i} is missing or malformed`);
    if (m.data.doc_count > shape.threshold) walkAnswer(shape, m.data, i + 1, [...prefix, null], out, flags, m.data.doc_count);
  }
}

/** Keys above the threshold from a search response (validated: a malformed answer throws). */
export function parseSearchAnswer(shape: SearchShape, response: unknown): SearchAnswer {
  const r = z.looseObject({ aggregations: z.record(z.string(), z.unknown()) }).safeParse(response);
  if (!r.success) throw new SearchAnswerError('the response has no aggregations');
  const out: KeyCount[] = [];
  const flags = { truncated: false, countErrors: false };
  walkAnswer(shape, r.data.aggregations, 0, [], out, flags, 0);
  return { keys: out, ...flags };
}
