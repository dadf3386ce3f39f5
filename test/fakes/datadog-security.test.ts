// Security Monitoring rules (v2) on the Datadog fake. The v2 client loads ~24,000 model files
// (~12 s cold), so it lives in its own file to run in parallel with the v1 tests.
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import * as client from '@datadog/datadog-api-client/dist/packages/datadog-api-client-common/index.js';
import * as v2 from '@datadog/datadog-api-client/dist/packages/datadog-api-client-v2/index.js';
import { DatadogFake } from './datadog.js';

/** A log detection rule in the wire format (camelCase, as the client serializes it). */
function ruleBody(): Record<string, unknown> {
  return {
    type: 'log_detection',
    name: '[auditwatch] denied tool-call burst',
    message: 'More than 5 denied MCP tool calls by {{@principal}} in 5 minutes.',
    isEnabled: true,
    tags: ['managed-by:auditwatch', 'detector:denied-burst'],
    queries: [{ query: 'source:mcp-audit @outcome:denied', aggregation: 'count', groupByFields: ['@principal'], name: 'denied' }],
    cases: [{ name: 'burst', status: 'high', condition: 'denied > 5', notifications: [] }],
    options: { evaluationWindow: 300, keepAlive: 3600, maxSignalDuration: 86400 },
  };
}

describe('DatadogFake Security Monitoring rules (wire contract)', () => {
  let dd: DatadogFake;
  let headers: Record<string, string>;
  before(async () => {
    dd = await DatadogFake.start();
    headers = { 'DD-API-KEY': dd.apiKey, 'DD-APPLICATION-KEY': dd.appKey, 'content-type': 'application/json' };
  });
  after(async () => {
    await dd.close();
  });
  beforeEach(() => dd.clearRecords());

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const res = await fetch(`${dd.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
  }

  it('validates (204) and rejects with 400 {"errors": [...]} per documented field', async () => {
    assert.equal((await call('POST', '/api/v2/security_monitoring/rules/validation', ruleBody())).status, 204);
    const mutations: [string, (b: Record<string, unknown>) => void, RegExp][] = [
      ['no isEnabled', (b) => delete b.isEnabled, /isEnabled/],
      ['snake_case is_enabled', (b) => {
        b.is_enabled = b.isEnabled;
        delete b.isEnabled;
      }, /unknown field 'is_enabled'/],
      ['no queries', (b) => (b.queries = []), /queries/],
      ['unknown aggregation', (b) => (b.queries = [{ query: 'x', aggregation: 'avg' }]), /aggregation "avg"/],
      ['severity "severe"', (b) => (b.cases = [{ status: 'severe', condition: 'denied > 5' }]), /status "severe"/],
      ['condition on an unknown query', (b) => (b.cases = [{ status: 'high', condition: 'a > 5' }]), /refers to 'a'/],
      ['evaluationWindow 120', (b) => (b.options = { evaluationWindow: 120, keepAlive: 3600, maxSignalDuration: 86400 }), /evaluationWindow 120/],
      ['missing keepAlive', (b) => (b.options = { evaluationWindow: 300, maxSignalDuration: 86400 }), /keepAlive is required/],
      ['a bare tag', (b) => (b.tags = ['secops']), /not key:value/],
      ['signal_correlation type', (b) => (b.type = 'signal_correlation'), /not modelled/],
    ];
    for (const [name, mutate, message] of mutations) {
      const body = ruleBody();
      mutate(body);
      const res = await call('POST', '/api/v2/security_monitoring/rules/validation', body);
      assert.equal(res.status, 400, name);
      const errors = (res.json as { errors?: unknown[] }).errors ?? [];
      assert.ok(errors.some((e) => message.test(String(e))), `${name}: ${JSON.stringify(errors)}`);
    }
    assert.equal(dd.securityRules().length, 0);
  });

  it('pages the list with page[size] (max 100) and page[number]', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await call('POST', '/api/v2/security_monitoring/rules', { ...ruleBody(), name: `paged ${i}` })).status, 200);
    const page = await call('GET', '/api/v2/security_monitoring/rules?page%5Bsize%5D=2&page%5Bnumber%5D=1&query=paged');
    const body = page.json as { data: { name: string }[]; meta: { page: { total_filtered_count: number } } };
    assert.deepEqual(body.data.map((r) => r.name), ['paged 2']);
    assert.equal(body.meta.page.total_filtered_count, 3);
    assert.equal((await call('GET', '/api/v2/security_monitoring/rules?page%5Bsize%5D=101')).status, 400);
  });
});

describe('DatadogFake Security Monitoring rules with @datadog/datadog-api-client v2', () => {
  let dd: DatadogFake;
  let api: v2.SecurityMonitoringApi;
  before(async () => {
    dd = await DatadogFake.start();
    api = new v2.SecurityMonitoringApi(
      client.createConfiguration({
        baseServer: new client.BaseServerConfiguration(dd.url, {}),
        authMethods: { apiKeyAuth: dd.apiKey, appKeyAuth: dd.appKey },
      }),
    );
  });
  after(async () => {
    await dd.close();
  });

  it('create / get / update / list / validate / delete round trip', async () => {
    const payload: v2.SecurityMonitoringStandardRuleCreatePayload = {
      type: 'log_detection',
      name: '[auditwatch] denied tool-call burst',
      message: 'More than 5 denied MCP tool calls.',
      isEnabled: true,
      tags: ['managed-by:auditwatch'],
      queries: [{ query: 'source:mcp-audit @outcome:denied', aggregation: 'count', groupByFields: ['@principal'], name: 'denied' }],
      cases: [{ name: 'burst', status: 'high', condition: 'denied > 5', notifications: [] }],
      options: { evaluationWindow: 300, keepAlive: 3600, maxSignalDuration: 86400 },
    };
    await api.validateSecurityMonitoringRule({ body: payload });
    const created = (await api.createSecurityMonitoringRule({ body: payload })) as v2.SecurityMonitoringStandardRuleResponse;
    assert.equal(created._unparsed, undefined, 'response parsed as a standard rule');
    assert.equal(typeof created.id, 'string');
    assert.equal(created.isEnabled, true);
    assert.equal(created.version, 1);
    const [req] = dd.accepted().filter((r) => r.method === 'POST' && r.path === '/api/v2/security_monitoring/rules');
    assert.equal((req?.json as { isEnabled?: unknown }).isEnabled, true, 'camelCase on the wire');

    const id = created.id as string;
    const got = (await api.getSecurityMonitoringRule({ ruleId: id })) as v2.SecurityMonitoringStandardRuleResponse;
    assert.equal(got.name, payload.name);

    const updated = (await api.updateSecurityMonitoringRule({ ruleId: id, body: { isEnabled: false } })) as v2.SecurityMonitoringStandardRuleResponse;
    assert.equal(updated.isEnabled, false);
    assert.equal(updated.version, 2);

    const list = await api.listSecurityMonitoringRules({ pageSize: 10, query: 'auditwatch' });
    assert.deepEqual(list.data?.map((r) => (r as v2.SecurityMonitoringStandardRuleResponse).id), [id]);

    await api.deleteSecurityMonitoringRule({ ruleId: id });
    await assert.rejects(api.getSecurityMonitoringRule({ ruleId: id }), (err: unknown) => err instanceof client.ApiException && err.code === 404);
  });
});
