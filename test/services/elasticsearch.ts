// A real single-node Elasticsearch (integ-test distribution, loopback only, security off) for the test
// suite. Each start gets a fresh temp folder with its own config, data and logs, owned by the user it
// runs as. The integ-test zip has no module answering `GET /` (405), so readiness is cluster health.
import { chownSync, cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_ES_VERSION, elasticsearchHome, elasticsearchJavaHome, elasticsearchUser, readableHome } from './elasticsearch-install.js';
import { freePorts, LOOPBACK } from './ports.js';
import { claimTempDir, onProcessExit, pollUntil, spawnService, tailFile, type ServiceProcess } from './proc.js';

export { DEFAULT_ES_VERSION } from './elasticsearch-install.js';

export interface ElasticsearchOptions {
  version?: string;
  /** How long to wait for a yellow cluster after the start (default 180 s: a cold JVM on 2 cores). */
  startTimeoutMs?: number;
  /** How long SIGTERM gets before SIGKILL on stop (default 30 s). */
  stopTimeoutMs?: number;
  /** ES_JAVA_OPTS (default: 512 MB heap and the start-up savers in ES_JAVA_OPTS below). */
  javaOpts?: string;
}

export interface ElasticsearchNode {
  /** e.g. "http://127.0.0.1:40200" */
  readonly url: string;
  readonly version: string;
  /** Temp folder with config/, data/, logs/ (deleted by stop/kill). */
  readonly dir: string;
  /** The node's main log file. */
  readonly logFile: string;
  stop(): Promise<void>;
  /** SIGKILL the node and delete its folder, synchronously. */
  kill(): void;
}

const CLUSTER_NAME = 'auditwatch-test';

/**
 * Heap as asked, plus two start-up savers for a busy 2-core machine (measured there: a start took about
 * 90 s without them and 36-53 s with them): C1-only compilation, and no pre-touching of the whole heap.
 * AUDITWATCH_TEST_ES_JAVA_OPTS or the javaOpts option replace the whole string.
 */
const ES_JAVA_OPTS = '-Xms512m -Xmx512m -XX:TieredStopAtLevel=1 -XX:-AlwaysPreTouch';

function settings(dir: string, httpPort: number, transportPort: number): string {
  return [
    `cluster.name: ${CLUSTER_NAME}`,
    'node.name: auditwatch-test-node',
    `path.data: ${join(dir, 'data')}`,
    `path.logs: ${join(dir, 'logs')}`,
    'discovery.type: single-node',
    `network.host: ${LOOPBACK}`,
    `http.port: ${httpPort}`,
    `transport.port: ${transportPort}`,
    'xpack.security.enabled: false',
    // The integ-test zip has neither ML nor the geoip module (so nothing downloads databases); its
    // setting `ingest.geoip.downloader.enabled` is even refused there as "unknown setting".
    'xpack.ml.enabled: false',
    // A test node on a nearly full disk would otherwise turn indices read-only or leave shards unassigned.
    'cluster.routing.allocation.disk.threshold_enabled: false',
    'action.destructive_requires_name: false',
    '',
  ].join('\n');
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, entry.name);
    if (entry.isDirectory()) chownTree(p, uid, gid);
    else chownSync(p, uid, gid);
  }
}

interface NodeFiles {
  dir: string;
  httpPort: number;
  transportPort: number;
  logFile: string;
  outFile: string;
}

function describe(version: string, f: NodeFiles): string {
  return `Elasticsearch ${version} on http://${LOOPBACK}:${f.httpPort} (transport ${LOOPBACK}:${f.transportPort}, dir ${f.dir})`;
}

async function healthy(url: string): Promise<true | undefined> {
  const res = await fetch(`${url}/_cluster/health?wait_for_status=yellow&timeout=2s`, { signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as { status?: unknown };
  if (res.status === 200 && (body.status === 'yellow' || body.status === 'green')) return true;
  throw new Error(`GET /_cluster/health answered ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
}

async function launchOnce(version: string, opts: ElasticsearchOptions): Promise<{ proc: ServiceProcess; files: NodeFiles; unregister: () => void }> {
  const home = await readableHome(await elasticsearchHome(version), version);
  const javaHome = elasticsearchJavaHome(version);
  const user = await elasticsearchUser();
  const [httpPort, transportPort] = await freePorts(2);
  if (httpPort === undefined || transportPort === undefined) throw new Error('Elasticsearch: could not reserve two free ports');

  const dir = claimTempDir(`auditwatch-es-${version}-`);
  const unregister = onProcessExit(() => rmSync(dir, { recursive: true, force: true }));
  const files: NodeFiles = { dir, httpPort, transportPort, logFile: join(dir, 'logs', `${CLUSTER_NAME}.log`), outFile: join(dir, 'es.out') };
  // The config folder must be a full copy of the distribution's (jvm.options, log4j2.properties, ...):
  // with only elasticsearch.yml the launcher fails before the JVM starts.
  const config = join(dir, 'config');
  cpSync(join(home, 'config'), config, { recursive: true });
  writeFileSync(join(config, 'elasticsearch.yml'), settings(dir, httpPort, transportPort));
  for (const sub of ['data', 'logs', 'tmp']) mkdirSync(join(dir, sub));
  writeFileSync(files.outFile, '');
  if (user !== undefined) chownTree(dir, user.uid, user.gid);

  const label = describe(version, files);
  const proc = spawnService({
    label,
    command: join(home, 'bin', 'elasticsearch'),
    args: [],
    // jvm.options writes gc.log and hs_err files relative to the working directory.
    cwd: join(dir, 'logs'),
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: dir,
      LANG: 'C.UTF-8',
      ES_JAVA_HOME: javaHome,
      ES_JAVA_OPTS: opts.javaOpts ?? process.env.AUDITWATCH_TEST_ES_JAVA_OPTS ?? ES_JAVA_OPTS,
      ES_PATH_CONF: config,
      ES_TMPDIR: join(dir, 'tmp'),
      // The launcher JVM probes the final JVM flags in a temp folder of its own, which would
      // otherwise be left behind in /tmp (final-flags*/gc.log) after every start.
      CLI_JAVA_OPTS: `-Djava.io.tmpdir=${join(dir, 'tmp')} -XX:TieredStopAtLevel=1`,
    },
    outputFile: files.outFile,
    user: user === undefined ? undefined : { uid: user.uid, gid: user.gid },
  });
  const url = `http://${LOOPBACK}:${httpPort}`;
  try {
    await pollUntil(label, () => healthy(url), {
      deadline: Date.now() + (opts.startTimeoutMs ?? 180_000),
      intervalMs: 500,
      abortReason: () => (proc.running() ? undefined : `the Elasticsearch process ended (${proc.exitDescription() ?? '?'})`),
    });
  } catch (err: unknown) {
    await proc.terminate(10_000);
    const details =
      `\n--- node log ${files.logFile} (tail) ---\n${tailFile(files.logFile)}` +
      `\n--- stdout/stderr ${files.outFile} (tail) ---\n${tailFile(files.outFile)}`;
    unregister();
    rmSync(dir, { recursive: true, force: true });
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`${message}${user ? ` (running as ${user.name})` : ''}${details}`, { cause: err });
  }
  return { proc, files, unregister };
}

export async function startElasticsearch(opts: ElasticsearchOptions = {}): Promise<ElasticsearchNode> {
  const version = opts.version ?? DEFAULT_ES_VERSION;
  let started: Awaited<ReturnType<typeof launchOnce>> | undefined;
  for (let attempt = 1; started === undefined; attempt += 1) {
    try {
      started = await launchOnce(version, opts);
    } catch (err: unknown) {
      // Another process may have taken a port between freePorts() and the bind: try new ones.
      const clash = /BindTransportException|BindHttpException|Address already in use/.test(err instanceof Error ? err.message : '');
      if (attempt >= 3 || !clash) throw err;
    }
  }
  const { proc, files, unregister } = started;
  const removeDir = (): void => {
    unregister();
    rmSync(files.dir, { recursive: true, force: true });
  };
  return {
    url: `http://${LOOPBACK}:${files.httpPort}`,
    version,
    dir: files.dir,
    logFile: files.logFile,
    async stop(): Promise<void> {
      await proc.terminate(opts.stopTimeoutMs ?? 30_000);
      removeDir();
    },
    kill(): void {
      proc.killNow();
      removeDir();
    },
  };
}
