// No container engine runs here: the Dockerfile's invariants are checked statically, and the
// command line its ENTRYPOINT + CMD run is run directly (from the built dist/, as in the image),
// with the image's environment, in an empty working directory like the image's.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/tmp.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOCKERFILE = readFileSync(`${ROOT}deploy/Dockerfile`, 'utf8');
const IGNORE = readFileSync(`${ROOT}deploy/Dockerfile.dockerignore`, 'utf8');

interface Instruction {
  readonly op: string;
  readonly args: string;
}
interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: Instruction[];
}

/** Instructions per stage; continuation lines joined, comments dropped. */
function stages(text: string): Stage[] {
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  const out: Stage[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\w+)\s+(.*)$/.exec(line);
    if (m === null) continue;
    const op = (m[1] ?? '').toUpperCase();
    const args = (m[2] ?? '').trim();
    if (op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      out.push({ from: f?.[1] ?? args, name: f?.[2], instructions: [] });
    } else if (op !== 'ARG' || out.length > 0) {
      out[out.length - 1]?.instructions.push({ op, args });
    }
  }
  return out;
}

const all = stages(DOCKERFILE);
const final = all[all.length - 1];
const last = (op: string): Instruction | undefined => [...(final?.instructions ?? [])].reverse().find((i) => i.op === op);
const exec = (op: string): string[] => {
  const i = last(op);
  assert.ok(i !== undefined, `${op} is missing`);
  const args = i.args.replace(/^--\S+\s+/g, '');
  const json = args.slice(args.indexOf('['));
  return JSON.parse(json) as string[];
};
const imageEnv = (): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const i of final?.instructions ?? []) if (i.op === 'ENV') for (const m of i.args.matchAll(/(\w+)=(\S+)/g)) env[m[1] ?? ''] = m[2] ?? '';
  return env;
};

/** Runs the image's command line with /app mapped to the repository. */
function runImageCommand(extraArgs: string[], env: Record<string, string>, stdin?: string): { done: Promise<{ code: number | null; stdout: string; stderr: string }>; stderr(): string; kill(): void; end(): void } {
  const argv = [...exec('ENTRYPOINT'), ...exec('CMD'), ...extraArgs].map((a) => a.replace(/^\/app\//, ROOT));
  const [cmd, ...args] = argv;
  assert.equal(cmd, 'node');
  const cwd = tempDir('auditwatch-image-').dir;
  const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env.PATH ?? '', ...imageEnv(), AUDITWATCH_HEALTH_HOST: '127.0.0.1', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  if (stdin === undefined) child.stdin.end();
  else child.stdin.write(stdin);
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { done, stderr: () => stderr, kill: () => child.kill(), end: () => child.stdin.end() };
}

function run(args: string[], env: Record<string, string> = {}): Promise<number | null> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
    c.on('close', (code) => resolve(code));
  });
}

function assertBuilt(): void {
  const cli = `${ROOT}dist/src/cli.js`;
  assert.ok(existsSync(cli), 'dist/ is missing: npm run build (npm test builds first)');
}

describe('Dockerfile', () => {
  it('is multi-stage: the runtime stage copies the compiled code and production dependencies from the others', () => {
    assert.ok(all.length >= 2);
    assert.equal(final?.name, 'runtime');
    const copies = (final?.instructions ?? []).filter((i) => i.op === 'COPY').map((i) => i.args);
    assert.ok(copies.some((c) => /^--from=deps \/app\/node_modules /.test(c)));
    assert.ok(copies.some((c) => /^--from=build \S+\/dist\/src /.test(c)));
    assert.ok(!copies.some((c) => /^src\b/.test(c)), 'no TypeScript sources in the runtime image');
  });

  it('installs only production dependencies into the image (npm ci --omit=dev)', () => {
    const deps = all.find((s) => s.name === 'deps');
    assert.ok(deps !== undefined);
    assert.ok(deps.instructions.some((i) => i.op === 'RUN' && /\bnpm ci\b.*--omit=dev/.test(i.args)));
    assert.ok(!(final?.instructions ?? []).some((i) => i.op === 'RUN' && /\bnpm (ci|install)\b/.test(i.args)), 'no install in the runtime stage');
  });

  it('runs as a numeric non-root user, with a HEALTHCHECK on /healthz', () => {
    const user = last('USER')?.args ?? '';
    assert.match(user, /^\d+(:\d+)?$/, 'numeric, so Kubernetes can verify runAsNonRoot');
    assert.notEqual(Number(user.split(':')[0]), 0);
    const hc = exec('HEALTHCHECK');
    assert.equal(hc[0], 'node');
    const script = hc[1] ?? '';
    assert.ok((final?.instructions ?? []).some((i) => i.op === 'COPY' && i.args.endsWith(` ${script.replace(/^\/app\//, './')}`)), `${script} is copied into the image`);
    assert.match(readFileSync(`${ROOT}${script.replace(/^\/app\//, '')}`, 'utf8'), /\/healthz/);
  });

  it('copies only what exists and what the build context lets through', () => {
    const allowed = IGNORE.split('\n')
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1).replace(/\/\*\*$/, ''));
    for (const s of all) {
      for (const i of s.instructions.filter((x) => x.op === 'COPY' && !x.args.startsWith('--from'))) {
        const sources = i.args.split(/\s+/).slice(0, -1);
        for (const src of sources) {
          assert.ok(existsSync(`${ROOT}${src}`), `COPY ${src}: no such file`);
          assert.ok(allowed.includes(src), `COPY ${src} is excluded by Dockerfile.dockerignore`);
        }
      }
    }
  });

  it('its ENTRYPOINT + CMD run the bundled sample end to end, as in the image (read-only root: writes only to the working directory)', async () => {
    assertBuilt();
    assert.deepEqual(exec('CMD'), ['run']);
    const before = statSync(`${ROOT}detectors`).mtimeMs;
    const r = await runImageCommand([], {}).done;
    assert.equal(r.code, 0, r.stderr);
    for (const d of ['rate-limit-burst', 'error-streak', 'denial-spike']) assert.match(r.stdout, new RegExp(d));
    assert.match(r.stderr, /run: 4,542 lines read/);
    assert.equal(statSync(`${ROOT}detectors`).mtimeMs, before);
  });

  it('its HEALTHCHECK passes against the running command and fails when nothing answers', async () => {
    assertBuilt();
    const p = runImageCommand(['--input', '-'], { AUDITWATCH_HEALTH_PORT: '0' }, '');
    try {
      const deadline = Date.now() + 60_000;
      let port: number | undefined;
      while (port === undefined) {
        const m = /"msg":"health and metrics on http:\/\/127\.0\.0\.1:(\d+)/.exec(p.stderr());
        if (m !== null) port = Number(m[1]);
        else if (Date.now() > deadline) assert.fail(`no health listener: ${p.stderr()}`);
        else await new Promise((r) => setTimeout(r, 20)); // poll to the deadline
      }
      const hc = exec('HEALTHCHECK').map((a) => a.replace(/^\/app\//, ROOT));
      assert.equal(await run(hc.slice(1), { AUDITWATCH_HEALTH_PORT: String(port) }), 0);
      p.end();
      assert.equal((await p.done).code, 0);
      assert.equal(await run(hc.slice(1), { AUDITWATCH_HEALTH_PORT: String(port) }), 1, 'nothing listens any more');
    } finally {
      p.kill();
    }
  });
});
