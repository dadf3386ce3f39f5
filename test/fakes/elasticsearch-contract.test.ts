// The Elasticsearch contract server refuses what Elasticsearch would refuse (as far as it models
// it), answers like Elasticsearch, and works with the real @elastic/elasticsearch client.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@elastic/elasticsearch';
import { checkSearchBody } from './es-dsl.js';
import { ElasticsearchContract } from './elasticsearch-contract.js';
import { MustacheError, renderMustache } from './mustache.js';

describe('mustache subset', () => {
  it('renders variables, sections and inverted sections with JSON escaping', () => {
    assert.equal(renderMustache('{"a":"{{x}}"}', { x: 'q"uote' }), '{"a":"q\\"uote"}');
    assert.equal(renderMustache('{{#end}}{{end}}||{{/end}}{{^end}}now{{/end}}-60s', { end: '2026-01-01T00:00:00Z' }), '2026-01-01T00:00:00Z||-60s');
    assert.equal(renderMustache('{{#end}}{{end}}||{{/end}}{{^end}}now{{/end}}-60s', {}), 'now-60s');
    assert.equal(renderMustache('{{a.b}}', { a: { b: 3 } }), '3');
    assert.throws(() => renderMustache('{{#a}}x', {}), MustacheError);
    assert.throws(() => renderMustache('{{#a}}x{{/b}}', {}), MustacheError);
  });
});

describe('search DSL check', () => {
  it('accepts the modelled DSL and names each problem', () => {
    assert.deepEqual(checkSearchBody({ size: 0, query: { bool: { filter: [{ range: { timestamp: { gt: 'now-1h', lte: 'now' } } }, { term: { outcome: 'denied' } }] } }, aggs: { k0: { terms: { field: 'callerId', min_doc_count: 3 } }, peak: { max_bucket: { buckets_path: 'k0>_count' } } } }), []);
    assert.match(checkSearchBody({ query: { range: { timestamp: { gt: 1, gte: 1 } } } }).join(), /gt and gte together/);
    assert.match(checkSearchBody({ query: { range: { timestamp: { gt: '2026-01-01||-1x' } } } }).join(), /malformed date math/);
    assert.match(checkSearchBody({ aggs: { p: { max_bucket: { buckets_path: 'nope>_count' } } } }).join(), /"nope" .* is not an aggregation/);
    assert.match(checkSearchBody({ query: { script: {} } }).join(), /not modelled/);
    assert.match(checkSearchBody({ aggs: { a: { terms: { field: 'x' }, missing: { field: 'x' } } } }).join(), /exactly one aggregation type/);
  });
});

describe('Elasticsearch contract server', () => {
  let es: ElasticsearchContract;
  let client: Client;
  before(async () => {
    es = await ElasticsearchContract.start({ apiKey: 'a2V5' });
    client = new Client({ node: es.url, auth: { apiKey: 'a2V5' }, maxRetries: 0 });
  });
  after(async () => {
    await client.close();
    await es.close();
  });

  const template = JSON.stringify({ size: 0, query: { bool: { filter: [{ range: { timestamp: { gt: '{{#end}}{{end}}||{{/end}}{{^end}}now{{/end}}-60s', lte: '{{#end}}{{end}}{{/end}}{{^end}}now{{/end}}' } } }] } } });

  it('works with the real client (product header, vendor media type) and stores a valid template', async () => {
    await client.putScript({ id: 'auditwatch-x', script: { lang: 'mustache', source: template } });
    const got = await client.getScript({ id: 'auditwatch-x' });
    assert.equal(got.script?.source, template);
    const rendered = await client.renderSearchTemplate({ id: 'auditwatch-x', params: { end: '2026-03-05T10:00:00.000Z' } });
    assert.deepEqual((rendered.template_output as { query: { bool: { filter: { range: { timestamp: unknown } }[] } } }).query.bool.filter[0]?.range.timestamp, { gt: '2026-03-05T10:00:00.000Z||-60s', lte: '2026-03-05T10:00:00.000Z' });
    assert.ok(es.requests().every((r) => r.status !== undefined));
  });

  it('refuses a template that does not render to a valid search', async () => {
    await assert.rejects(client.putScript({ id: 'bad', script: { lang: 'mustache', source: '{"query":{"range":{"t":{"gt":"{{end}}||-1q"}}}}' } }), /malformed date math/);
    await assert.rejects(client.putScript({ id: 'bad', script: { lang: 'mustache', source: '{{#end}}' } }), /general_script_exception/);
  });

  it('checks watches: trigger, a stored template input, a compare condition, actions', async () => {
    const ok = { trigger: { schedule: { interval: '1m' } }, input: { search: { request: { indices: ['mcp-audit-*'], template: { id: 'auditwatch-x', params: {} } } } }, condition: { compare: { 'ctx.payload.aggregations.peak.value': { gt: 5 } } }, actions: { log: { logging: { level: 'warn', text: 'hi' } } } };
    await client.watcher.putWatch({ id: 'auditwatch-x', ...ok } as never);
    const got = await client.watcher.getWatch({ id: 'auditwatch-x' });
    assert.equal((got.watch?.input as { search: { request: { search_type: string } } }).search.request.search_type, 'query_then_fetch', 'GET adds defaults as Elasticsearch does');
    for (const [broken, why] of [
      [{ ...ok, trigger: { schedule: { cron: '0 * * * * ?' } } }, /interval/],
      [{ ...ok, input: { search: { request: { indices: ['x'], template: { id: 'missing' } } } } }, /not a stored script/],
      [{ ...ok, condition: { compare: { 'ctx.payload.x': { above: 1 } } } }, /\{op: value\}/],
      [{ ...ok, actions: { log: { logging: { level: 'loud', text: 'x' } } } }, /known level/],
    ] as const) {
      await assert.rejects(client.watcher.putWatch({ id: 'w', ...broken } as never), why);
    }
  });

  it('answers 401 without the key, and 403 for Watcher on a basic license', async () => {
    const anon = new Client({ node: es.url, maxRetries: 0 });
    await assert.rejects(anon.license.get(), /security_exception/);
    await anon.close();
    const basic = await ElasticsearchContract.start({ license: 'basic' });
    const c = new Client({ node: basic.url, maxRetries: 0 });
    await assert.rejects(c.watcher.stats(), /non-compliant for \[watcher\]/);
    await c.close();
    await basic.close();
  });
});
