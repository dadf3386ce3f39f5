// The Datadog target end to end against the monitor (and Security Monitoring) contract fake,
// through `provision()` exactly as the command runs it.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { provision } from '../../src/app/provision.js';
import { datadogSettingsSchema } from '../../src/config/sections/provision.js';
import { DatadogTarget } from '../../src/provision/datadog.js';
import { Secret } from '../../src/text/secret.js';
import { DatadogFake } from '../fakes/datadog.js';
import { tempDir } from '../helpers/tmp.js';
import { instantRetry, section } from './helpers.js';

const API_KEY = 'dd-api-key-7f3c9e1a2b4d6f8091a3c5e7';
const APP_KEY = 'dd-app-key-0a1b2c3d4e5f60718293a4b5c6d7e8f9';

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

const DETECTORS = {
  'rate-limit-burst.yaml': 'id: rate-limit-burst\nkind: threshold\ndescription: Caller keeps hitting rate limits\nwhere: { outcome: rate_limited }\ngroupBy: [callerId, tool]\nwindow: 1h\nthreshold: 100\nseverity: warning\n',
  'denial-spike.yaml': 'id: denial-spike\nkind: threshold\nwhere: { outcome: denied }\ngroupBy: [callerId]\nwindow: 1h\nthreshold: 30\nseverity: critical\n',
  'error-streak.yaml': 'id: error-streak\nkind: streak\nwhere: { outcome: error }\nresetWhere: { outcome: success }\ngroupBy: [callerId]\nthreshold: 20\nseverity: critical\n',
};
const ROUTES = 'routes:\n  - match: { severity: critical }\n    sinks: [slack, pagerduty]\n  - sinks: [slack]\n';

const dir = tempDir('aw-dd-');
for (const [name, text] of Object.entries(DETECTORS)) dir.write(`detectors/${name}`, text);
dir.write('alerts/routes.yaml', ROUTES);

describe('Datadog target against the contract fake', () => {
  let fake: DatadogFake;
  let retry: ReturnType<typeof instantRetry>;

  beforeEach(async () => {
    fake = await DatadogFake.start({ apiKeys: [API_KEY], appKeys: [APP_KEY] });
    retry = instantRetry();
  });
  afterEach(() => fake.close());

  const settings = (extra: Record<string, unknown> = {}) =>
    section({ datadog: { baseUrl: fake.url, handles: { slack: ['@slack-sec-alerts'], pagerduty: ['@pagerduty-auditwatch'] }, ...extra } });

  async function run(opts: { apply?: boolean; prune?: boolean; env?: NodeJS.ProcessEnv; fetch?: typeof fetch; extra?: Record<string, unknown> } = {}) {
    const stdout = sink();
    const stderr = sink();
    const code = await provision({
      detectorsDir: `${dir.dir}/detectors`,
      routesFile: `${dir.dir}/alerts/routes.yaml`,
      section: settings(opts.extra),
      targets: ['datadog'],
      apply: opts.apply ?? false,
      prune: opts.prune ?? false,
      deps: { env: opts.env ?? { DD_API_KEY: API_KEY, DD_APP_KEY: APP_KEY }, retry, fetch: opts.fetch },
      stdout,
      stderr,
    });
    return { code, out: stdout.text(), err: stderr.text() };
  }

  const monitorFor = (id: string) => fake.monitors().filter((m) => m.tags.includes(`auditwatch_detector:${id}`));

  it('plans (exit 3), applies (exit 0), and then shows everything unchanged (exit 0)', async () => {
    const dry = await run();
    assert.equal(dry.code, 3, dry.out + dry.err);
    assert.match(dry.out, /\+ create {4}datadog\/monitor denial-spike/);
    assert.equal(fake.monitors().length, 0, 'a dry run writes nothing');
    const applied = await run({ apply: true });
    assert.equal(applied.code, 0, applied.out + applied.err);
    assert.equal(fake.monitors().length, 3);
    const again = await run();
    assert.equal(again.code, 0, again.out);
    assert.match(again.out, /Plan: 0 to create, 0 to update, 0 to delete, 3 unchanged/);
    assert.equal((await run({ apply: true })).code, 0);
    assert.equal(fake.monitors().length, 3, 'applying twice creates nothing more');
  });

  it('routes notifications by alerts/routes.yaml and the configured handles', async () => {
    await run({ apply: true });
    assert.match(monitorFor('denial-spike')[0]?.message ?? '', /@slack-sec-alerts @pagerduty-auditwatch$/);
    assert.match(monitorFor('rate-limit-burst')[0]?.message ?? '', /\n@slack-sec-alerts$/);
  });

  it('validates every monitor before creating or updating it', async () => {
    await run({ apply: true });
    const writes = fake.accepted().filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path.replace(/\/\d+/g, '/N')}`);
    assert.deepEqual(writes, Array(3).fill(['POST /api/v1/monitor/validate', 'POST /api/v1/monitor']).flat());
    const m = monitorFor('denial-spike')[0];
    assert.ok(m);
    m.query = m.query.replace('> 30', '> 50');
    m.options = { ...m.options, thresholds: { critical: 50 } };
    fake.clearRecords();
    await run({ apply: true });
    assert.deepEqual(fake.accepted().filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path.replace(/\/\d+/g, '/N')}`), ['POST /api/v1/monitor/N/validate', 'PUT /api/v1/monitor/N']);
  });

  it('shows drift as a field-level diff and repairs only the owned fields', async () => {
    await run({ apply: true });
    const m = monitorFor('denial-spike')[0];
    assert.ok(m);
    // Someone edits the monitor in the UI: a new threshold, a renotify option, a tag of their own.
    m.query = m.query.replace('> 30', '> 50');
    m.options = { ...m.options, thresholds: { critical: 50 }, renotify_interval: 60 };
    m.tags = [...m.tags, 'team:oncall'];
    const drift = await run();
    assert.equal(drift.code, 3);
    assert.match(drift.out, /~ update {4}datadog\/monitor denial-spike \(id \d+\)/);
    assert.match(drift.out, /~ options\.thresholds\.critical: 50 → 30/);
    assert.match(drift.out, /~ query: ".*> 50" → ".*> 30"/);
    assert.doesNotMatch(drift.out, /renotify|team:oncall/, 'fields auditwatch does not own are not drift');
    assert.equal((await run({ apply: true })).code, 0);
    const fixed = monitorFor('denial-spike')[0];
    assert.match(fixed?.query ?? '', /> 30$/);
    assert.equal(fixed?.options.renotify_interval, 60, 'a user option survives the update');
    assert.ok(fixed?.tags.includes('team:oncall'), 'a user tag survives the update');
    assert.match((await run()).out, /3 unchanged/);
  });

  it('never touches monitors auditwatch did not tag, and deletes its own orphans only with --prune', async () => {
    const foreign = fake.seed({ type: 'log alert', name: '[auditwatch] denial-spike', query: 'logs("@outcome:denied").index("*").rollup("count").last("5m") > 1', message: 'a person made this', tags: ['auditwatch_detector:denial-spike'], options: { thresholds: { critical: 1 } } });
    const orphan = fake.seed({ type: 'log alert', name: 'old', query: 'logs("@outcome:denied").index("*").rollup("count").last("5m") > 1', message: 'm', tags: ['managed_by:auditwatch', 'auditwatch_detector:retired-detector'], options: { thresholds: { critical: 1 } } });
    const kept = await run({ apply: true });
    assert.match(kept.out, /\? orphan {4}datadog\/monitor retired-detector \(id \d+\)\s+\[no detector compiles to it any more \(kept; --prune deletes it\)\]/);
    assert.ok(fake.monitor(orphan.id));
    const pruned = await run({ apply: true, prune: true });
    assert.equal(pruned.code, 0, pruned.out + pruned.err);
    assert.equal(fake.monitor(orphan.id), undefined);
    assert.deepEqual(fake.monitor(foreign.id)?.message, 'a person made this');
    assert.ok(!fake.requests().some((r) => r.path === `/api/v1/monitor/${foreign.id}`), 'the foreign monitor was never read, written or deleted');
  });

  it('re-reads a monitor before deleting it and refuses when auditwatch’s tag is gone', async () => {
    const orphan = fake.seed({ type: 'log alert', name: 'old', query: 'logs("a").index("*").rollup("count").last("5m") > 1', message: 'm', tags: ['managed_by:auditwatch', 'auditwatch_detector:retired'], options: { thresholds: { critical: 1 } } });
    const target = new DatadogTarget({ settings: datadogSettingsSchema.parse({ baseUrl: fake.url }), apiKey: new Secret(API_KEY), appKey: new Secret(APP_KEY), streakWindowMs: 3_600_000, handles: () => [], retry });
    const { live } = await target.discover();
    const mine = live.find((l) => l.id === String(orphan.id));
    assert.ok(mine);
    orphan.tags = ['auditwatch_detector:retired']; // someone took it over between plan and apply
    await assert.rejects(target.remove(mine), /no longer carries managed_by:auditwatch: not deleting it/);
    assert.ok(fake.monitor(orphan.id));
  });

  it('lists again after a failed create and retries only when the monitor is not there (5xx)', async () => {
    fake.serverError(503, { when: (r) => r.method === 'POST' && r.path === '/api/v1/monitor' });
    const r = await run({ apply: true });
    assert.equal(r.code, 0, r.out + r.err);
    assert.equal(fake.monitors().length, 3);
    const seq = fake.requests().map((x) => `${x.method} ${x.path}${x.query.has('monitor_tags') ? '?tags' : ''} ${x.status ?? ''}`);
    const failed = seq.indexOf('POST /api/v1/monitor 503');
    assert.deepEqual(seq.slice(failed, failed + 3), ['POST /api/v1/monitor 503', 'GET /api/v1/monitor?tags 200', 'POST /api/v1/monitor 200']);
  });

  it('adopts a monitor whose create succeeded but whose answer was lost, instead of making a twin', async () => {
    let cut = false;
    const lossy: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!cut && init?.method === 'POST' && new URL(String(input)).pathname === '/api/v1/monitor') {
        cut = true;
        await res.arrayBuffer();
        throw new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
      }
      return res;
    };
    const r = await run({ apply: true, fetch: lossy });
    assert.equal(r.code, 0, r.out + r.err);
    assert.ok(cut);
    for (const id of ['rate-limit-burst', 'denial-spike', 'error-streak']) assert.equal(monitorFor(id).length, 1, id);
    assert.equal(fake.requests().filter((x) => x.method === 'POST' && x.path === '/api/v1/monitor').length, 3, 'no second POST for the adopted monitor');
  });

  it('waits as long as a 429 says (X-RateLimit-Reset) and then carries on', async () => {
    fake.rateLimit(7, { omitRetryAfter: true, when: (r) => r.method === 'GET' });
    const r = await run();
    assert.equal(r.code, 3, r.out + r.err);
    assert.deepEqual(retry.waits, [7000]);
    assert.equal(fake.faulted()[0]?.status, 429);
  });

  it('gives up after the retry budget and says which call failed', async () => {
    fake.serverError(500, { times: Infinity, when: (r) => r.method === 'GET' });
    await assert.rejects(run(), /Datadog GET \/api\/v1\/monitor: HTTP 500: Internal Server Error/);
    assert.equal(retry.waits.length, 3, 'four attempts in all');
  });

  it('creates and keeps a Cloud SIEM rule for the detectors listed under siem', async () => {
    const first = await run({ apply: true, extra: { siem: ['denial-spike'] } });
    assert.equal(first.code, 0, first.out + first.err);
    const rules = fake.securityRules();
    assert.equal(rules.length, 1);
    assert.ok(rules[0]?.tags.includes('auditwatch_detector:denial-spike'));
    const again = await run({ extra: { siem: ['denial-spike'] } });
    assert.equal(again.code, 0, again.out);
    assert.match(again.out, /= unchanged datadog\/siem-rule denial-spike/);
  });

  it('fails clearly on refused keys and never prints them', async () => {
    const r = await run({ env: { DD_API_KEY: 'dd-wrong-key-5e4d3c2b1a09f8e7d6c5', DD_APP_KEY: APP_KEY } }).catch((err: Error) => ({ code: 1, out: '', err: err.message }));
    assert.equal(r.code, 1);
    assert.match(r.err, /HTTP 403: the API key or application key was refused/);
    for (const key of ['dd-wrong-key-5e4d3c2b1a09f8e7d6c5', APP_KEY]) assert.ok(!(r.out + r.err).includes(key));
  });
});
