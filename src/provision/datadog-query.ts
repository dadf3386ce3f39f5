// Datadog log search and log-alert query strings, built from a detector's `where`.
// Attribute values are always double-quoted: the log search syntax treats a quoted value as one
// literal sequence (docs.datadoghq.com/logs/explorer/search_syntax: "escape it with a backslash or
// use double quotes"); `"` and `\` inside it are backslash-escaped. The whole search then sits in
// logs("...") and is escaped once more for that string literal.
import { formatDuration } from '../config/duration.js';
import type { Where } from '../config/detectors.js';

/** Log monitor window limits (docs.datadoghq.com/monitors/types/log: "up to 2 days"). */
export const DATADOG_MAX_WINDOW_MS = 48 * 3_600_000;

export function quoteValue(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export function facetName(prefix: string, field: string): string {
  return `${prefix}${field}`;
}

function term(prefix: string, field: string, values: readonly string[]): string {
  const f = facetName(prefix, field);
  if (values.length === 1) return `${f}:${quoteValue(values[0] ?? '')}`;
  return `${f}:(${values.map(quoteValue).join(' OR ')})`;
}

export interface SearchScope {
  readonly facetPrefix: string;
  readonly source?: string;
  readonly service?: string;
}

/** The log search: source/service scope AND every `where` field (AND between fields, OR within one). */
export function logSearch(where: Where, scope: SearchScope): string {
  const parts: string[] = [];
  if (scope.source !== undefined) parts.push(`source:${scope.source}`);
  if (scope.service !== undefined) parts.push(`service:${scope.service}`);
  for (const [field, values] of where) parts.push(term(scope.facetPrefix, field, values));
  return parts.length === 0 ? '*' : parts.join(' ');
}

/** `#m` or `#h` for last(); undefined with the reason when Datadog cannot express the window. */
export function logWindow(ms: number): { window: string } | { error: string } {
  if (ms > DATADOG_MAX_WINDOW_MS) return { error: `window ${formatDuration(ms)} is longer than the 48h Datadog log monitors accept` };
  if (ms % 60_000 !== 0) return { error: `window ${formatDuration(ms)} is not a whole number of minutes, which Datadog log monitors need` };
  return ms % 3_600_000 === 0 ? { window: `${ms / 3_600_000}h` } : { window: `${ms / 60_000}m` };
}

function literal(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export interface LogAlertParts {
  readonly search: string;
  readonly index: string;
  readonly facets: readonly string[];
  readonly window: string;
  readonly threshold: number;
}

/** logs("<search>").index("<index>").rollup("count").by("<facets>").last("<window>") > <threshold> */
export function logAlertQuery(p: LogAlertParts): string {
  const by = p.facets.length > 0 ? `.by(${literal(p.facets.join(','))})` : '';
  return `logs(${literal(p.search)}).index(${literal(p.index)}).rollup("count")${by}.last(${literal(p.window)}) > ${p.threshold}`;
}
