// A private broker for the tests that need what the shared one must not do: stop and start again
// (a broker outage) and authenticate clients (SASL). Same jars, logging and base properties as
// test/services/kafka.ts, plus a SASL_PLAINTEXT listener with PLAIN and SCRAM-SHA-256/512 users
// (SCRAM credentials are written by StorageTool format --add-scram, as KRaft requires).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { requireJava, runCommand } from '../../../services/cache.js';
import { loggingConfig, serverProperties, type KafkaVersion } from '../../../services/kafka-files.js';
import { kafkaLib } from '../../../services/kafka.js';
import { freePorts, LOOPBACK } from '../../../services/ports.js';
import { onProcessExit, pollUntil, spawnService, tailFile, type ServiceProcess } from '../../../services/proc.js';

export const SASL_USER = 'auditwatch-test';
/** Test-only credential of the private broker (never used anywhere else). */
export const SASL_PASSWORD = 'k4fka-test-S3cret-9c1e';

export interface SaslBroker {
  readonly version: KafkaVersion;
  /** Plain listener (no authentication): the tests' own clients. */
  readonly brokers: string[];
  /** SASL_PLAINTEXT listener: PLAIN and SCRAM-SHA-256/512 for SASL_USER. */
  readonly saslBrokers: string[];
  /** SIGTERM and wait; data and ports are kept for `start`. */
  stop(): Promise<void>;
  /** Starts the stopped broker again; resolves once it answers. */
  start(): Promise<void>;
  /** Stops it for good and deletes its files. */
  close(): Promise<void>;
}

function properties(base: string, port: number, saslPort: number, controllerPort: number): string {
  const jaas = (module: string, extra = ''): string => `${module} required${extra};`;
  const lines = base
    .split('\n')
    .filter((l) => !/^(listeners|advertised\.listeners|listener\.security\.protocol\.map)=/.test(l));
  lines.push(
    `listeners=PLAINTEXT://${LOOPBACK}:${port},SASL_PLAINTEXT://${LOOPBACK}:${saslPort},CONTROLLER://${LOOPBACK}:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://${LOOPBACK}:${port},SASL_PLAINTEXT://${LOOPBACK}:${saslPort}`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT',
    'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    `listener.name.sasl_plaintext.plain.sasl.jaas.config=${jaas('org.apache.kafka.common.security.plain.PlainLoginModule', ` user_${SASL_USER}="${SASL_PASSWORD}"`)}`,
    `listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=${jaas('org.apache.kafka.common.security.scram.ScramLoginModule')}`,
    `listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=${jaas('org.apache.kafka.common.security.scram.ScramLoginModule')}`,
    '',
  );
  return lines.join('\n');
}

async function answers(brokers: string[]): Promise<true | undefined> {
  const admin = new kafkajs.Kafka({ clientId: 'sasl-broker-readiness', brokers, logLevel: kafkajs.logLevel.NOTHING, connectionTimeout: 1000, retry: { retries: 0 } }).admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    return (await admin.describeCluster()).brokers.length > 0 ? true : undefined;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export async function startSaslBroker(version: KafkaVersion): Promise<SaslBroker> {
  requireJava(`Kafka ${version}`);
  const lib = await kafkaLib(version);
  const [port, saslPort, controllerPort] = await freePorts(3);
  if (port === undefined || saslPort === undefined || controllerPort === undefined) throw new Error('could not reserve three free ports');
  const dir = mkdtempSync(join(tmpdir(), `auditwatch-kafka-sasl-${version}-`));
  const unregister = onProcessExit(() => rmSync(dir, { recursive: true, force: true }));
  const propsFile = join(dir, 'server.properties');
  const logFile = join(dir, 'broker.log');
  const logConfigFile = join(dir, 'log-config.properties');
  writeFileSync(propsFile, properties(serverProperties({ port, controllerPort, dataDir: join(dir, 'data') }), port, saslPort, controllerPort));
  const logging = loggingConfig(version, logFile, logConfigFile, 'WARN');
  writeFileSync(logConfigFile, logging.text);
  const jvm = ['-Xmx384m', '-XX:+UseG1GC', '-Djava.awt.headless=true', logging.jvmFlag, '-cp', `${lib}/*`];
  const tool = [...jvm, 'kafka.tools.StorageTool'];
  const id = (await runCommand('StorageTool random-uuid', 'java', [...tool, 'random-uuid'], dir)).trim();
  const scram = ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((m) => ['--add-scram', `${m}=[name=${SASL_USER},password=${SASL_PASSWORD}]`]);
  await runCommand('StorageTool format', 'java', [...tool, 'format', '-t', id, '-c', propsFile, ...scram], dir);
  const brokers = [`${LOOPBACK}:${port}`];
  let proc: ServiceProcess | undefined;
  const launch = async (): Promise<void> => {
    const p = spawnService({ label: `Kafka ${version} (SASL test broker ${LOOPBACK}:${port})`, command: 'java', args: [...jvm, 'kafka.Kafka', propsFile], cwd: dir, env: process.env, outputFile: join(dir, 'broker.out') });
    proc = p;
    try {
      await pollUntil(p.label, () => answers(brokers), { deadline: Date.now() + 120_000, abortReason: () => (p.running() ? undefined : `the broker ended (${p.exitDescription() ?? '?'}):\n${tailFile(logFile)}\n${tailFile(join(dir, 'broker.out'))}`) });
    } catch (err) {
      await p.terminate(5_000);
      throw err;
    }
  };
  await launch();
  return {
    version,
    brokers,
    saslBrokers: [`${LOOPBACK}:${saslPort}`],
    stop: async () => {
      await proc?.terminate(30_000);
    },
    start: launch,
    close: async () => {
      await proc?.terminate(30_000);
      unregister();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
