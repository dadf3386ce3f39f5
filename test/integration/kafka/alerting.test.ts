// The production delivery path on Kafka (kafka.output: alerting, the default): transitions go
// through the alert pipeline and the outbox to a sink — here auditwatch's signed webhook, received
// by its contract fake. Every alert arrives once, signed, with the notification id as delivery id.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebhookFake } from '../../fakes/webhook.js';
import { kafkaForTests, uniqueGroup, uniqueTopic, waitUntil } from '../../services/global.js';
import { createTopic, produceStream, readTopic, testKafka, waitCaughtUp } from './harness/cluster.js';
import { startInstance, stopInstance, waitProcessing, writeConfig, type Instance } from './harness/instance.js';
import { referenceAlerts } from './harness/reference.js';
import { generateStream, writeDetectors } from './harness/stream.js';

describe('Kafka: alerts through the pipeline, the outbox and a sink', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'aw-kafka-alerting-'));
  let instance: Instance | undefined;
  let hook: WebhookFake | undefined;
  after(async () => {
    if (instance?.running()) instance.child.kill('SIGKILL');
    await hook?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers every alert once to a signed webhook', async () => {
    const secret = 'hook-S3cret-for-the-test-7c1d';
    hook = await WebhookFake.start({ secrets: [secret] });
    const { brokers } = await kafkaForTests();
    const kafka = testKafka(brokers);
    const topic = uniqueTopic('alerting');
    const group = uniqueGroup('alerting');
    await createTopic(kafka, topic, 3);
    const producer = kafka.producer();
    await producer.connect();
    await produceStream(producer, topic, 3, generateStream(15_000, 51), 'keyed');
    await producer.disconnect();
    const detectors = writeDetectors(dir);
    mkdirSync(join(dir, 'alerts'), { recursive: true });
    writeFileSync(join(dir, 'alerts', 'routes.yaml'), 'routes:\n  - name: everything\n    sinks: [hook]\n');
    const config = writeConfig(dir, 'alerting', { brokers, groupId: group, topics: [topic], keyedBy: 'callerId', detectors });
    // The default output (alerting) instead of the harness's jsonl; a webhook sink and its routes.
    writeFileSync(
      config,
      readFileSync(config, 'utf8').replace('  output: jsonl\n', '') +
        [
          `alerts: ${JSON.stringify(join(dir, 'alerts'))}`,
          'alerting:',
          `  sinks: { hook: { kind: webhook, url: ${JSON.stringify(hook.endpointUrl)}, secret: { env: TEST_HOOK_SECRET } } }`,
          `  outbox: { path: ${JSON.stringify(join(dir, 'outbox.jsonl'))} }`,
          '',
        ].join('\n'),
    );
    instance = startInstance('alerting', config, { TEST_HOOK_SECRET: secret });
    await waitProcessing(instance, 120_000);
    await waitCaughtUp(kafka, group, topic, 120_000);
    const reference = await referenceAlerts(join(dir, 'ref'), await readTopic(kafka, topic), detectors, false);
    const expected = [...reference.values()].reduce((n, l) => n + l.length, 0);
    assert.ok(expected > 20, `the stream makes alerts (${expected})`);
    await waitUntil(`${expected} webhook deliveries (have ${hook.requests().length})`, () => (hook !== undefined && hook.requests().length >= expected ? true : undefined), 120_000);
    assert.equal((await stopInstance(instance)).code, 0, instance.stderr().slice(-3000));
    const ids = hook.requests().map((r) => String(r.headers['x-auditwatch-delivery']));
    assert.equal(ids.length, expected, 'one request per alert transition');
    assert.equal(new Set(ids).size, expected, 'no alert delivered twice');
    assert.ok(!instance.stderr().includes(secret), 'the signing secret never reaches a log line');
  });
});
