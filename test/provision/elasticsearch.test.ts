// The Elasticsearch target end to end against the contract server (templates, Watcher, index
// templates), through `provision()` exactly as the command runs it.
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { provision } from '../../src/app/provision.js';
import { ElasticsearchContract, type EsContractOptions } from '../fakes/elasticsearch-contract.js';
import { tempDir } from '../helpers/tmp.js';
import { instantRetry, section } from './helpers.js';

const API_KEY = 'ZXMta2V5LWlkOnNlY3JldC12YWx1ZS05ODc2NTQ=';

function sink(): Writable & { text(): string } {
  let text = '';
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString('utf8');
      cb();
    },
  });
  return Object.assign(w, { text: () => text });
}

const dir = tempDir('aw-es-');
dir.write('detectors/rate-limit-burst.yaml', 'id: rate-limit-burst\nkind: threshold\nwhere: { outcome: rate_limited }\ngroupBy: [callerId, tool]\nwindow: 1h\nthreshold: 100\nseverity: warning\n');
dir.write('detectors/denial-spike.yaml', 'id: denial-spike\nkind: threshold\nwhere: { outcome: denied }\ngroupBy: [callerId]\nwindow: 1h\nthreshold: 30\nseverity: critical\n');
dir.write('detectors/error-streak.yaml', 'id: error-streak\nkind: streak\nwhere: { outcome: error }\nresetWhere: { outcome: success }\ngroupBy: [callerId]\nthreshold: 20\nseverity: critical\n');

describe('Elasticsearch target against the contract server', () => {
  let fake: ElasticsearchContract | undefined;
  afterEach(async () => {
    await fake?.close();
  });

  async function start(opts: EsContractOptions = {}): Promise<ElasticsearchContract> {
    fake = await ElasticsearchContract.start({ apiKey: API_KEY, ...opts });
    return fake;
  }

  async function run(es: ElasticsearchContract, opts: { apply?: boolean; prune?: boolean; env?: NodeJS.ProcessEnv; settings?: Record<string, unknown> } = {}) {
    const stdout = sink();
    const stderr = sink();
    const retry = instantRetry();
    const code = await provision({
      detectorsDir: `${dir.dir}/detectors`,
      routesFile: undefined,
      section: section({ elasticsearch: { url: es.url, apiKey: { env: 'ES_API_KEY' }, ...opts.settings } }),
      targets: ['elasticsearch'],
      apply: opts.apply ?? false,
      prune: opts.prune ?? false,
      deps: { env: opts.env ?? { ES_API_KEY: API_KEY }, retry },
      stdout,
      stderr,
    });
    return { code, out: stdout.text(), err: stderr.text(), waits: retry.waits };
  }

  it('plans, applies the index template, search templates and watches, then shows them unchanged', async () => {
    const es = await start();
    assert.equal((await run(es)).code, 3);
    const applied = await run(es, { apply: true });
    assert.equal(applied.code, 0, applied.out + applied.err);
    assert.deepEqual([...es.indexTemplates.keys()], ['auditwatch-audit-events']);
    assert.deepEqual([...es.scripts.keys()].sort(), ['auditwatch-denial-spike', 'auditwatch-error-streak', 'auditwatch-rate-limit-burst']);
    assert.deepEqual([...es.watches.keys()].sort(), ['auditwatch-denial-spike', 'auditwatch-error-streak', 'auditwatch-rate-limit-burst']);
    assert.deepEqual([...new Set(es.rejected().map((r) => r.reason))], ['no index template auditwatch-audit-events'], 'only the lookups of the missing template were refused');
    const again = await run(es);
    assert.equal(again.code, 0, again.out);
    assert.match(again.out, /Plan: 0 to create, 0 to update, 0 to delete, 7 unchanged/);
  });

  it('writes templates before the watches that use them', async () => {
    const es = await start();
    await run(es, { apply: true });
    const puts = es.accepted().filter((r) => r.method === 'PUT').map((r) => r.path.split('/')[1]);
    assert.deepEqual(puts, ['_index_template', '_scripts', '_scripts', '_scripts', '_watcher', '_watcher', '_watcher']);
  });

  it('shows drift in a template and a watch as field-level diffs and repairs it', async () => {
    const es = await start();
    await run(es, { apply: true });
    const s = es.scripts.get('auditwatch-denial-spike');
    assert.ok(s);
    s.source = s.source.replace('"min_doc_count":31', '"min_doc_count":51');
    const w = es.watches.get('auditwatch-rate-limit-burst');
    assert.ok(w);
    (w.body.condition as { compare: Record<string, { gt: number }> }).compare['ctx.payload.aggregations.peak.value'] = { gt: 500 };
    const drift = await run(es);
    assert.equal(drift.code, 3);
    assert.match(drift.out, /~ source\.aggs\.k0\.terms\.min_doc_count: 51 → 31/);
    assert.match(drift.out, /~ condition\.compare\.ctx\.payload\.aggregations\.peak\.value\.gt: 500 → 100/);
    assert.equal((await run(es, { apply: true })).code, 0);
    assert.match((await run(es)).out, /7 unchanged/);
  });

  it('never touches objects auditwatch did not name and mark, and prunes its own orphans', async () => {
    const es = await start();
    const marker = JSON.stringify({ size: 0, query: { bool: { _name: 'auditwatch:retired', filter: [] } } });
    es.scripts.set('my-template', { lang: 'mustache', source: marker });
    es.scripts.set('auditwatch-handmade', { lang: 'mustache', source: '{"size":0}' });
    es.scripts.set('auditwatch-retired', { lang: 'mustache', source: marker });
    es.indexTemplates.set('logs-custom', { index_patterns: ['logs-*'] });
    const watch = (meta: Record<string, unknown>) => ({ body: { trigger: { schedule: { interval: '5m' } }, input: { search: { request: { indices: ['x'], template: { id: 'my-template' } } } }, condition: { compare: { 'ctx.payload.hits.total': { gt: 0 } } }, actions: { log: { logging: { text: 'x' } } }, metadata: meta }, active: true, version: 1 });
    es.watches.set('other-watch', watch({ managed_by: 'auditwatch' }));
    es.watches.set('auditwatch-unmarked', watch({ owner: 'someone' }));
    es.watches.set('auditwatch-retired', watch({ managed_by: 'auditwatch', detector: 'retired' }));
    const kept = await run(es, { apply: true });
    assert.match(kept.out, /\? orphan {4}elasticsearch\/search-template retired/);
    assert.match(kept.out, /\? orphan {4}elasticsearch\/watch retired/);
    const pruned = await run(es, { apply: true, prune: true });
    assert.equal(pruned.code, 0, pruned.out + pruned.err);
    assert.ok(!es.scripts.has('auditwatch-retired') && !es.watches.has('auditwatch-retired'));
    for (const id of ['my-template', 'auditwatch-handmade']) assert.ok(es.scripts.has(id), id);
    for (const id of ['other-watch', 'auditwatch-unmarked']) assert.ok(es.watches.has(id), id);
    assert.ok(es.indexTemplates.has('logs-custom'));
    const deletes = es.accepted().filter((r) => r.method === 'DELETE').map((r) => r.path);
    assert.deepEqual(deletes, ['/_watcher/watch/auditwatch-retired', '/_scripts/auditwatch-retired'], 'the watch goes before the template it runs');
  });

  it('skips watches on a license without Watcher and says why', async () => {
    const es = await start({ license: 'basic' });
    const r = await run(es, { apply: true });
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /note: elasticsearch: license basic \(active\) does not include Watcher/);
    assert.match(r.out, /\. skip {6}elasticsearch\/watch denial-spike {2}\[license basic/);
    assert.equal(es.watches.size, 0);
    assert.equal(es.scripts.size, 3);
  });

  it('skips search templates (and so watches) on a cluster without mustache', async () => {
    const es = await start({ mustache: false });
    const r = await run(es, { apply: true });
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /no mustache script language/);
    assert.equal(es.scripts.size, 0);
    assert.equal(es.watches.size, 0);
    assert.equal(es.indexTemplates.size, 1);
  });

  it('authenticates with username and password from the environment', async () => {
    const es = await start({ apiKey: undefined, basic: { username: 'aw', password: 'pw-from-env-123' } });
    const r = await run(es, { settings: { apiKey: undefined, username: 'aw', password: { env: 'ES_PASSWORD' } }, env: { ES_PASSWORD: 'pw-from-env-123' } });
    assert.equal(r.code, 3, r.out + r.err);
  });

  it('retries a 429 after the time it asks for', async () => {
    const es = await start();
    es.rateLimit(2, { when: (r) => r.path === '/_license' });
    const r = await run(es);
    assert.equal(r.code, 3, r.out + r.err);
    assert.deepEqual(r.waits, [2000]);
  });

  it('fails clearly on a refused API key and never prints it', async () => {
    const es = await start();
    const wrong = 'd3Jvbmcta2V5OndoYXRldmVyLTEyMzQ1Njc4OQ==';
    const err = await run(es, { env: { ES_API_KEY: wrong } }).then(
      () => assert.fail('expected a failure'),
      (e: Error) => e,
    );
    assert.match(err.message, /Elasticsearch GET \/_script_language: HTTP 401: security_exception: unable to authenticate user for REST request \(check the credentials named in provision\.elasticsearch\)/);
    assert.ok(!err.message.includes(wrong) && !(err.stack ?? '').includes(wrong));
  });
});
