import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
// Same modules the package root re-exports, imported directly: the root also loads ~24,000 v2
// model files, which costs ~12 s of cold start on the CI machine; v1 + common load in ~2 s.
import * as client from '@datadog/datadog-api-client/dist/packages/datadog-api-client-common/index.js';
import * as v1 from '@datadog/datadog-api-client/dist/packages/datadog-api-client-v1/index.js';
import { DatadogFake, parseLogAlertQuery } from './datadog.js';

const QUERY = 'logs("source:mcp-audit @outcome:denied").index("main").rollup("count").by("@principal").last("5m") > 5';

/** What auditwatch provisions: a log alert with key:value tags and thresholds matching the query. */
function logMonitor(overrides: Partial<v1.Monitor> = {}): v1.Monitor {
  return {
    name: '[auditwatch] denied tool calls burst',
    type: 'log alert',
    query: QUERY,
    message: 'More than 5 denied tool calls in 5m by {{@principal.name}}. @slack-secops',
    tags: ['managed-by:auditwatch', 'detector:denied-burst', 'team:secops'],
    options: { thresholds: { critical: 5, warning: 3 }, notifyNoData: false, enableLogsSample: true, includeTags: true },
    priority: 2,
    ...overrides,
  };
}

/**
 * How to point the official client at a loopback server: a BaseServerConfiguration with the
 * fake's URL takes precedence over serverIndex, site variables and DD_SITE for every operation.
 */
function configFor(dd: DatadogFake, extra: NonNullable<Parameters<typeof client.createConfiguration>[0]> = {}): client.Configuration {
  return client.createConfiguration({
    baseServer: new client.BaseServerConfiguration(dd.url, {}),
    authMethods: { apiKeyAuth: dd.apiKey, appKeyAuth: dd.appKey },
    ...extra,
  });
}

async function apiError(p: Promise<unknown>): Promise<client.ApiException<unknown>> {
  try {
    await p;
  } catch (err) {
    if (err instanceof client.ApiException) return err as client.ApiException<unknown>;
    throw err;
  }
  assert.fail('expected the client to throw ApiException');
}

function errorsOf(e: client.ApiException<unknown>): string[] {
  const body = e.body as { errors?: unknown } | undefined;
  return Array.isArray(body?.errors) ? body.errors.map(String) : [];
}

describe('DatadogFake with @datadog/datadog-api-client', () => {
  let dd: DatadogFake;
  let api: v1.MonitorsApi;
  before(async () => {
    dd = await DatadogFake.start();
    api = new v1.MonitorsApi(configFor(dd));
  });
  after(async () => {
    await dd.close();
  });
  beforeEach(() => {
    dd.clearRecords();
    dd.clearFaults();
  });

  it('create / get / update / list-by-tag / validate / search / delete round trip', async () => {
    const created = await api.createMonitor({ body: logMonitor() });
    assert.equal(typeof created.id, 'number');
    assert.ok(created.created instanceof Date);
    assert.equal(created.overallState, 'No Data');
    assert.equal(created.multi, true);
    assert.deepEqual(created.tags, ['managed-by:auditwatch', 'detector:denied-burst', 'team:secops']);
    assert.equal(created.options?.thresholds?.critical, 5);
    const id = created.id as number;

    const [createReq] = await dd.waitForRequests(1);
    assert.equal(createReq?.method, 'POST');
    assert.equal(createReq?.path, '/api/v1/monitor');
    assert.equal(createReq?.headers['dd-api-key'], dd.apiKey);
    assert.equal(createReq?.headers['dd-application-key'], dd.appKey);
    assert.match(String(createReq?.headers['user-agent']), /^datadog-api-client-typescript\//);
    assert.deepEqual((createReq?.json as { options?: unknown }).options, {
      thresholds: { critical: 5, warning: 3 },
      notify_no_data: false,
      enable_logs_sample: true,
      include_tags: true,
    });

    const got = await api.getMonitor({ monitorId: id });
    assert.equal(got.query, QUERY);
    assert.equal(got.name, '[auditwatch] denied tool calls burst');

    const newQuery = QUERY.replace('last("5m") > 5', 'last("10m") > 8');
    const updated = await api.updateMonitor({
      monitorId: id,
      body: { query: newQuery, options: { thresholds: { critical: 8, warning: 4 } }, tags: ['managed-by:auditwatch', 'detector:denied-burst'] },
    });
    assert.equal(updated.query, newQuery);
    assert.ok((updated.modified as Date).getTime() >= (created.modified as Date).getTime());
    assert.equal(dd.monitor(id)?.options.thresholds !== undefined, true);

    await api.createMonitor({ body: logMonitor({ name: 'unrelated', tags: ['team:other'] }) });
    const mine = await api.listMonitors({ monitorTags: 'managed-by:auditwatch' });
    assert.deepEqual(mine.map((m) => m.id), [id]);
    const listReq = dd.accepted().find((r) => r.method === 'GET' && r.path === '/api/v1/monitor');
    assert.equal(listReq?.query.get('monitor_tags'), 'managed-by:auditwatch');
    assert.deepEqual((await api.listMonitors({ name: 'DENIED tool' })).map((m) => m.id), [id]);

    assert.deepEqual(await api.validateMonitor({ body: logMonitor() }), {});
    assert.deepEqual(await api.validateExistingMonitor({ monitorId: id, body: logMonitor() }), {});

    const found = await api.searchMonitors({ query: 'tag:"managed-by:auditwatch" type:log' });
    assert.deepEqual(found.monitors?.map((m) => m.id), [id]);
    assert.equal(found.metadata?.totalCount, 1);

    const deleted = await api.deleteMonitor({ monitorId: id });
    assert.equal(deleted.deletedMonitorId, id);
    const gone = await apiError(api.getMonitor({ monitorId: id }));
    assert.equal(gone.code, 404);
    assert.deepEqual(errorsOf(gone), ['Monitor not found']);
    assert.equal((await apiError(api.deleteMonitor({ monitorId: id }))).code, 404);
  });

  it('paginates listMonitors with page/page_size (and the client pagination helper)', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) {
      const m = await api.createMonitor({ body: logMonitor({ name: `page-${i}`, tags: ['suite:paging'] }) });
      ids.push(m.id as number);
    }
    const page0 = await api.listMonitors({ monitorTags: 'suite:paging', page: 0, pageSize: 2 });
    const page2 = await api.listMonitors({ monitorTags: 'suite:paging', page: 2, pageSize: 2 });
    assert.deepEqual(page0.map((m) => m.id), ids.slice(0, 2));
    assert.deepEqual(page2.map((m) => m.id), ids.slice(4));
    const all: number[] = [];
    for await (const m of api.listMonitorsWithPagination({ monitorTags: 'suite:paging', pageSize: 2 })) all.push(m.id as number);
    assert.deepEqual(all, ids);
    const tooBig = await apiError(api.listMonitors({ page: 0, pageSize: 1001 }));
    assert.equal(tooBig.code, 400);
  });

  it('rejects an invalid monitor with 400 {"errors": [...]} that the client surfaces', async () => {
    const e = await apiError(api.createMonitor({ body: logMonitor({ query: QUERY.replace('"5m"', '"3d"') }) }));
    assert.equal(e.code, 400);
    assert.match(errorsOf(e).join(), /window "3d" must be #m \(1-2880\) or #h \(1-48\)/);
    const v = await apiError(api.validateMonitor({ body: logMonitor({ options: { thresholds: { critical: 6 } } }) }));
    assert.equal(v.code, 400);
    assert.match(errorsOf(v).join(), /critical threshold \(6\) does not match that used in the query \(5\)/);
    assert.equal(dd.monitors().filter((m) => m.query.includes('3d')).length, 0);
  });

  it('answers 403 {"errors":["Forbidden"]} for a missing or wrong key', async () => {
    const wrongApp = new v1.MonitorsApi(client.createConfiguration({
      baseServer: new client.BaseServerConfiguration(dd.url, {}),
      authMethods: { apiKeyAuth: dd.apiKey, appKeyAuth: 'not-the-app-key' },
    }));
    const e = await apiError(wrongApp.listMonitors());
    assert.equal(e.code, 403);
    assert.deepEqual(errorsOf(e), ['Forbidden']);
    const res = await fetch(`${dd.url}/api/v1/monitor`, { headers: { 'DD-APPLICATION-KEY': dd.appKey } });
    assert.equal(res.status, 403);
    assert.deepEqual(await res.json(), { errors: ['Forbidden'] });
    assert.match(dd.rejected().at(-1)?.reason ?? '', /DD-API-KEY missing/);
  });

  it('rejects query parameters the API does not have (catches camelCase slips)', async () => {
    const res = await fetch(`${dd.url}/api/v1/monitor?monitorTags=team:secops`, { headers: { 'DD-API-KEY': dd.apiKey, 'DD-APPLICATION-KEY': dd.appKey } });
    assert.equal(res.status, 400);
    await res.text();
  });

  it('429 without retries: the client throws ApiException(429) at once', async () => {
    dd.rateLimit(30);
    const e = await apiError(api.listMonitors());
    assert.equal(e.code, 429);
    assert.deepEqual(errorsOf(e), ['Too many requests']);
    const [limited] = dd.faulted();
    assert.equal(limited?.status, 429);
    assert.equal(dd.requests().length, 1);
  });

  it('429 with enableRetry: the client waits X-RateLimit-Reset seconds and retries up to maxRetries', async () => {
    const retrying = new v1.MonitorsApi(configFor(dd, { enableRetry: true, maxRetries: 3 }));
    dd.rateLimit(0, { times: 2 }); // X-RateLimit-Reset: 0 -> the client sleeps 0 s
    const list = await retrying.listMonitors();
    assert.ok(Array.isArray(list));
    assert.deepEqual(dd.requests().map((r) => r.status), [429, 429, 200]);

    dd.clearRecords();
    const once = new v1.MonitorsApi(configFor(dd, { enableRetry: true, maxRetries: 1 }));
    dd.rateLimit(0, { times: 5 });
    const e = await apiError(once.listMonitors());
    assert.equal(e.code, 429);
    assert.equal(dd.requests().length, 2, 'first attempt + maxRetries');
  });

  it('5xx without retries: ApiException with the raw body ("Unknown API Status Code")', async () => {
    dd.serverError(503);
    const e = await apiError(api.getMonitor({ monitorId: 1 }));
    assert.equal(e.code, 503);
    assert.match(String(e.body), /Unknown API Status Code/);
  });

  it('5xx with enableRetry and no X-RateLimit-Reset: backoffBase * backoffMultiplier^attempt seconds (2 s first)', async () => {
    const retrying = new v1.MonitorsApi(configFor(dd, { enableRetry: true, maxRetries: 1 }));
    dd.serverError(502);
    const t0 = Date.now();
    const list = await retrying.listMonitors();
    const elapsed = Date.now() - t0;
    assert.ok(Array.isArray(list));
    assert.deepEqual(dd.requests().map((r) => r.status), [502, 200]);
    assert.ok(elapsed >= 1900, `retried after ${elapsed} ms; expected the documented 2 s default backoff`);
  });

  it('a connection reset is not retried even with enableRetry (the fetch error propagates)', async () => {
    const retrying = new v1.MonitorsApi(configFor(dd, { enableRetry: true, maxRetries: 3 }));
    dd.reset();
    await assert.rejects(retrying.listMonitors(), (err: Error) => !(err instanceof client.ApiException) && /socket hang up|ECONNRESET/i.test(`${err.message} ${String((err as { code?: unknown }).code)}`));
    assert.equal(dd.requests().length, 1);
  });

  it('has no default timeout; httpConfig.signal bounds a slow server', async () => {
    dd.slow(60_000);
    const bounded = new v1.MonitorsApi(configFor(dd, { httpConfig: { signal: AbortSignal.timeout(500) } }));
    const pending = bounded.listMonitors();
    await dd.waitFor(() => dd.requests().length === 1, { timeoutMs: 5000 });
    await assert.rejects(pending, (err: Error) => err.name === 'AbortError');
  });
});

describe('DatadogFake rate-limit budget', () => {
  it('sends X-RateLimit-* on every response and 429 once the period budget is spent', async () => {
    let clock = 1_699_999_990_000; // 10 s into a 60 s calendar-aligned period
    const dd = await DatadogFake.start({ rateLimit: { limit: 2, periodSeconds: 60, name: 'monitor_list' }, now: () => clock });
    try {
      const headers = { 'DD-API-KEY': dd.apiKey, 'DD-APPLICATION-KEY': dd.appKey };
      const r1 = await fetch(`${dd.url}/api/v1/monitor`, { headers });
      await r1.text();
      assert.equal(r1.status, 200);
      assert.equal(r1.headers.get('x-ratelimit-limit'), '2');
      assert.equal(r1.headers.get('x-ratelimit-period'), '60');
      assert.equal(r1.headers.get('x-ratelimit-remaining'), '1');
      assert.equal(r1.headers.get('x-ratelimit-name'), 'monitor_list');
      assert.equal(r1.headers.get('x-ratelimit-reset'), '50');
      await (await fetch(`${dd.url}/api/v1/monitor`, { headers })).text();
      const r3 = await fetch(`${dd.url}/api/v1/monitor`, { headers });
      assert.equal(r3.status, 429);
      assert.equal(r3.headers.get('x-ratelimit-remaining'), '0');
      assert.deepEqual(await r3.json(), { errors: ['Too many requests'] });
      clock += 50_000; // next period
      const r4 = await fetch(`${dd.url}/api/v1/monitor`, { headers });
      await r4.text();
      assert.equal(r4.status, 200);
    } finally {
      await dd.close();
    }
  });

  it('the injected 429 carries all five X-RateLimit headers', async () => {
    const dd = await DatadogFake.start();
    try {
      dd.rateLimit(12);
      const res = await fetch(`${dd.url}/api/v1/monitor`, { headers: { 'DD-API-KEY': dd.apiKey, 'DD-APPLICATION-KEY': dd.appKey } });
      await res.text();
      assert.equal(res.status, 429);
      for (const h of ['x-ratelimit-limit', 'x-ratelimit-period', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'x-ratelimit-name']) {
        assert.ok(res.headers.get(h) !== null, `missing ${h}`);
      }
      assert.equal(res.headers.get('x-ratelimit-reset'), '12');
    } finally {
      await dd.close();
    }
  });
});

describe('DatadogFake monitor validation', () => {
  let dd: DatadogFake;
  before(async () => {
    dd = await DatadogFake.start();
  });
  after(async () => {
    await dd.close();
  });
  const valid = (): Record<string, unknown> => ({
    type: 'log alert',
    name: 'n',
    message: 'm @slack-x',
    query: QUERY,
    tags: ['team:secops'],
    options: { thresholds: { critical: 5 } },
  });
  const cases: [string, (b: Record<string, unknown>) => void, RegExp][] = [
    ['no name', (b) => delete b.name, /name is required/],
    ['empty message', (b) => (b.message = ' '), /message is required/],
    ['no thresholds', (b) => (b.options = {}), /options.thresholds.critical/],
    ['no critical threshold', (b) => (b.options = { thresholds: { warning: 1 } }), /critical is required/],
    ['warning above critical for ">"', (b) => (b.options = { thresholds: { critical: 5, warning: 7 } }), /warning threshold \(7\) must be below/],
    ['warning below critical for "<"', (b) => {
      b.query = QUERY.replace('> 5', '< 5');
      b.options = { thresholds: { critical: 5, warning: 3 } };
    }, /must be above/],
    ['an "ok" threshold', (b) => (b.options = { thresholds: { critical: 5, ok: 1 } }), /'ok' is not used by log monitors/],
    ['a bare tag', (b) => (b.tags = ['secops']), /not key:value/],
    ['an upper-case tag', (b) => (b.tags = ['Team:SecOps']), /upper-case/],
    ['tags as a string', (b) => (b.tags = 'team:secops'), /array of strings/],
    ['an unknown option', (b) => (b.options = { thresholds: { critical: 5 }, notifyNoData: true }), /unknown option 'notifyNoData'/],
    ['a metric monitor type', (b) => (b.type = 'metric alert'), /not modelled by this fake/],
    ['priority 6', (b) => (b.priority = 6), /priority/],
  ];
  for (const [name, mutate, message] of cases) {
    it(`rejects ${name}`, () => {
      const body = valid();
      mutate(body);
      const errors = dd.validateMonitor(body);
      assert.ok(errors.some((e) => message.test(e)), errors.join(' | ') || '(no errors)');
    });
  }
  it('accepts the valid base case', () => {
    assert.deepEqual(dd.validateMonitor(valid()), []);
  });
});

describe('parseLogAlertQuery (documented log alert grammar)', () => {
  const ok = [
    'logs("*").index("*").rollup("count").last("20m") > 10',
    'logs("@http.status_code:[500 TO 599]").index("*").rollup("count").last("20m") > 0',
    'logs("foo").index("*").rollup("count").by("@service").last("1m") >= 1',
    'logs("service:a \\"quoted\\"").rollup("count").last("48h") != 0',
    'logs("a").index("main").rollup("avg", "@duration").by("@usr.id,service").last("2880m") <= 1.5',
    'logs("a").rollup("cardinality", "@usr.id").last("1h") == -2',
  ];
  for (const q of ok) {
    it(`accepts ${q}`, () => {
      const r = parseLogAlertQuery(q);
      assert.notEqual(typeof r, 'string', String(r));
    });
  }
  it('extracts the parts', () => {
    assert.deepEqual(parseLogAlertQuery(QUERY), {
      search: 'source:mcp-audit @outcome:denied',
      index: 'main',
      rollup: 'count',
      measure: undefined,
      by: ['@principal'],
      window: '5m',
      windowMinutes: 5,
      comparator: '>',
      threshold: 5,
    });
  });
  const bad: [string, RegExp][] = [
    ['logs("a").rollup("count").last("49h") > 1', /longer than 48h/],
    ['logs("a").rollup("count").last("2881m") > 1', /longer than 2880m/],
    ['logs("a").rollup("count").last("2d") > 1', /must be #m/],
    ['logs("a").rollup("count").last("0m") > 1', /must be #m/],
    ['logs("a").rollup("count").last("30s") > 1', /must be #m/],
    ['logs("a").index("*").last("5m") > 1', /expected \.rollup/],
    ['logs("a").rollup("sum").last("5m") > 1', /not one of count, avg, cardinality/],
    ['logs("a").rollup("count", "@x").last("5m") > 1', /takes no measure/],
    ['logs("a").rollup("avg").last("5m") > 1', /needs a measure/],
    ["logs('a').rollup('count').last('5m') > 1", /double-quoted/],
    ['logs("a").rollup("count").last("5m")', /operator/],
    ['logs("a").rollup("count").last("5m") > ', /operator/],
    ['logs("a").rollup("count").last("5m") => 1', /operator/],
    ['logs("a").rollup("count").last("5m") > 1 extra', /operator/],
    ['logs("a").rollup("count").by("").last("5m") > 1', /empty facet/],
    ['logs("").rollup("count").last("5m") > 1', /non-empty search/],
    ['logs("a").by("@x").rollup("count").last("5m") > 1', /expected \.rollup/],
    ['avg(last_5m):sum:system.cpu.user{*} > 1', /expected logs\(/],
  ];
  for (const [q, message] of bad) {
    it(`rejects ${q}`, () => {
      const r = parseLogAlertQuery(q);
      assert.equal(typeof r, 'string');
      assert.match(r as string, message);
    });
  }
});
