import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { datadogSettingsSchema } from '../../src/config/sections/provision.js';
import { datadogBaseUrl } from '../../src/provision/datadog.js';
import { DatadogHttp, rateLimitWaitMs } from '../../src/provision/datadog-http.js';
import { Secret } from '../../src/text/secret.js';
import { client } from '@datadog/datadog-api-client';

describe('Datadog site and HTTP layer', () => {
  it('maps each documented site to its API host, and a base URL overrides it', () => {
    const url = (raw: Record<string, unknown>) => datadogBaseUrl(datadogSettingsSchema.parse(raw));
    assert.equal(url({}), 'https://api.datadoghq.com');
    assert.equal(url({ site: 'US3' }), 'https://api.us3.datadoghq.com');
    assert.equal(url({ site: 'US5' }), 'https://api.us5.datadoghq.com');
    assert.equal(url({ site: 'EU' }), 'https://api.datadoghq.eu');
    assert.equal(url({ site: 'AP1' }), 'https://api.ap1.datadoghq.com');
    assert.equal(url({ site: 'gov' }), 'https://api.ddog-gov.com');
    assert.equal(url({ site: 'EU', baseUrl: 'https://dd-proxy.internal:8443/' }), 'https://dd-proxy.internal:8443');
  });

  it('waits Retry-After when given, else X-RateLimit-Reset', () => {
    assert.equal(rateLimitWaitMs(new Headers({ 'x-ratelimit-reset': '12' })), 12_000);
    assert.equal(rateLimitWaitMs(new Headers({ 'retry-after': '3', 'x-ratelimit-reset': '12' })), 3_000);
    assert.equal(rateLimitWaitMs(new Headers({})), undefined);
  });

  it('keeps keys out of errors even when a server echoes them', async () => {
    const key = new Secret('dd-echoed-key-1234567890abcdef');
    const http = new DatadogHttp({
      responseContext: client.ResponseContext,
      timeoutMs: 1000,
      secrets: [key],
      fetch: async () => new Response(JSON.stringify({ errors: [`bad key dd-echoed-key-1234567890abcdef`] }), { status: 400, headers: { 'content-type': 'application/json' } }),
    });
    const req = new client.RequestContext('https://api.datadoghq.com/api/v1/monitor', client.HttpMethod.GET);
    req.setHeaderParam('DD-API-KEY', key.reveal());
    const err = await http.send(req).then(
      () => assert.fail('expected an error'),
      (e: Error) => e,
    );
    assert.match(err.message, /Datadog GET \/api\/v1\/monitor: HTTP 400: bad key <secret>/);
    assert.ok(!JSON.stringify({ m: err.message, s: err.stack }).includes(key.reveal()));
  });
});
