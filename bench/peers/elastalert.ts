// ElastAlert 2, the peer: installed from PyPI into a virtual environment in the ignored cache
// (.cache/elastalert2-venv) on the first run, configured with `frequency` rules equivalent to the
// shipped detectors, and run as a child process against the Elasticsearch `GET /` shim.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { DetectorDef } from '../../src/config/detectors.js';
import { cachePath, runCommand } from '../../test/services/cache.js';
import { LOOPBACK } from '../../test/services/ports.js';
import { probeCommand, spawnService, type ServiceProcess } from '../../test/services/proc.js';

export const ELASTALERT_PIN = '2.19.0';
const MARKER = '.auditwatch-bench-complete';
/** Imported by elastalert2 but missing from its requirements (see ensureElastAlert). */
const EXTRA_REQUIREMENTS = ['pytz'];

function pipInstall(python: string, requirements: readonly string[]): Promise<string> {
  return runCommand(`pip install ${requirements.join(' ')}`, python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '-q', ...requirements], cachePath());
}

export interface ElastAlertInstall {
  readonly venv: string;
  readonly python: string;
  readonly elastalertVersion: string;
  readonly esPyVersion: string;
  readonly pythonVersion: string;
  readonly installedNow: boolean;
}

function pickPython(): string {
  // 3.11 is where elastalert2 2.19.0 was checked to install (see shared notes); any python3 otherwise.
  for (const candidate of ['python3.11', 'python3']) {
    const p = probeCommand(candidate, ['-c', 'import venv, ensurepip; print("ok")']);
    if (p !== undefined && p.status === 0) return candidate;
  }
  throw new Error('bench:peers needs Python 3 with venv and ensurepip to install ElastAlert 2 (apt-get install -y python3 python3-venv)');
}

/** The virtual environment with elastalert2; created (pip install from PyPI) when missing. */
export async function ensureElastAlert(log: (s: string) => void): Promise<ElastAlertInstall> {
  const venv = cachePath('elastalert2-venv');
  const python = join(venv, 'bin', 'python');
  let installedNow = false;
  if (!existsSync(join(venv, MARKER)) || !existsSync(python)) {
    // A venv holds absolute paths, so it is built in place; the marker says it is complete.
    rmSync(venv, { recursive: true, force: true });
    mkdirSync(cachePath(), { recursive: true });
    const base = pickPython();
    log(`installing ElastAlert 2 ${ELASTALERT_PIN} into ${venv} (${base} -m venv; pip install)`);
    await runCommand('python venv', base, ['-m', 'venv', venv], cachePath());
    try {
      await pipInstall(python, [`elastalert2==${ELASTALERT_PIN}`, ...EXTRA_REQUIREMENTS]);
    } catch (err: unknown) {
      log(`elastalert2==${ELASTALERT_PIN} did not install (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); trying the newest that resolves`);
      await pipInstall(python, ['elastalert2', ...EXTRA_REQUIREMENTS]);
    }
    writeFileSync(join(venv, MARKER), `${new Date().toISOString()}\n`);
    installedNow = true;
  }
  // elastalert2 2.19.0 imports pytz (elastalert/util.py) without declaring it; APScheduler 3.11,
  // which pip picks today, no longer pulls it in, so `elastalert` dies with "No module named
  // 'pytz'". Checked on every run, repaired in place.
  const check = probeCommand(python, ['-c', 'import elastalert.elastalert, elastalert.create_index']);
  if (check === undefined || check.status !== 0) {
    log(`ElastAlert 2 does not import (${(check?.output ?? '').trim().split('\n').pop() ?? '?'}); installing ${EXTRA_REQUIREMENTS.join(', ')}`);
    await pipInstall(python, [...EXTRA_REQUIREMENTS]);
    const again = probeCommand(python, ['-c', 'import elastalert.elastalert, elastalert.create_index']);
    if (again === undefined || again.status !== 0) throw new Error(`ElastAlert 2 in ${venv} does not import:\n${again?.output ?? ''}`);
  }
  const out = await runCommand(
    'python -c versions',
    python,
    ['-c', 'import importlib.metadata as m, sys; print(m.version("elastalert2"), m.version("elasticsearch"), sys.version.split()[0])'],
    venv,
  );
  const [elastalertVersion = '?', esPyVersion = '?', pythonVersion = '?'] = out.trim().split(/\s+/);
  return { venv, python, elastalertVersion, esPyVersion, pythonVersion, installedNow };
}

export interface RuleSettings {
  readonly index: string;
  readonly alertUrl: string;
  /** Window of the frequency rule standing in for a streak detector (no ElastAlert equivalent). */
  readonly streakWindowMs: number;
}

export interface PeerRule {
  readonly detector: string;
  readonly exact: boolean;
  readonly how: string;
  readonly body: Record<string, unknown>;
}

function whereFilter(def: DetectorDef): Record<string, unknown>[] {
  return [...def.where].map(([field, values]) => ({ terms: { [field]: [...values] } }));
}

/**
 * `frequency` rules for the threshold detectors (num_events = threshold + 1, timeframe = window,
 * query_key = groupBy, filter = where) and, labelled as an approximation, for streak detectors
 * (the `where` events counted in `streakWindowMs`: a reset in between is not seen). `realert` is
 * the window, so a key alerts once per window, as auditwatch alerts once per incident.
 */
export function peerRules(defs: readonly DetectorDef[], s: RuleSettings): PeerRule[] {
  const out: PeerRule[] = [];
  for (const def of defs) {
    if (def.kind === 'leak') continue;
    const windowMs = def.kind === 'threshold' ? def.windowMs : s.streakWindowMs;
    const seconds = Math.round(windowMs / 1000);
    const body: Record<string, unknown> = {
      name: def.id,
      type: 'frequency',
      index: s.index,
      timestamp_field: 'timestamp',
      num_events: def.threshold + 1,
      timeframe: { seconds },
      query_key: def.groupBy.length === 1 ? def.groupBy[0] : [...def.groupBy],
      filter: whereFilter(def),
      realert: { seconds },
      alert: ['post'],
      http_post_url: s.alertUrl,
      http_post_static_payload: { rule: def.id },
      http_post_all_values: true,
      http_post_timeout: 10,
    };
    out.push(
      def.kind === 'threshold'
        ? { detector: def.id, exact: true, how: `frequency: num_events ${def.threshold + 1}, timeframe ${seconds} s, query_key ${def.groupBy.join('+')}`, body }
        : { detector: def.id, exact: false, how: `frequency of \`${[...def.where].map(([f, v]) => `${f}=${v.join('|')}`).join(' ')}\`, num_events ${def.threshold + 1} in ${seconds} s per ${def.groupBy.join('+')}; a reset (\`${[...def.resetWhere].map(([f, v]) => `${f}=${v.join('|')}`).join(' ')}\`) is not seen`, body },
    );
  }
  return out;
}

export interface ElastAlertRunSettings {
  readonly dir: string;
  readonly shimPort: number;
  readonly writebackIndex: string;
  readonly runEveryS: number;
  readonly bufferTimeS: number;
  readonly rules: readonly PeerRule[];
}

function childEnv(venv: string): NodeJS.ProcessEnv {
  // Loopback only: no proxy may be picked up from the environment by requests.
  return {
    PATH: `${join(venv, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: process.env.HOME ?? '/tmp',
    LANG: 'C.UTF-8',
    VIRTUAL_ENV: venv,
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
    PYTHONUNBUFFERED: '1',
    TZ: 'UTC',
  };
}

/** Writes config.yaml and rules/, creates the writeback indices; returns the config path. */
export async function prepareElastAlert(install: ElastAlertInstall, s: ElastAlertRunSettings): Promise<string> {
  const rulesDir = join(s.dir, 'rules');
  mkdirSync(rulesDir, { recursive: true });
  for (const r of s.rules) writeFileSync(join(rulesDir, `${r.detector}.yaml`), stringify(r.body));
  const config = join(s.dir, 'config.yaml');
  writeFileSync(
    config,
    stringify({
      rules_folder: rulesDir,
      scan_subdirectories: false,
      run_every: { seconds: s.runEveryS },
      buffer_time: { seconds: s.bufferTimeS },
      es_host: LOOPBACK,
      es_port: s.shimPort,
      use_ssl: false,
      writeback_index: s.writebackIndex,
      alert_time_limit: { minutes: 30 },
      disable_rules_on_error: false,
    }),
  );
  const out = await runCommandEnv('elastalert-create-index', join(install.venv, 'bin', 'elastalert-create-index'), ['--config', config, '--no-auth'], s.dir, childEnv(install.venv));
  if (!/Done!|New index/i.test(out)) throw new Error(`elastalert-create-index printed no success line:\n${out.slice(-2000)}`);
  return config;
}

/** Runs a command to completion with its own environment; throws with the tail of its output. */
function runCommandEnv(label: string, command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.once('error', (err) => reject(new Error(`${label}: could not run ${command}: ${err.message}`)));
    child.once('close', (code) => {
      const output = Buffer.concat(chunks).toString('utf8');
      if (code === 0) resolve(output);
      else reject(new Error(`${label}: exit code ${code ?? '?'}:\n${output.trimEnd().split('\n').slice(-30).join('\n')}`));
    });
  });
}

export function startElastAlert(install: ElastAlertInstall, dir: string, config: string): ServiceProcess {
  return spawnService({
    label: 'ElastAlert 2',
    command: join(install.venv, 'bin', 'elastalert'),
    args: ['--config', config, '--verbose'],
    cwd: dir,
    env: childEnv(install.venv),
    outputFile: join(dir, 'elastalert.log'),
  });
}

export function elastalertLog(dir: string): string {
  try {
    return readFileSync(join(dir, 'elastalert.log'), 'utf8');
  } catch {
    return '';
  }
}
