// `provision` against the real integ-test node: what it can hold (the index template) is created,
// used by new indices, and kept unchanged; what it cannot (no mustache, basic license) is skipped
// with the reason; drift made through the real API shows up as a diff; a template auditwatch did
// not make is never touched, even with --prune.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { provision } from '../../../src/app/provision.js';
import { tempDir } from '../../helpers/tmp.js';
import { instantRetry, section } from '../../provision/helpers.js';
import { elasticsearchForTests, uniqueName } from '../../services/global.js';

const dir = tempDir('aw-es-real-');
dir.write('detectors/denial-spike.yaml', 'id: denial-spike\nkind: threshold\nwhere: { outcome: denied }\ngroupBy: [callerId]\nwindow: 1h\nthreshold: 30\nseverity: critical\n');

function sink(): Writable & { text(): string } {
  let text = '';
  const w = new Writable({
    write(c: Buffer, _e, cb) {
      text += c.toString('utf8');
      cb();
    },
  });
  return Object.assign(w, { text: () => text });
}

async function es(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('provision on a real Elasticsearch node', () => {
  let url: string;
  const prefix = uniqueName('aw-prov');
  const pattern = `${prefix}-*`;
  const foreign = `${prefix}-someone-elses`;
  before(async () => {
    url = (await elasticsearchForTests()).url;
    await es(url, 'PUT', `/_index_template/${foreign}`, { index_patterns: [`${prefix}-other-*`], priority: 1 });
  });
  after(async () => {
    await es(url, 'DELETE', '/_index_template/auditwatch-audit-events');
    await es(url, 'DELETE', `/_index_template/${foreign}`);
    await es(url, 'DELETE', `/${prefix}-*`);
  });

  const run = async (apply: boolean, prune = false) => {
    const stdout = sink();
    const code = await provision({ detectorsDir: `${dir.dir}/detectors`, routesFile: undefined, section: section({ elasticsearch: { url, indexPattern: pattern } }), targets: ['elasticsearch'], apply, prune, deps: { env: {}, retry: instantRetry() }, stdout, stderr: sink() });
    return { code, out: stdout.text() };
  };

  it('creates the index template, skips what the node cannot run with the reason, then is unchanged', async () => {
    const first = await run(true);
    assert.equal(first.code, 0, first.out);
    assert.match(first.out, /skip {6}elasticsearch\/search-template denial-spike {2}\[the cluster has no mustache script language/);
    assert.match(first.out, /note: elasticsearch: license basic \(active\) does not include Watcher/);
    const again = await run(false);
    assert.equal(again.code, 0, again.out);
    assert.match(again.out, /= unchanged elasticsearch\/index-template auditwatch-audit-events/);
  });

  it('maps a new audit index by the template (keywords, millisecond date, longs)', async () => {
    const index = `${prefix}-2026.03.05`;
    const put = await es(url, 'POST', `/${index}/_doc?refresh=true`, { callerId: 'c', tool: 't', outcome: 'denied', timestamp: '2026-03-05T12:00:00.123456+02:00', argsSize: 12, durationMs: 3 });
    assert.equal(put.status, 201, JSON.stringify(put.json));
    const mapping = await es(url, 'GET', `/${index}/_mapping`);
    const props = (mapping.json[index] as { mappings: { properties: Record<string, { type: string }> } }).mappings.properties;
    assert.deepEqual([props.callerId?.type, props.outcome?.type, props.timestamp?.type, props.durationMs?.type], ['keyword', 'keyword', 'date', 'long']);
    const hit = await es(url, 'POST', `/${index}/_search`, { query: { range: { timestamp: { gt: Date.UTC(2026, 2, 5, 10) + 122, lte: Date.UTC(2026, 2, 5, 10) + 123 } } } });
    assert.equal((hit.json.hits as { total: { value: number } }).total.value, 1, 'sub-millisecond digits are truncated, as the engine does');
  });

  it('shows drift made through the API as a diff, repairs it, and never touches a foreign template', async () => {
    const got = await es(url, 'GET', '/_index_template/auditwatch-audit-events');
    const tpl = (got.json.index_templates as { index_template: Record<string, unknown> }[])[0]?.index_template ?? {};
    await es(url, 'PUT', '/_index_template/auditwatch-audit-events', { ...tpl, priority: 7 });
    const drift = await run(false);
    assert.equal(drift.code, 3, drift.out);
    assert.match(drift.out, /~ priority: 7 → 200/);
    assert.equal((await run(true, true)).code, 0);
    assert.equal((await run(false)).code, 0);
    assert.equal((await es(url, 'GET', `/_index_template/${foreign}`)).status, 200, 'a template auditwatch did not make survives --prune');
  });
});
