import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { elasticsearchSettingsSchema } from '../../src/config/sections/provision.js';
import { compileElasticsearch, INDEX_TEMPLATE_NAME, templateSourceText, type EsCapabilities } from '../../src/provision/compile-elasticsearch.js';
import { asWindowedCount, type WindowedCount } from '../../src/provision/detector-view.js';
import { parseSearchAnswer, searchBody, type SearchShape } from '../../src/provision/es-query.js';
import { checkSearchBody } from '../fakes/es-dsl.js';
import { renderMustache } from '../fakes/mustache.js';
import { def, DENIAL, OPTIONAL_GROUP, STREAK, THRESHOLD, UNKNOWN_KIND } from './helpers.js';

const settings = elasticsearchSettingsSchema.parse({});
const all: EsCapabilities = { mustache: undefined, watcher: undefined };
const compile = (defs = [THRESHOLD, DENIAL, STREAK, UNKNOWN_KIND], capabilities: EsCapabilities = all) => compileElasticsearch({ defs, settings, streakWindowMs: 3_600_000, capabilities });

function shapeOf(d: typeof THRESHOLD): SearchShape {
  const c = asWindowedCount(d, 3_600_000) as WindowedCount;
  return { detector: c.id, where: c.where, groupBy: c.groupBy, windowMs: c.windowMs, threshold: c.threshold, maxKeys: 1000, shardSize: 10_000 };
}

describe('Elasticsearch compiler', () => {
  it('maps the audit fields in one index template for the configured pattern', () => {
    const t = compile().objects.find((o) => o.kind === 'index-template');
    assert.equal(t?.key, INDEX_TEMPLATE_NAME);
    assert.deepEqual(t?.owned.index_patterns, ['mcp-audit-*']);
    const props = (t?.owned.template as { mappings: { properties: Record<string, { type: string }> } }).mappings.properties;
    for (const f of ['callerId', 'tool', 'outcome', 'errorType', 'serverVersion']) assert.equal(props[f]?.type, 'keyword', f);
    assert.equal(props.timestamp?.type, 'date');
    assert.equal(props.argsSize?.type, 'long');
    assert.equal(props.durationMs?.type, 'long');
    assert.deepEqual((t?.owned._meta as { managed_by: string }).managed_by, 'auditwatch');
  });

  it('counts (t - W, t] with gt/lte on the timestamp and min_doc_count = threshold + 1, without scripts', () => {
    const body = searchBody(shapeOf(THRESHOLD), { endMs: 1_772_704_800_000 });
    const text = JSON.stringify(body);
    assert.deepEqual((body.query as { bool: { filter: unknown[] } }).bool.filter[0], { range: { timestamp: { gt: 1_772_701_200_000, lte: 1_772_704_800_000, format: 'strict_date_optional_time||epoch_millis' } } });
    assert.match(text, /"min_doc_count":101/);
    assert.doesNotMatch(text, /script|gte|"lt"/);
    assert.deepEqual(checkSearchBody(body), []);
  });

  it('renders the stored template to the plain body, with an end parameter or "now"', () => {
    const shape = shapeOf(OPTIONAL_GROUP);
    const source = templateSourceText({ source: searchBody(shape, 'template') });
    const rendered = JSON.parse(renderMustache(source, { end: '2026-03-05T10:00:00.000Z' })) as { query: { bool: { filter: { range?: unknown }[] } } };
    assert.deepEqual(rendered.query.bool.filter[0], { range: { timestamp: { gt: '2026-03-05T10:00:00.000Z||-900s', lte: '2026-03-05T10:00:00.000Z', format: 'strict_date_optional_time||epoch_millis' } } });
    const plain = searchBody(shape, { endMs: Date.parse('2026-03-05T10:00:00.000Z') }) as { query: { bool: { filter: unknown[] } }; aggs: unknown };
    assert.deepEqual(rendered.query.bool.filter.slice(1), plain.query.bool.filter.slice(1));
    assert.deepEqual((rendered as unknown as { aggs: unknown }).aggs, JSON.parse(JSON.stringify(plain.aggs)));
    const byWatch = JSON.parse(renderMustache(source, {})) as { query: { bool: { filter: { range: { timestamp: unknown } }[] } } };
    assert.deepEqual(byWatch.query.bool.filter[0]?.range.timestamp, { gt: 'now-900s', lte: 'now', format: 'strict_date_optional_time||epoch_millis' });
    assert.deepEqual(checkSearchBody(byWatch), []);
  });

  it('collects keys with a missing optional field under null, with the threshold applied', () => {
    const shape = shapeOf(OPTIONAL_GROUP);
    const answer = {
      aggregations: {
        k0: {
          buckets: [
            { key: 'c-1', doc_count: 12, k1: { buckets: [{ key: '1.2.0', doc_count: 6 }] }, m1: { doc_count: 6 } },
            { key: 'c-2', doc_count: 9, k1: { buckets: [] }, m1: { doc_count: 5 } },
          ],
        },
        peak: { value: 6 },
      },
    };
    const r = parseSearchAnswer(shape, answer);
    assert.deepEqual(r.keys, [
      { values: ['c-1', '1.2.0'], count: 6 },
      { values: ['c-1', null], count: 6 },
    ]);
    assert.equal(r.truncated, false);
    assert.throws(() => parseSearchAnswer(shape, { aggregations: { k0: { buckets: [{ key: 'c-1', doc_count: 9 }] } } }), /k1 is missing/);
  });

  it('declares threshold searches exact (with limits) and streak searches approximations', () => {
    const r = compile();
    const x = (kind: string, key: string) => r.objects.find((o) => o.kind === kind && o.key === key)?.exactness;
    assert.equal(x('search-template', 'rate-limit-burst')?.kind, 'exact');
    assert.match(JSON.stringify(x('search-template', 'rate-limit-burst')), /maxKeys/);
    assert.deepEqual(x('search-template', 'error-streak'), { kind: 'approximation', reasons: ['streak-as-window-count', 'reset-in-window', 'streak-longer-than-window'], detail: ['counts more than 20 events [outcome=error] in 1h per callerId'] });
    assert.equal(x('watch', 'denial-spike')?.kind, 'approximation');
  });

  it('watches run the stored template every watchInterval and compare the largest bucket with the threshold', () => {
    const w = compile().objects.find((o) => o.kind === 'watch' && o.key === 'denial-spike')?.owned as Record<string, unknown>;
    assert.deepEqual(w.trigger, { schedule: { interval: '1m' } });
    assert.deepEqual(w.input, { search: { request: { indices: ['mcp-audit-*'], template: { id: 'auditwatch-denial-spike', params: {} } } } });
    assert.deepEqual(w.condition, { compare: { 'ctx.payload.aggregations.peak.value': { gt: 30 } } });
    assert.deepEqual((w.metadata as { managed_by: string }).managed_by, 'auditwatch');
  });

  it('skips watches when the license does not allow Watcher, and templates without mustache, saying why', () => {
    const noWatcher = compile([DENIAL], { mustache: undefined, watcher: 'license basic (active) does not include Watcher' });
    assert.deepEqual(noWatcher.objects.map((o) => o.kind), ['index-template', 'search-template']);
    assert.deepEqual(noWatcher.skipped.map((s) => [s.kind, s.reason]), [['watch', 'license basic (active) does not include Watcher']]);
    const noMustache = compile([DENIAL], { mustache: 'no mustache', watcher: undefined });
    assert.deepEqual(noMustache.skipped.map((s) => s.kind), ['search-template', 'watch']);
  });

  it('lists an unknown kind as not provisionable and refuses sub-second windows by name', () => {
    const ms = def('id: fast\nkind: threshold\nwhere: { outcome: denied }\ngroupBy: [callerId]\nwindow: 1500ms\nthreshold: 1\nseverity: info\n', 'detectors/fast.yaml');
    const r = compile([UNKNOWN_KIND, ms]);
    assert.match(r.skipped[0]?.reason ?? '', /kind "leak" .* not provisionable/);
    assert.deepEqual(r.problems.map((p) => [p.detector, p.file]), [['fast', 'detectors/fast.yaml']]);
    assert.match(r.problems[0]?.message ?? '', /1500ms is not a whole number of seconds/);
  });
});
