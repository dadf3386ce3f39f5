import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { HealthServer, StaticReadiness, type ReadinessSource } from '../../src/ops/health.js';
import { Metrics } from '../../src/ops/metrics.js';

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The shape of the Kafka runtime's Readiness (src/app/kafka/readiness.ts). */
class ComponentReadiness implements ReadinessSource {
  readonly states = new Map<string, { ok: boolean; detail: string; since: number }>();
  get ready(): boolean {
    return this.states.size > 0 && [...this.states.values()].every((s) => s.ok);
  }
  report() {
    return { ready: this.ready, components: Object.fromEntries(this.states) };
  }
}

describe('health server', () => {
  const metrics = new Metrics({ processMetrics: false });
  const readiness = new StaticReadiness('starting');
  let server: HealthServer;

  before(async () => {
    server = await HealthServer.start({ host: '127.0.0.1', port: 0, metrics, readiness });
  });
  after(() => server.close());

  it('binds the loopback address it was given, on a free port', () => {
    assert.equal(server.host, '127.0.0.1');
    assert.ok(server.port > 0);
  });

  it('answers /healthz while alive', async () => {
    const r = await get(server.port, '/healthz');
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body) as { status: string }).status, 'alive');
  });

  it('answers /readyz 503 with the reason until ready, then 200', async () => {
    readiness.set(false, 'starting');
    const r = await get(server.port, '/readyz');
    assert.equal(r.status, 503);
    assert.deepEqual(JSON.parse(r.body), { status: 'not ready', components: { main: { ok: false, detail: 'starting' } } });
    readiness.set(true, 'reading standard input');
    const ok = await get(server.port, '/readyz');
    assert.equal(ok.status, 200);
    assert.match(await (await get(server.port, '/metrics')).body, /^auditwatch_ready 1$/m);
  });

  it('follows a component readiness (partitions assigned, state restored, broker reachable)', async () => {
    const k = new ComponentReadiness();
    server.setReadiness(k);
    k.states.set('kafka', { ok: true, detail: 'connected', since: 0 });
    k.states.set('detection', { ok: false, detail: 'restoring 3 partition(s)', since: 0 });
    const r = await get(server.port, '/readyz');
    assert.equal(r.status, 503);
    assert.match(r.body, /restoring 3 partition/);
    k.states.set('detection', { ok: true, detail: '3 partition(s) assigned and restored', since: 0 });
    assert.equal((await get(server.port, '/readyz')).status, 200);
    assert.match((await get(server.port, '/metrics')).body, /^auditwatch_ready 1$/m);
    k.states.set('kafka', { ok: false, detail: 'broker unreachable', since: 0 });
    assert.equal((await get(server.port, '/readyz')).status, 503);
    assert.match((await get(server.port, '/metrics')).body, /^auditwatch_ready 0$/m);
    server.setReadiness(readiness);
  });

  it('serves /metrics in the Prometheus text format', async () => {
    metrics.eventsRead(5);
    const r = await get(server.port, '/metrics');
    assert.equal(r.status, 200);
    assert.match(r.type, /^text\/plain; version=0\.0\.4/);
    assert.match(r.body, /^# TYPE auditwatch_events_read_total counter$/m);
    assert.match(r.body, /^auditwatch_events_read_total 5$/m);
  });

  it('answers HEAD without a body, 405 to other methods, 404 elsewhere', async () => {
    const head = await get(server.port, '/healthz', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal((await get(server.port, '/metrics', 'POST')).status, 405);
    assert.equal((await get(server.port, '/', 'GET')).status, 404);
    assert.equal((await get(server.port, '/healthz?verbose=1')).status, 200);
  });

  it('refuses a port that is taken, so an explicit --health-port fails loudly', async () => {
    await assert.rejects(HealthServer.start({ host: '127.0.0.1', port: server.port, metrics, readiness }), /EADDRINUSE/);
  });
});
