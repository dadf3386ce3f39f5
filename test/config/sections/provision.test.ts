import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { provisionSectionSchema, provisionSettings, datadogSettings, elasticsearchSettings } from '../../../src/config/sections/provision.js';

const issues = (raw: unknown): string[] => {
  const r = provisionSectionSchema.safeParse(raw);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('provision section of auditwatch.yaml', () => {
  it('has defaults for everything: US1, keys from DD_API_KEY/DD_APP_KEY, mcp-audit-*, TLS verified, hourly drift, no apply', () => {
    const s = provisionSettings(undefined);
    const dd = datadogSettings(s);
    const es = elasticsearchSettings(s);
    assert.equal(dd.site, 'US1');
    assert.deepEqual([dd.apiKey, dd.appKey], [{ env: 'DD_API_KEY' }, { env: 'DD_APP_KEY' }]);
    assert.equal(dd.facetPrefix, '@');
    assert.equal(es.indexPattern, 'mcp-audit-*');
    assert.equal(es.tlsVerify, true);
    assert.deepEqual(s.drift, { schedule: '0 * * * *', apply: false });
    assert.equal(s.streakWindow, 3_600_000);
  });

  it('accepts each documented Datadog site and a custom base URL', () => {
    for (const site of ['US1', 'US3', 'US5', 'EU', 'AP1', 'gov']) assert.deepEqual(issues({ datadog: { site } }), [], site);
    assert.deepEqual(issues({ datadog: { baseUrl: 'https://dd-proxy.internal:8443' } }), []);
    assert.match(issues({ datadog: { site: 'US2' } }).join(), /datadog\.site/);
  });

  it('takes keys only from environment variables', () => {
    assert.match(issues({ datadog: { apiKey: 'literal-key' } }).join(), /datadog\.apiKey/);
    assert.match(issues({ datadog: { apiKey: { file: '/run/secrets/dd' } } }).join(), /datadog\.apiKey/);
    assert.match(issues({ elasticsearch: { apiKey: { env: 'K' }, username: 'u', password: { env: 'P' } } }).join(), /either apiKey or username\/password/);
    assert.match(issues({ elasticsearch: { username: 'u' } }).join(), /username and password go together/);
  });

  it('checks the drift schedule with node-cron and the facet prefix form', () => {
    assert.match(issues({ drift: { schedule: 'every hour' } }).join(), /drift\.schedule: not a cron expression/);
    assert.deepEqual(issues({ drift: { schedule: '*/15 * * * *', apply: true } }), []);
    assert.match(issues({ datadog: { facetPrefix: 'mcp.' } }).join(), /facetPrefix/);
    assert.deepEqual(issues({ datadog: { facetPrefix: '@mcp.audit.' } }), []);
  });
});
