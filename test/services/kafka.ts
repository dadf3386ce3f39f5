// A real single-node Kafka broker (KRaft, loopback only) for the test suite, run from jars that Maven
// resolves into <repo>/.cache/kafka-<version>/lib once; later runs reuse them without Maven.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { cachePath, DEPENDENCY_PLUGIN, installOnce, requireJava, requireMaven, runCommand, runMaven } from './cache.js';
import { DEFAULT_KAFKA_VERSION, kafkaPom, loggingConfig, serverProperties, type KafkaVersion } from './kafka-files.js';
import { freePorts, LOOPBACK } from './ports.js';
import { claimTempDir, onProcessExit, pollUntil, spawnService, tailFile, type ServiceProcess } from './proc.js';

export { DEFAULT_KAFKA_VERSION, KAFKA_VERSIONS, isKafkaVersion, type KafkaVersion } from './kafka-files.js';

const { Kafka, logLevel } = kafkajs;

export interface KafkaOptions {
  version?: KafkaVersion;
  /** How long to wait for the broker to answer after its JVM starts (default 90 s). */
  startTimeoutMs?: number;
  /** How long SIGTERM gets before SIGKILL on stop/pause (default 30 s). */
  stopTimeoutMs?: number;
}

export interface KafkaBroker {
  /** Bootstrap addresses, e.g. ["127.0.0.1:40123"]. */
  readonly brokers: string[];
  readonly version: string;
  readonly port: number;
  readonly controllerPort: number;
  /** Temp folder with server.properties, the data dir and the logs (deleted by stop/kill). */
  readonly dir: string;
  /** The broker's own log (WARN and above). */
  readonly logFile: string;
  /** Stop the broker and delete its folder. */
  stop(): Promise<void>;
  /** SIGKILL the broker and delete its folder, synchronously. */
  kill(): void;
  /** Stop the broker gracefully but keep its ports and data, for resume(). */
  pause(): Promise<void>;
  /** SIGKILL the broker but keep its ports and data (a crash), for resume(). */
  crash(): Promise<void>;
  /** Start the paused/crashed broker again on the same ports and data; resolves once it answers. */
  resume(): Promise<void>;
  /** pause() then resume(). */
  restart(): Promise<void>;
  running(): boolean;
}

/** Resolves the broker's runtime jars into the cache (Maven only on the first run); returns the lib folder. */
export async function kafkaLib(version: KafkaVersion): Promise<string> {
  const lib = cachePath(`kafka-${version}`, 'lib');
  await installOnce(lib, async (temp) => {
    requireMaven(`Kafka ${version} (resolving its jars into ${lib})`);
    const pomDir = mkdtempSync(join(tmpdir(), `auditwatch-kafka-pom-${version}-`));
    try {
      writeFileSync(join(pomDir, 'pom.xml'), kafkaPom(version));
      await runMaven(
        `resolving Kafka ${version} jars`,
        [`${DEPENDENCY_PLUGIN}:copy-dependencies`, '-DincludeScope=runtime', `-DoutputDirectory=${temp}`],
        pomDir,
      );
    } finally {
      rmSync(pomDir, { recursive: true, force: true });
    }
    const jars = readdirSync(temp).filter((f) => f.endsWith('.jar'));
    if (!jars.some((f) => f.startsWith(`kafka_2.13-${version}`))) {
      throw new Error(`resolving Kafka ${version} jars: Maven finished but ${temp} has no kafka_2.13-${version}.jar (${jars.length} jars)`);
    }
  });
  return lib;
}

interface BrokerFiles {
  version: KafkaVersion;
  lib: string;
  dir: string;
  port: number;
  controllerPort: number;
  propsFile: string;
  logFile: string;
  outFile: string;
  jvmArgs: string[];
}

/**
 * The broker's JVM flags (AUDITWATCH_TEST_KAFKA_JVM_OPTS replaces them). C1-only compilation and the
 * serial collector start the JVM in a fraction of the CPU time, which is what a 2-core machine running
 * tests in parallel is short of; test traffic is far too small to miss C2.
 */
const BROKER_JVM_OPTS = '-Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1';
/** StorageTool runs for a second: same reasoning, smaller heap. */
const TOOL_JVM_OPTS = ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true'];

async function prepareBroker(version: KafkaVersion, lib: string): Promise<BrokerFiles> {
  const [port, controllerPort] = await freePorts(2);
  if (port === undefined || controllerPort === undefined) throw new Error('Kafka: could not reserve two free ports');
  const dir = claimTempDir(`auditwatch-kafka-${version}-`);
  const dataDir = join(dir, 'data');
  const propsFile = join(dir, 'server.properties');
  const logFile = join(dir, 'broker.log');
  const logConfigFile = join(dir, 'log-config.properties');
  writeFileSync(propsFile, serverProperties({ port, controllerPort, dataDir }));
  // AUDITWATCH_TEST_KAFKA_LOG_LEVEL=INFO (or DEBUG) to see more when investigating a broker.
  const logging = loggingConfig(version, logFile, logConfigFile, process.env.AUDITWATCH_TEST_KAFKA_LOG_LEVEL ?? 'WARN');
  writeFileSync(logConfigFile, logging.text);
  const heapAndGc = (process.env.AUDITWATCH_TEST_KAFKA_JVM_OPTS ?? BROKER_JVM_OPTS).split(/\s+/).filter((o) => o !== '');
  const jvmArgs = [...heapAndGc, '-Djava.awt.headless=true', logging.jvmFlag];
  const files: BrokerFiles = { version, lib, dir, port, controllerPort, propsFile, logFile, outFile: join(dir, 'broker.out'), jvmArgs };
  const storageTool = [...TOOL_JVM_OPTS, logging.jvmFlag, '-cp', `${lib}/*`, 'kafka.tools.StorageTool'];
  const label = `Kafka ${version} StorageTool (${dir})`;
  try {
    const clusterId = (await runCommand(label, 'java', [...storageTool, 'random-uuid'], dir)).trim();
    if (!/^[A-Za-z0-9_-]{22}$/.test(clusterId)) throw new Error(`${label}: random-uuid printed ${JSON.stringify(clusterId)}, not a cluster id`);
    // Static quorum (controller.quorum.voters), so no --standalone: StorageTool refuses the two together.
    await runCommand(label, 'java', [...storageTool, 'format', '-t', clusterId, '-c', propsFile], dir);
  } catch (err: unknown) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return files;
}

async function answers(brokers: string[]): Promise<true | undefined> {
  const kafka = new Kafka({
    clientId: 'auditwatch-readiness',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 3000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    await admin.listTopics();
    return cluster.brokers.length > 0 ? true : undefined;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function describe(f: BrokerFiles): string {
  return `Kafka ${f.version} broker on ${LOOPBACK}:${f.port} (controller ${LOOPBACK}:${f.controllerPort}, dir ${f.dir})`;
}

function failureDetails(f: BrokerFiles): string {
  return `\n--- broker log ${f.logFile} (tail) ---\n${tailFile(f.logFile)}\n--- stdout/stderr ${f.outFile} (tail) ---\n${tailFile(f.outFile)}`;
}

async function launch(f: BrokerFiles, startTimeoutMs: number): Promise<ServiceProcess> {
  const label = describe(f);
  const proc = spawnService({
    label,
    command: 'java',
    args: [...f.jvmArgs, '-cp', `${f.lib}/*`, 'kafka.Kafka', f.propsFile],
    cwd: f.dir,
    env: process.env,
    outputFile: f.outFile,
  });
  const brokers = [`${LOOPBACK}:${f.port}`];
  try {
    await pollUntil(`${label}`, () => answers(brokers), {
      deadline: Date.now() + startTimeoutMs,
      abortReason: () => (proc.running() ? undefined : `the broker process ended (${proc.exitDescription() ?? '?'})`),
    });
  } catch (err: unknown) {
    await proc.terminate(5000);
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`${message}${failureDetails(f)}`, { cause: err });
  }
  return proc;
}

function isPortClash(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return /Address already in use|BindException/.test(message);
}

export async function startKafka(opts: KafkaOptions = {}): Promise<KafkaBroker> {
  const version = opts.version ?? DEFAULT_KAFKA_VERSION;
  const startTimeoutMs = opts.startTimeoutMs ?? 90_000;
  const stopTimeoutMs = opts.stopTimeoutMs ?? 30_000;
  requireJava(`Kafka ${version}`);
  const lib = await kafkaLib(version);

  let files: BrokerFiles | undefined;
  let proc: ServiceProcess | undefined;
  let unregister: () => void = () => undefined;
  for (let attempt = 1; proc === undefined; attempt += 1) {
    const f = await prepareBroker(version, lib);
    const dir = f.dir;
    unregister = onProcessExit(() => rmSync(dir, { recursive: true, force: true }));
    try {
      proc = await launch(f, startTimeoutMs);
      files = f;
    } catch (err: unknown) {
      unregister();
      rmSync(dir, { recursive: true, force: true });
      // Another process may have taken a port between freePorts() and the bind: try new ones.
      if (attempt >= 3 || !isPortClash(err)) throw err;
    }
  }
  if (files === undefined) throw new Error('Kafka: unreachable');
  const f = files;
  let current: ServiceProcess = proc;
  let removed = false;

  const removeDir = (): void => {
    if (removed) return;
    removed = true;
    unregister();
    rmSync(f.dir, { recursive: true, force: true });
  };
  const broker: KafkaBroker = {
    brokers: [`${LOOPBACK}:${f.port}`],
    version,
    port: f.port,
    controllerPort: f.controllerPort,
    dir: f.dir,
    logFile: f.logFile,
    running: () => current.running(),
    async stop(): Promise<void> {
      await current.terminate(stopTimeoutMs);
      removeDir();
    },
    kill(): void {
      current.killNow();
      removeDir();
    },
    async pause(): Promise<void> {
      await current.terminate(stopTimeoutMs);
    },
    async crash(): Promise<void> {
      current.killNow();
      await current.exited();
    },
    async resume(): Promise<void> {
      if (removed) throw new Error(`${describe(f)}: cannot resume, it was stopped and its folder deleted`);
      if (current.running()) return;
      current = await launch(f, startTimeoutMs);
    },
    async restart(): Promise<void> {
      await broker.pause();
      await broker.resume();
    },
  };
  return broker;
}
