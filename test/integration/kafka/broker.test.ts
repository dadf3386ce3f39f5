// Test 5 of the Kafka issue, on a private broker this file starts (the shared one must never go
// down, and has no SASL listener): a broker restart in the middle of the stream, SASL (PLAIN and
// SCRAM) with the right and the wrong password, a missing password, an unknown input topic.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requestedKafkaVersion, uniqueGroup, uniqueTopic, waitUntil } from '../../services/global.js';
import { freePort } from '../../services/ports.js';
import { createTopic, produceInBackground, produceStream, readTopic, testKafka, waitCaughtUp, type KafkaJs } from './harness/cluster.js';
import { CLI_ENTRY, startInstance, stopInstance, waitProcessing, writeConfig, type Instance } from './harness/instance.js';
import { compare, referenceAlerts } from './harness/reference.js';
import { SASL_PASSWORD, SASL_USER, startSaslBroker, type SaslBroker } from './harness/sasl-broker.js';
import { generateStream, writeDetectors } from './harness/stream.js';

async function readyz(port: number): Promise<number | undefined> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) })).status;
  } catch {
    return undefined;
  }
}

describe(`Kafka: broker restart, SASL and startup errors (private ${requestedKafkaVersion()} broker)`, { timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'aw-kafka-broker-'));
  const instances: Instance[] = [];
  let broker: SaslBroker;
  let kafka: KafkaJs;
  let detectors: string;
  let topic: string;

  before(async () => {
    broker = await startSaslBroker(requestedKafkaVersion());
    kafka = testKafka(broker.brokers);
    detectors = writeDetectors(dir);
    topic = uniqueTopic('private-input');
    await createTopic(kafka, topic, 3);
  });

  after(async () => {
    for (const i of instances) if (i.running()) i.child.kill('SIGKILL');
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (name: string, config: string, env: NodeJS.ProcessEnv = {}, entry?: string): Instance => {
    const i = startInstance(name, config, env, entry);
    instances.push(i);
    return i;
  };

  it('survives a broker restart mid-stream: not ready while it is down, then nothing lost or doubled', async (t) => {
    const group = uniqueGroup('outage');
    const port = await freePort();
    const config = writeConfig(dir, 'outage', { brokers: broker.brokers, groupId: group, topics: [topic], keyedBy: 'callerId', detectors });
    const events = generateStream(30_000, 41);
    const producer = kafka.producer();
    await producer.connect();
    const i = start('outage', config, { AUDITWATCH_HEALTH_PORT: String(port) });
    await waitProcessing(i, 120_000);
    await waitUntil('ready', async () => ((await readyz(port)) === 200 ? true : undefined), 60_000);
    const first = produceInBackground(producer, topic, 3, events.slice(0, 15_000), 'keyed', 5_000);
    await waitUntil('alerts before the outage', () => (i.delivered.length >= 10 ? true : undefined), 120_000);
    await first.done;
    await producer.disconnect();
    await broker.stop();
    await waitUntil('not ready while the broker is down', async () => ((await readyz(port)) === 503 ? true : undefined), 120_000);
    const before = i.delivered.length;
    await broker.start();
    const again = testKafka(broker.brokers, 'after-restart').producer();
    await again.connect();
    await produceStream(again, topic, 3, events.slice(15_000), 'keyed');
    await again.disconnect();
    // On a failure, what the instance was doing is the only clue: its log goes into the error.
    const withLog = (err: unknown): never => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- instance stderr (tail) ---\n${i.stderr().slice(-6000)}`);
    };
    await waitUntil('ready again', async () => ((await readyz(port)) === 200 ? true : undefined), 180_000).catch(withLog);
    await waitCaughtUp(kafka, group, topic, 300_000).catch(withLog);
    assert.equal((await stopInstance(i)).code, 0, i.stderr().slice(-3000));

    const reference = await referenceAlerts(join(dir, 'outage-ref'), await readTopic(kafka, topic), detectors, false);
    const c = compare(i.delivered, reference);
    t.diagnostic(`${before} alerts before the outage, ${i.delivered.length - before} after; reference ${c.total}`);
    assert.ok(i.delivered.length > before, 'alerts after the restart');
    assert.deepEqual(c.differences, []);
    assert.deepEqual(c.conflicting, []);
    assert.equal(c.repeats, 0);
  });

  it('SASL PLAIN (password from an environment variable) and SCRAM-SHA-512 (from a file): connects, consumes, stops cleanly', async () => {
    const pwFile = join(dir, 'kafka-password');
    writeFileSync(pwFile, `${SASL_PASSWORD}\n`);
    const cases = [
      { name: 'plain', sasl: `  sasl: { mechanism: plain, username: ${SASL_USER}, password: { env: TEST_KAFKA_PASSWORD } }`, env: { TEST_KAFKA_PASSWORD: SASL_PASSWORD } },
      { name: 'scram', sasl: `  sasl: { mechanism: scram-sha-512, username: ${SASL_USER}, password: { file: ${JSON.stringify(pwFile)} } }`, env: {} },
    ];
    for (const k of cases) {
      const config = writeConfig(dir, `sasl-${k.name}`, { brokers: broker.saslBrokers, groupId: uniqueGroup(`sasl-${k.name}`), topics: [topic], keyedBy: 'callerId', detectors, extra: k.sasl });
      const i = start(`sasl-${k.name}`, config, k.env);
      await waitProcessing(i, 120_000);
      assert.equal((await stopInstance(i)).code, 0, i.stderr().slice(-3000));
      assert.ok(!i.stderr().includes(SASL_PASSWORD), 'the password never reaches a log line');
    }
  });

  it('wrong SASL password: a clear error, exit code 1, the password never printed (auditwatch run)', async () => {
    const wrong = 'Not-The-Password-7f3a9';
    const config = writeConfig(dir, 'sasl-wrong', { brokers: broker.saslBrokers, groupId: uniqueGroup('sasl-wrong'), topics: [topic], keyedBy: 'callerId', detectors, extra: '  sasl: { mechanism: scram-sha-256, username: auditwatch-test }' });
    const i = start('sasl-wrong', config, { AUDITWATCH_KAFKA_SASL_PASSWORD: wrong }, CLI_ENTRY);
    const { code } = await i.exited();
    assert.equal(code, 1, i.stderr());
    assert.match(i.stderr(), /authentication failed \(check kafka\.sasl username, mechanism and password\)/);
    assert.ok(!i.stderr().includes(wrong) && !i.delivered.length, 'nothing printed but the error, and never the password');
  });

  it('a missing SASL password is a configuration error naming the variable (exit code 2)', async () => {
    const config = writeConfig(dir, 'sasl-missing', { brokers: broker.saslBrokers, groupId: uniqueGroup('sasl-missing'), topics: [topic], keyedBy: 'callerId', detectors, extra: '  sasl: { mechanism: plain, username: auditwatch-test }' });
    const i = start('sasl-missing', config, { AUDITWATCH_KAFKA_SASL_PASSWORD: '' }, CLI_ENTRY);
    const { code } = await i.exited();
    assert.equal(code, 2, i.stderr());
    assert.match(i.stderr(), /AUDITWATCH_KAFKA_SASL_PASSWORD is not set/);
  });

  it('an unknown input topic: a clear error and exit code 1 (auditwatch run)', async () => {
    const missing = uniqueTopic('does-not-exist');
    const config = writeConfig(dir, 'unknown-topic', { brokers: broker.brokers, groupId: uniqueGroup('unknown-topic'), topics: [missing], keyedBy: 'none', detectors });
    const i = start('unknown-topic', config, {}, CLI_ENTRY);
    const { code } = await i.exited();
    assert.equal(code, 1, i.stderr());
    assert.match(i.stderr(), new RegExp(`input topic ${missing} does not exist`));
  });
});
