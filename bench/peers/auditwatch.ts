// auditwatch as the benchmark runs it: the working tree compiled with tsc into the ignored cache
// (incremental, so a second run is quick), started as `auditwatch run` in Kafka mode — the same
// CLI a deployment runs — with the shipped threshold and streak detectors and a webhook sink
// (one POST per alert transition) pointing at the benchmark's receiver.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { cachePath, repoRoot, runCommand } from '../../test/services/cache.js';
import { spawnService, type ServiceProcess } from '../../test/services/proc.js';

export interface AuditwatchBuild {
  /** The script that calls the compiled CLI's main(), as bin/auditwatch.js does for dist/. */
  readonly entry: string;
}

/** Compiles src/ into .cache/bench-peers/dist (tsconfig.build.json, another outDir). */
export async function buildAuditwatch(log: (s: string) => void): Promise<AuditwatchBuild> {
  const base = cachePath('bench-peers');
  mkdirSync(base, { recursive: true });
  const outDir = join(base, 'dist');
  try {
    await runCommand('tsc (auditwatch for bench:peers)', process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', outDir, '--tsBuildInfoFile', join(base, 'tsbuildinfo')], repoRoot);
  } catch (err: unknown) {
    // tsc still emits on type errors; a half-edited file elsewhere in the tree should not stop the
    // benchmark, but it is reported. No output at all is fatal.
    if (!existsSync(join(outDir, 'src', 'cli.js'))) throw err;
    log(`tsc reported errors (the compiled output is used anyway): ${err instanceof Error ? err.message.split('\n').slice(1, 6).join(' | ') : String(err)}`);
  }
  const entry = join(base, 'auditwatch.mjs');
  writeFileSync(
    entry,
    [
      '// Written by bench/peers/auditwatch.ts: bin/auditwatch.js for the compiled copy in ./dist.',
      "import { main } from './dist/src/cli.js';",
      'main(process.argv).then((code) => { process.exitCode = code; }, (err) => { process.stderr.write(`auditwatch: ${err instanceof Error ? err.message : String(err)}\\n`); process.exitCode = 1; });',
      '',
    ].join('\n'),
  );
  return { entry };
}

export interface AuditwatchRunSettings {
  readonly dir: string;
  readonly detectorsDir: string;
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly groupId: string;
  readonly alertUrl: string;
  readonly healthPort: number;
}

export const WEBHOOK_SECRET_ENV = 'BENCH_PEERS_WEBHOOK_SECRET';

/** Writes auditwatch.yaml, routes.yaml and silences.yaml into `dir`; returns the config path. */
export function writeAuditwatchConfig(s: AuditwatchRunSettings): string {
  const routes = join(s.dir, 'routes.yaml');
  const silences = join(s.dir, 'silences.yaml');
  // One route, the webhook sink, no grouping delay (a webhook sink is per alert anyway).
  writeFileSync(routes, stringify({ defaults: { groupBy: ['detector'], groupWait: '0s', groupInterval: '1m', repeatInterval: '4h', sendResolved: false }, routes: [{ name: 'bench', sinks: ['bench'] }] }));
  writeFileSync(silences, stringify({ silences: [] }));
  const config = join(s.dir, 'auditwatch.yaml');
  writeFileSync(
    config,
    stringify({
      detectors: s.detectorsDir,
      input: { lateness: '30s' },
      kafka: {
        brokers: [...s.brokers],
        clientId: 'auditwatch-bench',
        groupId: s.groupId,
        // The benchmark's producer keys every event by callerId, as the README recommends.
        input: { topics: [s.topic], keyedBy: 'callerId', startFrom: 'earliest' },
      },
      alerting: {
        routes,
        silences,
        sinks: { bench: { kind: 'webhook', url: s.alertUrl, secret: { env: WEBHOOK_SECRET_ENV } } },
        outbox: { path: join(s.dir, 'outbox.jsonl') },
      },
    }),
  );
  return config;
}

export function startAuditwatch(build: AuditwatchBuild, s: AuditwatchRunSettings, config: string): ServiceProcess {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AUDITWATCH_') && !/^(https?|all|no)_proxy$/i.test(k)) env[k] = v;
  env.AUDITWATCH_CONFIG = config;
  env[WEBHOOK_SECRET_ENV] = 'bench-peers-not-a-secret';
  env.NO_COLOR = '1';
  return spawnService({
    label: 'auditwatch run (Kafka)',
    command: process.execPath,
    args: [build.entry, 'run', '--detectors', s.detectorsDir, '--health-port', String(s.healthPort), '--log-format', 'json', '--no-color'],
    cwd: s.dir,
    env,
    outputFile: join(s.dir, 'auditwatch.log'),
  });
}

export async function auditwatchReady(healthPort: number): Promise<true | undefined> {
  const res = await fetch(`http://127.0.0.1:${healthPort}/readyz`, { signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.status === 200 ? true : undefined;
}
