// Detectors → Elasticsearch objects, pure: one index template for the audit index pattern, and per
// detector a stored search template (mustache) and, where the cluster allows it, a Watcher watch
// that runs the template on a schedule and compares the largest bucket with the threshold.
import type { DetectorDef } from '../config/detectors.js';
import { formatDuration } from '../config/duration.js';
import type { ElasticsearchSettings } from '../config/sections/provision.js';
import { canonicalText, revisionOf } from './canonical.js';
import { asWindowedCount, optionalGroupFields, summary, type WindowedCount } from './detector-view.js';
import { searchBody, type SearchShape } from './es-query.js';
import { emptyResult, type ApproximationCode, type CompileResult, type DesiredObject, type Exactness, type JsonObject } from './model.js';

export const ES_PREFIX = 'auditwatch-';
export const INDEX_TEMPLATE_NAME = 'auditwatch-audit-events';
export const MANAGED_BY = 'auditwatch';

/** What the cluster can run; discovered by the adapter before compiling. */
export interface EsCapabilities {
  /** Stored mustache templates (search templates). undefined: available; else why not. */
  readonly mustache: string | undefined;
  /** Watcher. undefined: available; else why not (license, not installed). */
  readonly watcher: string | undefined;
}

export interface EsCompileInput {
  readonly defs: readonly DetectorDef[];
  readonly settings: ElasticsearchSettings;
  readonly streakWindowMs: number;
  readonly capabilities: EsCapabilities;
}

export function scriptId(detector: string): string {
  return `${ES_PREFIX}${detector}`;
}

/** Mappings of the audit fields (events/audit-event.ts): strings as keyword, sizes and durations as long. */
export function auditMappings(): JsonObject {
  const keyword = { type: 'keyword' };
  return {
    properties: {
      callerId: keyword,
      tool: keyword,
      outcome: keyword,
      sessionId: keyword,
      argsHash: keyword,
      errorType: keyword,
      serverVersion: keyword,
      timestamp: { type: 'date', format: 'strict_date_optional_time||epoch_millis' },
      argsSize: { type: 'long' },
      durationMs: { type: 'long' },
    },
  };
}

export function compileIndexTemplate(settings: ElasticsearchSettings): DesiredObject {
  const body = { index_patterns: [settings.indexPattern], priority: settings.templatePriority, template: { mappings: auditMappings() } };
  const revision = revisionOf(body);
  return {
    target: 'elasticsearch',
    kind: 'index-template',
    key: INDEX_TEMPLATE_NAME,
    detector: undefined,
    title: INDEX_TEMPLATE_NAME,
    owned: { ...body, _meta: { managed_by: MANAGED_BY, revision } },
    revision,
    exactness: { kind: 'exact', why: 'maps the audit fields the queries read (keyword strings, millisecond dates)', limits: [] },
  };
}

export function searchShape(c: WindowedCount, settings: ElasticsearchSettings): SearchShape {
  return { detector: c.id, where: c.where, groupBy: c.groupBy, windowMs: c.windowMs, threshold: c.threshold, maxKeys: settings.maxKeys, shardSize: settings.shardSize };
}

/** Exactness of the search itself (template or plain body): what `provision verify` checks. */
export function searchExactness(c: WindowedCount, settings: ElasticsearchSettings): Exactness {
  if (c.inherent.length > 0) return { kind: 'approximation', reasons: [...c.inherent], detail: [`counts ${summary(c)}`] };
  return {
    kind: 'exact',
    why: 'same window (t - W, t] with gt/lte on millisecond timestamps, same where, same key (missing fields as null)',
    limits: [
      `at most ${settings.maxKeys} keys per group-by level above the threshold at one evaluation (maxKeys)`,
      `counts exact while each shard holds at most ${Math.max(settings.shardSize, settings.maxKeys)} distinct keys in the window (shardSize)`,
    ],
  };
}

function compileTemplate(c: WindowedCount, settings: ElasticsearchSettings): DesiredObject {
  const owned = { lang: 'mustache', source: searchBody(searchShape(c, settings), 'template') };
  return {
    target: 'elasticsearch',
    kind: 'search-template',
    key: c.id,
    detector: c.id,
    title: scriptId(c.id),
    owned,
    revision: revisionOf(owned),
    exactness: searchExactness(c, settings),
  };
}

function compileWatch(c: WindowedCount, settings: ElasticsearchSettings): DesiredObject {
  const own: ApproximationCode[] = ['scheduled-evaluation'];
  if (optionalGroupFields(c).length > 0) own.push('missing-field-group');
  const body = {
    trigger: { schedule: { interval: formatDuration(settings.watchInterval) } },
    input: { search: { request: { indices: [settings.indexPattern], template: { id: scriptId(c.id), params: {} } } } },
    condition: { compare: { 'ctx.payload.aggregations.peak.value': { gt: c.threshold } } },
    actions: {
      log: {
        logging: {
          level: 'warn',
          text: `auditwatch ${c.id}: a key has {{ctx.payload.aggregations.peak.value}} events, more than ${c.threshold} in ${formatDuration(c.windowMs)} (keys: {{ctx.payload.aggregations.peak.keys}})`,
        },
      },
    },
  };
  const revision = revisionOf(body);
  const detail = [`runs ${scriptId(c.id)} every ${formatDuration(settings.watchInterval)} and fires when the largest bucket exceeds ${c.threshold}`];
  if (own.includes('missing-field-group')) detail.push('its condition reads the terms buckets only: keys with a missing optional field are in the payload but do not fire it');
  return {
    target: 'elasticsearch',
    kind: 'watch',
    key: c.id,
    detector: c.id,
    title: scriptId(c.id),
    owned: { ...body, metadata: { managed_by: MANAGED_BY, detector: c.id, revision } },
    revision,
    exactness: { kind: 'approximation', reasons: [...c.inherent, ...own], detail },
  };
}

export function compileElasticsearch(input: EsCompileInput): CompileResult {
  const out = emptyResult();
  out.objects.push(compileIndexTemplate(input.settings));
  for (const def of input.defs) {
    const c = asWindowedCount(def, input.streakWindowMs);
    if ('notProvisionable' in c) {
      out.skipped.push({ target: 'elasticsearch', kind: 'search-template', detector: def.id, reason: c.notProvisionable });
      continue;
    }
    if (c.windowMs % 1000 !== 0) {
      const what = c.kind === 'streak' ? 'provision.streakWindow' : 'window';
      out.problems.push({ target: 'elasticsearch', kind: 'search-template', detector: def.id, file: def.file, message: `${what} ${formatDuration(c.windowMs)} is not a whole number of seconds, which Elasticsearch date math needs` });
      continue;
    }
    const { mustache, watcher } = input.capabilities;
    if (mustache !== undefined) out.skipped.push({ target: 'elasticsearch', kind: 'search-template', detector: def.id, reason: mustache });
    else out.objects.push(compileTemplate(c, input.settings));
    const watchSkip = mustache ?? watcher;
    if (watchSkip !== undefined) out.skipped.push({ target: 'elasticsearch', kind: 'watch', detector: def.id, reason: mustache !== undefined ? `needs the search template: ${mustache}` : watchSkip });
    else out.objects.push(compileWatch(c, input.settings));
  }
  return out;
}

/** The stored form of a template's source: compact JSON text (what Elasticsearch keeps and returns). */
export function templateSourceText(owned: JsonObject): string {
  const source = owned.source;
  return typeof source === 'string' ? source : canonicalText(source ?? null);
}
