/*
 * Delivery benchmarks (issue: alert delivery). Each figure sits next to a baseline measured in the
 * same process: the same HTTP request sent directly with node:http, without pipeline, outbox or
 * fsync. Both use the real thing: a durable file outbox (fdatasync) in a temporary directory, the
 * webhook sink (rendering, secret screen, HMAC signature), real HTTP to a loopback server.
 *   - latency from a transition handed to the alert pipeline to the HTTP request reaching a local
 *     receiver (healthy webhook sink, no rate limit configured; one fsync on the way, covering
 *     the notification and its first attempt);
 *   - outbox throughput to a local webhook sink.
 * Each is run RUNS times (a fresh outbox each time) and reported as the best run and the range:
 * on a shared machine one run says little.
 */
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { Alerting } from '../src/app/alerting.js';
import { loadDetectors } from '../src/config/detectors.js';
import { runtimeConfigSchema } from '../src/config/runtime.js';
import { transitionId, type FiredTransition } from '../src/engine/transition.js';
import type { Row } from './engine.bench.js';

const SECRET = 'bench-secret';
const RUNS = 3;

interface Receiver {
  url: string;
  arrivals: Map<string, number>;
  wait(id: string): Promise<number>;
  waitCount(n: number): Promise<number>;
  close(): Promise<void>;
}

/** A minimal local receiver: notes when each request arrives, answers 200 at once. */
async function receiver(): Promise<Receiver> {
  const arrivals = new Map<string, number>();
  const waiters = new Map<string, (at: number) => void>();
  let countWaiter: { n: number; resolve: (at: number) => void } | undefined;
  const server = http.createServer((req, res) => {
    const at = performance.now();
    const id = String(req.headers['x-auditwatch-delivery'] ?? `direct-${arrivals.size}`);
    arrivals.set(id, at);
    waiters.get(id)?.(at);
    if (countWaiter !== undefined && arrivals.size >= countWaiter.n) countWaiter.resolve(at);
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${address.port}/hooks/auditwatch`,
    arrivals,
    wait: (id) => {
      const seen = arrivals.get(id);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.set(id, resolve));
    },
    waitCount: (n) => (arrivals.size >= n ? Promise.resolve(performance.now()) : new Promise((resolve) => (countWaiter = { n, resolve }))),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function transition(i: number): FiredTransition {
  return { type: 'fired', detector: 'denial-spike', severity: 'critical', keyFields: ['callerId'], key: [`bench-caller-${i}`], at: Date.UTC(2026, 2, 5) + i, count: 31, threshold: 30, windowMs: 3_600_000 };
}

async function start(dir: string, url: string, concurrency: number): Promise<Alerting> {
  const routes = join(dir, 'routes.yaml');
  writeFileSync(routes, 'routes:\n  - sinks: [hook]\n');
  const config = runtimeConfigSchema.parse({
    alerting: {
      routes,
      sinks: { hook: { kind: 'webhook', url, concurrency } },
      outbox: { path: join(dir, 'outbox.jsonl'), fsync: true },
    },
  });
  const quiet = new PassThrough();
  quiet.resume();
  return Alerting.start({ config, env: { AUDITWATCH_WEBHOOK_SECRET: SECRET }, defs: loadDetectors('detectors'), stdout: quiet, stderr: quiet, color: false });
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

function post(agent: http.Agent, url: URL, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface LatencyRun {
  p50: number;
  p99: number;
  baseP50: number;
  baseP99: number;
}

async function latencyRun(dir: string): Promise<LatencyRun> {
  const rx = await receiver();
  const alerting = await start(dir, rx.url, 16);
  const n = 2000;
  const samples: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const t = transition(i);
      const t0 = performance.now();
      await alerting.accept([t]);
      samples.push((await rx.wait(`a-${transitionId(t)}`)) - t0);
    }
  } finally {
    await alerting.close();
  }
  // Baseline: the same size of body posted directly on a keep-alive connection.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(rx.url);
  const body = JSON.stringify({ pad: 'x'.repeat(900) });
  const base: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = `direct-${rx.arrivals.size}`;
    const t0 = performance.now();
    const sent = post(agent, url, body);
    base.push((await rx.wait(id)) - t0);
    await sent;
  }
  agent.destroy();
  await rx.close();
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), baseP50: percentile(base, 50), baseP99: percentile(base, 99) };
}

const ms = (x: number): string => x.toFixed(2);

export async function latencyBench(dir: string, runs = RUNS): Promise<Row> {
  const rs: LatencyRun[] = [];
  for (let i = 0; i < runs; i++) rs.push(await latencyRun(mkdtempSync(join(dir, 'run-'))));
  const best = rs.reduce((a, b) => (b.p99 < a.p99 ? b : a));
  const p99s = rs.map((r) => r.p99);
  const baseBest = rs.reduce((a, b) => (b.baseP99 < a.baseP99 ? b : a));
  return {
    name: `transition → HTTP request at a local receiver, webhook sink, outbox with fsync (2000 alerts one at a time; best of ${runs} runs by p99)`,
    value: `p50 ${ms(best.p50)} ms, p99 ${ms(best.p99)} ms (p99 ${ms(Math.min(...p99s))}–${ms(Math.max(...p99s))} over ${runs} runs)`,
    baseline: `p50 ${ms(baseBest.baseP50)} ms, p99 ${ms(baseBest.baseP99)} ms (direct POST)`,
    ratio: `${(best.p99 / baseBest.baseP99).toFixed(1)}x (p99)`,
    target: 'p99 < 50 ms',
  };
}

// The throughput receiver runs in a worker thread so that it does not take CPU from the sender
// (on a real deployment the receiver is another machine). It counts requests and says when it
// has `n` of them.
const RECEIVER_WORKER = `
const http = require('node:http');
const { parentPort } = require('node:worker_threads');
let count = 0;
let want = Infinity;
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
    count++;
    if (count >= want) { parentPort.postMessage({ reached: count }); want = Infinity; }
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (m) => {
  if (m.want !== undefined) { want = count + m.want; if (count >= want) parentPort.postMessage({ reached: count }); }
  if (m.close) server.close(() => process.exit(0));
});
`;

interface WorkerReceiver {
  url: string;
  /** Resolves once `n` more requests have been answered. */
  expect(n: number): Promise<void>;
  close(): Promise<void>;
}

async function workerReceiver(): Promise<WorkerReceiver> {
  const worker = new Worker(RECEIVER_WORKER, { eval: true });
  const port = await new Promise<number>((resolve) => worker.once('message', (m: { port: number }) => resolve(m.port)));
  return {
    url: `http://127.0.0.1:${port}/hooks/auditwatch`,
    expect: (n) =>
      new Promise<void>((resolve) => {
        worker.once('message', () => resolve());
        worker.postMessage({ want: n });
      }),
    close: async () => {
      worker.postMessage({ close: true });
      await new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    },
  };
}

interface ThroughputRun {
  rate: number;
  cpu: number;
  baseRate: number;
  baseCpu: number;
}

async function throughputRun(dir: string): Promise<ThroughputRun> {
  const rx = await workerReceiver();
  const alerting = await start(dir, rx.url, 64);
  const n = 20_000;
  let rate: number;
  let cpu: number;
  try {
    const arrived = rx.expect(n);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < n; i += 1000) await alerting.accept(Array.from({ length: 1000 }, (_, j) => transition(1_000_000 + i + j)));
    await arrived;
    rate = n / ((performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    cpu = (c.user + c.system) / n;
    await alerting.outbox.drain(60_000);
  } finally {
    await alerting.close();
  }
  // Baseline: the same number of POSTs straight from a loop, 64 in flight, no outbox.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const url = new URL(rx.url);
  const body = JSON.stringify({ pad: 'x'.repeat(900) });
  const c1 = process.cpuUsage();
  const t1 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < n) {
        next++;
        await post(agent, url, body);
      }
    }),
  );
  const baseRate = n / ((performance.now() - t1) / 1000);
  const c = process.cpuUsage(c1);
  const baseCpu = (c.user + c.system) / n;
  agent.destroy();
  await rx.close();
  return { rate, cpu, baseRate, baseCpu };
}

const int = (x: number): string => Math.round(x).toLocaleString('en-US');

export async function throughputBench(dir: string, runs = RUNS): Promise<Row> {
  const rs: ThroughputRun[] = [];
  for (let i = 0; i < runs; i++) rs.push(await throughputRun(mkdtempSync(join(dir, 'run-'))));
  const best = rs.reduce((a, b) => (b.rate > a.rate ? b : a));
  const rates = rs.map((r) => r.rate);
  const baseBest = rs.reduce((a, b) => (b.baseRate > a.baseRate ? b : a));
  return {
    name: `outbox throughput to a local webhook sink (20,000 notifications, fsync, 64 in flight, receiver in a worker thread; best of ${runs} runs)`,
    // CPU per message on the sending side (process CPU, so the receiver thread counts too, a
    // little) varies less with how busy the machine is than the rate does.
    value: `${int(best.rate)} notifications/s (${int(best.cpu)} µs CPU each; ${int(Math.min(...rates))}–${int(Math.max(...rates))}/s over ${runs} runs)`,
    baseline: `${int(baseBest.baseRate)} requests/s (${int(baseBest.baseCpu)} µs CPU each, direct POSTs)`,
    ratio: `${(best.rate / baseBest.baseRate).toFixed(2)}x`,
    target: '>= 5,000 notifications/s',
  };
}

export async function deliveryBench(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'auditwatch-delivery-bench-'));
  try {
    const latency = await latencyBench(mkdtempSync(join(dir, 'l-')));
    const throughput = await throughputBench(mkdtempSync(join(dir, 't-')));
    return [latency, throughput];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
