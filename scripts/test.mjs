#!/usr/bin/env node
// Node 20's test runner does not pick up .ts files from a folder and does not expand quoted
// globs, so this lists the test files itself and hands them to `node --test` with the tsx loader.
// Usage: node scripts/test.mjs [--unit] [path-filter ...]
//
// Unless --unit is given (or no integration file is selected), it first starts a real Kafka broker
// and a real Elasticsearch node (test/services/serve.ts, in parallel) and hands their addresses to
// the test processes in AUDITWATCH_TEST_* variables; they are stopped afterwards whatever happens.
// The Kafka suites (test/integration/kafka/ and the services smoke test) then run again against each
// further version in AUDITWATCH_TEST_KAFKA_VERSIONS (default "4.1.1,3.9.1"; the first one runs everything).
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { clearTimeout, setTimeout } from 'node:timers';

const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const filters = args.filter((a) => !a.startsWith('--'));
const ES_VERSION = '8.19.7';
const KAFKA_VERSIONS = (process.env.AUDITWATCH_TEST_KAFKA_VERSIONS ?? '4.1.1,3.9.1')
  .split(',')
  .map((v) => v.trim())
  .filter((v) => v !== '');
const INTEGRATION = join('test', 'integration');
const KAFKA_SUITES = [join('test', 'integration', 'kafka') + '/', join('test', 'integration', 'services.test.ts')];
const READY_MARKER = 'AUDITWATCH_SERVICES ';

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.ts')) out.push(relative(process.cwd(), p));
  }
  return out;
}

let files = walk('test').sort();
if (unitOnly) files = files.filter((f) => !f.startsWith(INTEGRATION));
if (filters.length > 0) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

const say = (message) => console.error(`[test.mjs] ${message}`);
const children = new Set();

/** Starts `serve.ts` with `serveArgs`; resolves with its announcement once every service answers. */
function startServices(serveArgs) {
  const child = spawn(process.execPath, ['--import', 'tsx', join('test', 'services', 'serve.ts'), ...serveArgs], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.add(child);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  exited.then(() => children.delete(child));
  const stop = async () => {
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGTERM'), 60_000);
    const { code, signal } = await exited;
    clearTimeout(timer);
    if (code !== 0 && code !== null) say(`services (${serveArgs.join(' ')}) stopped with exit code ${code}`);
    if (signal !== null) say(`services (${serveArgs.join(' ')}) stopped by ${signal}`);
  };
  const ready = new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (line.startsWith(READY_MARKER)) resolve(JSON.parse(line.slice(READY_MARKER.length)));
      else process.stderr.write(`${line}\n`);
    });
    exited.then(({ code, signal }) => reject(new Error(`services (${serveArgs.join(' ')}) did not start (exit ${code ?? signal})`)));
  });
  return { ready, stop };
}

function runTests(testFiles, env) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? '2'}`, ...testFiles],
    { stdio: 'inherit', env: { ...process.env, ...env } },
  );
  children.add(child);
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      if (signal !== null) say(`test process ended by ${signal}`);
      resolve(code ?? 1);
    });
  });
}

const stoppers = new Set();
async function stopAll() {
  const pending = [...stoppers].map((stop) => stop());
  stoppers.clear();
  await Promise.allSettled(pending);
}

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    say(`${sig}: stopping tests and services`);
    for (const child of children) if (!child.stdin || child.stdin.destroyed) child.kill('SIGTERM');
    void stopAll().then(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  });
}

async function withServices(serveArgs, body) {
  const services = startServices(serveArgs);
  stoppers.add(services.stop);
  try {
    const info = await services.ready;
    return await body(info);
  } finally {
    stoppers.delete(services.stop);
    await services.stop();
  }
}

async function main() {
  // Services given from outside (both variables set) are used as they are.
  const given = Boolean(process.env.AUDITWATCH_TEST_KAFKA_BROKERS) && Boolean(process.env.AUDITWATCH_TEST_ES_URL);
  const needsServices = !unitOnly && !given && files.some((f) => f.startsWith(INTEGRATION));
  if (!needsServices) return runTests(files, {});
  const [firstKafka, ...otherKafkas] = KAFKA_VERSIONS;
  if (firstKafka === undefined) throw new Error('AUDITWATCH_TEST_KAFKA_VERSIONS is empty');
  const started = Date.now();
  // Elasticsearch stays up for every round; Kafka versions take turns.
  return withServices([`--kafka=${firstKafka}`, `--elasticsearch=${ES_VERSION}`], async (first) => {
    say(`services up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(first.env)}`);
    const results = [{ round: `all files, Kafka ${firstKafka}`, code: await runTests(files, first.env) }];
    const kafkaFiles = files.filter((f) => KAFKA_SUITES.some((s) => f.startsWith(s)));
    for (const version of otherKafkas) {
      if (interrupted) break;
      if (kafkaFiles.length === 0) {
        say(`no Kafka suite selected: skipping the Kafka ${version} round`);
        continue;
      }
      say(`Kafka ${version} round: ${kafkaFiles.join(' ')}`);
      const code = await withServices([`--kafka=${version}`], (other) => runTests(kafkaFiles, { ...first.env, ...other.env }));
      results.push({ round: `Kafka suites, Kafka ${version}`, code });
    }
    for (const r of results) say(`${r.code === 0 ? 'ok    ' : 'FAILED'} ${r.round}`);
    return results.every((r) => r.code === 0) ? 0 : 1;
  });
}

main().then(
  (code) => process.exit(interrupted ? 130 : code),
  async (err) => {
    say(err instanceof Error ? err.message : String(err));
    await stopAll();
    process.exit(1);
  },
);
