import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Alerting } from '../../src/app/alerting.js';
import { DEADMAN_JOB, effectiveOps, kafkaSnapshot, Ops, ownsPartitionZero, secretsFromEnv } from '../../src/app/ops-wiring.js';
import { runtimeConfigSchema } from '../../src/config/runtime.js';
import { isAuditwatchError } from '../../src/errors.js';
import type { FiredTransition } from '../../src/engine/transition.js';
import type { CronFactory } from '../../src/ops/schedule.js';
import { MemoryStore } from '../../src/outbox/store.js';
import { screenStrings } from '../../src/sinks/screen.js';
import { FakeClock } from '../outbox/fake-clock.js';
import { tempDir } from '../helpers/tmp.js';
import { rand } from '../text/samples.js';
import { cliCommand } from '../helpers/cli.js';

const SAMPLE = fileURLToPath(new URL('../../samples/mcp-audit-sample.jsonl', import.meta.url));
const MIN = 60_000;

function sink(): Writable & { text(): string } {
  let buf = '';
  const w = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      buf += chunk.toString();
      cb();
    },
  });
  return Object.assign(w, { text: () => buf });
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function manualTimers(): CronFactory & { fire(name: string): void } {
  const fires = new Map<string, () => void>();
  const f: CronFactory = (_e, fire, o) => {
    fires.set(o.name, fire);
    return { stop: () => undefined };
  };
  return Object.assign(f, { fire: (name: string) => fires.get(name)?.() });
}

const config = runtimeConfigSchema.parse({});

describe('ops wiring', () => {
  it('takes flags over the environment over auditwatch.yaml', () => {
    const yaml = runtimeConfigSchema.parse({ ops: { log: { format: 'pretty', level: 'debug' }, health: { port: 9000, host: '0.0.0.0' } } }).ops;
    const fromFile = effectiveOps(yaml, {});
    assert.equal(fromFile.log.format, 'pretty');
    assert.equal(fromFile.health.port, 9000);
    assert.equal(fromFile.healthForced, false);
    const fromEnv = effectiveOps(yaml, { AUDITWATCH_LOG_FORMAT: 'json', AUDITWATCH_HEALTH_PORT: '9100', AUDITWATCH_HEALTH_HOST: '127.0.0.1' });
    assert.equal(fromEnv.log.format, 'json');
    assert.equal(fromEnv.health.port, 9100);
    assert.equal(fromEnv.health.host, '127.0.0.1');
    assert.equal(fromEnv.healthForced, true);
    const fromFlags = effectiveOps(yaml, { AUDITWATCH_LOG_FORMAT: 'json' }, { logFormat: 'pretty', healthPort: 0 });
    assert.equal(fromFlags.log.format, 'pretty');
    assert.equal(fromFlags.health.port, 0);
    assert.equal(effectiveOps(undefined, {}).health.port, 9464);
    assert.throws(() => effectiveOps(undefined, { AUDITWATCH_LOG_FORMAT: 'xml' }), (e: unknown) => isAuditwatchError(e, 'USAGE'));
    assert.throws(() => effectiveOps(undefined, { AUDITWATCH_HEALTH_PORT: '70000' }), (e: unknown) => isAuditwatchError(e, 'USAGE'));
  });

  it('treats secret-named environment variables as values never to log', () => {
    const s = secretsFromEnv({ SLACK_WEBHOOK_URL: 'https://hooks.example.test/abcdefgh', PAGERDUTY_ROUTING_KEY: 'r'.repeat(32), HOME: '/root', SLACK_WEBHOOK_URL_FILE: '/run/secrets/x' });
    assert.equal(s.length, 2);
    assert.equal(s[0]?.scrub('POST https://hooks.example.test/abcdefgh'), 'POST <secret>');
  });

  it('serves no HTTP for a file read to its end unless asked, and does for --health-port', async () => {
    const quiet = await Ops.start({ config, env: {}, stderr: sink(), lifetime: 'file', detectors: [], processMetrics: false });
    assert.equal(quiet.healthPort, undefined);
    await quiet.stop();
    const err = sink();
    const ops = await Ops.start({ config, env: {}, stderr: err, lifetime: 'file', detectors: [], flags: { healthPort: 0 }, processMetrics: false });
    try {
      const port = ops.healthPort;
      assert.ok(port !== undefined && port > 0);
      assert.match(err.text(), /"msg":"health and metrics on http:\/\/127\.0\.0\.1:\d+/);
      assert.equal((await get(port, '/readyz')).status, 503);
      let n = { read: 0, accepted: 0, late: 0, rejectedByReason: new Map<string, number>() };
      ops.watchIngest('file', () => n);
      ops.ready('reading a file');
      n = { read: 10, accepted: 7, late: 1, rejectedByReason: new Map([['not-json', 2]]) };
      assert.equal((await get(port, '/readyz')).status, 200);
      const text = (await get(port, '/metrics')).body;
      assert.match(text, /^auditwatch_events_read_total 10$/m);
      assert.match(text, /^auditwatch_events_accepted_total 7$/m);
      assert.match(text, /^auditwatch_events_rejected_total\{reason="not-json"\} 2$/m);
      n = { read: 12, accepted: 9, late: 1, rejectedByReason: new Map([['not-json', 2]]) };
      assert.match((await get(port, '/metrics')).body, /^auditwatch_events_read_total 12$/m, 'deltas, not doubled totals');
    } finally {
      await ops.stop();
    }
  });

  it('counts every redaction by rule and where (sink payload, event values, log lines), never by an event string', async () => {
    const stdout = sink();
    const stderr = sink();
    const ops = await Ops.start({ config, env: {}, stderr, lifetime: 'file', detectors: ['rate-limit-burst'], processMetrics: false });
    const alerting = await Alerting.start({ config, env: {}, defs: [], stdout, stderr, color: false, log: ops.lineLog('delivery') });
    const redactions = async (): Promise<string[]> => (await ops.metrics.render()).split('\n').filter((l) => l.startsWith('auditwatch_redactions_total{')).sort();
    try {
      ops.attachAlerting(alerting);
      const gh = `ghp_${rand(36)}`;
      const caller = `agent-${rand(12)}`;
      // A rendered payload with a GitHub token and an e-mail address: the sink's last-line screen.
      const payload = screenStrings({ text: `${caller} pasted ${gh}`, blocks: [{ text: 'reach me at alice@example.com' }], id: caller }, undefined, 'slack');
      assert.ok(!JSON.stringify(payload).includes(gh));
      assert.deepEqual(await redactions(), ['auditwatch_redactions_total{rule="email",where="slack"} 1', 'auditwatch_redactions_total{rule="github-token",where="slack"} 1']);

      // Event values in a notification (screened once when it is built) ...
      const t: FiredTransition = { type: 'fired', detector: 'rate-limit-burst', severity: 'warning', keyFields: ['callerId'], key: [`${caller} ${gh} bob@example.com`], at: Date.parse('2026-03-05T10:00:00Z'), count: 9, threshold: 5 };
      await alerting.accept([t]);
      await alerting.finish(5_000);
      assert.ok(!stdout.text().includes(gh));
      // ... and a log line.
      ops.logger.warn({ caller }, `a caller sent ${gh}`);
      assert.ok(!stderr.text().includes(gh));
      assert.deepEqual(await redactions(), [
        'auditwatch_redactions_total{rule="email",where="notification"} 1',
        'auditwatch_redactions_total{rule="email",where="slack"} 1',
        'auditwatch_redactions_total{rule="github-token",where="log"} 1',
        'auditwatch_redactions_total{rule="github-token",where="notification"} 1',
        'auditwatch_redactions_total{rule="github-token",where="slack"} 1',
      ]);
      assert.ok(!(await ops.metrics.render()).includes(caller), 'the caller is in no label');
    } finally {
      await alerting.close();
      await ops.stop();
    }
    // Stopped: the process-wide observer is gone.
    screenStrings({ text: `ghp_${rand(36)}` }, undefined, 'slack');
    assert.match(await ops.metrics.render(), /^auditwatch_redactions_total\{rule="github-token",where="slack"\} 1$/m);
  });

  it('samples outbox depth and oldest age per sink at scrape time, from the outbox backlog', async () => {
    // A webhook receiver that first asks for an hour's pause (429 + Retry-After), then accepts.
    let answer = 429;
    let requests = 0;
    const server = createServer((req, res) => {
      requests++;
      req.resume();
      req.on('end', () => res.writeHead(answer, answer === 429 ? { 'retry-after': '3600' } : {}).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const dir = tempDir();
    const routes = dir.write('routes.yaml', 'routes:\n  - sinks: [hook]\n');
    const cfg = runtimeConfigSchema.parse({ alerting: { routes, sinks: { hook: { kind: 'webhook', url: `http://127.0.0.1:${port}/hook` } } } });
    const env = { AUDITWATCH_WEBHOOK_SECRET: rand(32) };
    const clock = new FakeClock();
    const ops = await Ops.start({ config: cfg, env, stderr: sink(), lifetime: 'file', detectors: ['rate-limit-burst'], now: () => clock.now(), processMetrics: false });
    const alerting = await Alerting.start({ config: cfg, env, defs: [], stdout: sink(), stderr: sink(), color: false, clock, store: new MemoryStore(), log: ops.lineLog('delivery') });
    const fired = (caller: string): FiredTransition => ({ type: 'fired', detector: 'rate-limit-burst', severity: 'warning', keyFields: ['callerId'], key: [caller], at: clock.now(), count: 9, threshold: 5 });
    const gauges = async (): Promise<string[]> =>
      (await ops.metrics.registry.metrics()).split('\n').filter((l) => /^auditwatch_outbox_(depth|oldest_age_seconds)\{/.test(l)).sort();
    try {
      ops.attachAlerting(alerting);
      assert.deepEqual(await gauges(), [
        'auditwatch_outbox_depth{sink="console"} 0',
        'auditwatch_outbox_depth{sink="hook"} 0',
        'auditwatch_outbox_oldest_age_seconds{sink="console"} 0',
        'auditwatch_outbox_oldest_age_seconds{sink="hook"} 0',
      ]);
      await alerting.accept([fired('c-1')]);
      await alerting.outbox.idle();
      assert.equal(requests, 1, 'attempted once, told to wait an hour');
      clock.advance(90_000);
      await alerting.accept([fired('c-2')]);
      await alerting.outbox.idle();
      clock.advance(30_000);
      assert.equal(requests, 1, 'the sink is paused: the second one waits too');
      assert.deepEqual(await gauges(), [
        'auditwatch_outbox_depth{sink="console"} 0',
        'auditwatch_outbox_depth{sink="hook"} 2',
        'auditwatch_outbox_oldest_age_seconds{sink="console"} 0',
        'auditwatch_outbox_oldest_age_seconds{sink="hook"} 120',
      ]);
      answer = 200;
      clock.advance(3_600_000);
      await alerting.outbox.idle();
      assert.equal(requests, 3);
      assert.deepEqual(await gauges(), [
        'auditwatch_outbox_depth{sink="console"} 0',
        'auditwatch_outbox_depth{sink="hook"} 0',
        'auditwatch_outbox_oldest_age_seconds{sink="console"} 0',
        'auditwatch_outbox_oldest_age_seconds{sink="hook"} 0',
      ]);
      assert.match(await ops.metrics.render(), /^auditwatch_notifications_sent_total\{sink="hook"\} 2$/m);
    } finally {
      await alerting.close();
      await ops.stop();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("raises audit-stream-silent through the normal routing when a busy source goes quiet, and resolves it", async () => {
    let now = Date.parse('2026-03-05T10:00:00Z');
    const timers = manualTimers();
    const stdout = sink();
    const stderr = sink();
    const ops = await Ops.start({ config, env: {}, stderr, lifetime: 'stream', detectors: [], now: () => now, timers, processMetrics: false, flags: { healthPort: 0 } });
    const alerting = await Alerting.start({ config, env: {}, defs: [], stdout, stderr, color: false, log: ops.lineLog('delivery') });
    try {
      ops.attachAlerting(alerting);
      let total = 0;
      ops.watchIngest('stdin', () => ({ read: total, accepted: total, late: 0, rejectedByReason: new Map() }));
      const tick = async (): Promise<void> => {
        timers.fire(DEADMAN_JOB);
        await ops.scheduler.job(DEADMAN_JOB)?.settled();
      };
      await tick(); // baseline
      for (let i = 0; i < 10; i++) {
        total += 50;
        now += 30_000;
        await tick();
      }
      now += 14 * MIN;
      await tick();
      assert.doesNotMatch(stdout.text(), /audit-stream-silent/);
      now += MIN;
      await tick();
      await alerting.finish(5_000);
      assert.match(stdout.text(), /audit-stream-silent/);
      assert.match(stdout.text(), /source=stdin/);
      assert.match(stderr.text(), /"component":"deadman".*no event from stdin since/);
      const port = ops.healthPort ?? 0;
      assert.match((await get(port, '/metrics')).body, /^auditwatch_source_silent\{source="stdin"\} 1$/m);
      assert.match((await get(port, '/metrics')).body, /^auditwatch_alerts_fired_total\{detector="audit-stream-silent"\} 1$/m);

      const before = stdout.text().length;
      total += 1;
      now += 5 * MIN;
      await tick();
      await alerting.finish(5_000);
      assert.match(stdout.text().slice(before), /resolved|RESOLVED/i);
      assert.match((await get(port, '/metrics')).body, /^auditwatch_source_silent\{source="stdin"\} 0$/m);
      assert.match((await get(port, '/metrics')).body, /^auditwatch_notifications_sent_total\{sink="console"\} 2$/m);
    } finally {
      await alerting.close();
      await ops.stop();
    }
  });

  it('auditwatch run --input - --health-port 0: ready while reading, metrics count the events, exits 0 at the end', async () => {
    const lines = readFileSync(SAMPLE, 'utf8').split('\n').slice(0, 200).join('\n') + '\n';
    const child = spawn(process.execPath, [...cliCommand(), 'run', '--input', '-', '--health-port', '0'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.resume();
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 60_000;
      let port: number | undefined;
      while (port === undefined) {
        const m = /health and metrics on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
        if (m !== null) port = Number(m[1]);
        else if (Date.now() > deadline) assert.fail(`no health line in time: ${stderr}`);
        else await new Promise((r) => setTimeout(r, 20)); // poll to the deadline
      }
      child.stdin.write(lines);
      let metrics = '';
      while (!/^auditwatch_events_read_total 200$/m.test(metrics)) {
        if (Date.now() > deadline) assert.fail(`metrics never counted the 200 lines:\n${metrics}`);
        metrics = (await get(port, '/metrics')).body;
        if (!/^auditwatch_events_read_total 200$/m.test(metrics)) await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal((await get(port, '/readyz')).status, 200);
      assert.equal((await get(port, '/healthz')).status, 200);
      child.stdin.end();
      assert.equal(await exited, 0, stderr);
    } finally {
      child.kill();
    }
  });
});

describe('ops wiring for the Kafka runtime', () => {
  it('counts arrivals topic-wide when given an async total, and survives a failing count', async () => {
    let now = Date.parse('2026-03-05T10:00:00Z');
    const timers = manualTimers();
    const stderr = sink();
    const ops = await Ops.start({ config, env: {}, stderr, lifetime: 'stream', detectors: [], now: () => now, timers, processMetrics: false });
    try {
      let end = 0;
      let broken = false;
      ops.watchArrivals('kafka:mcp-audit', () => (broken ? Promise.reject(new Error('broker unreachable')) : Promise.resolve(end)));
      const tick = async (): Promise<void> => {
        timers.fire(DEADMAN_JOB);
        await ops.scheduler.job(DEADMAN_JOB)?.settled();
      };
      await tick();
      end = 1_000;
      now += 30_000;
      await tick();
      broken = true;
      now += 30_000;
      await tick();
      assert.match(stderr.text(), /cannot count arrivals of kafka:mcp-audit: Error: broker unreachable/);
      broken = false;
      now += 16 * MIN;
      await tick();
      assert.match(stderr.text(), /audit-stream-silent: no event from kafka:mcp-audit/);
      assert.match(stderr.text(), /no alert delivery is attached/, 'never silently dropped');
    } finally {
      await ops.stop();
    }
  });

  it('reads the runtime counters as an ingest snapshot, and leads with partition 0', () => {
    const c = { records: 5, accepted: 3, late: 1, rejectedByReason: new Map([['not-json', 1]]), deadLettered: 1 };
    const snap = kafkaSnapshot(c);
    c.records = 9;
    assert.equal(snap().read, 9, 'read at each call, not copied once');
    assert.equal(snap().deadLettered, 1);
    let assigned: number[] = [3, 4];
    const leader = ownsPartitionZero(() => assigned);
    assert.equal(leader(), false);
    assigned = [0, 1];
    assert.equal(leader(), true);
  });
});
