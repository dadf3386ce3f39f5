// Test 4 of the Kafka issue, on input keyed by callerId (consumed directly, no re-key topic):
// instances join and leave (SIGTERM) while the stream flows. Each rebalance moves partitions
// with their checkpoints; the alerts equal the reference and none is delivered twice.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaForTests, uniqueGroup, uniqueTopic, waitUntil } from '../../services/global.js';
import { createTopic, produceInBackground, readTopic, testKafka, waitCaughtUp } from './harness/cluster.js';
import { startInstance, stopInstance, waitProcessing, writeConfig, type Instance } from './harness/instance.js';
import { compare, referenceAlerts } from './harness/reference.js';
import { generateStream, writeDetectors } from './harness/stream.js';

const EVENTS = 60_000;
const PARTITIONS = 6;

describe('Kafka: rebalance (instances join and leave while the stream flows)', { timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'aw-kafka-rebalance-'));
  const instances: Instance[] = [];
  after(() => {
    for (const i of instances) if (i.running()) i.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('three joins and two leaves mid-stream: alerts equal the reference, none delivered twice', async (t) => {
    const { brokers } = await kafkaForTests();
    const kafka = testKafka(brokers);
    const topic = uniqueTopic('rebalance-input');
    const group = uniqueGroup('rebalance');
    const detectors = writeDetectors(dir);
    await createTopic(kafka, topic, PARTITIONS);
    const config = writeConfig(dir, 'rebalance', { brokers, groupId: group, topics: [topic], keyedBy: 'callerId', detectors });
    const start = (name: string): Instance => {
      const i = startInstance(name, config);
      instances.push(i);
      return i;
    };
    const delivered = (): number => instances.reduce((n, i) => n + i.delivered.length, 0);
    const producer = kafka.producer();
    await producer.connect();
    try {
      const events = generateStream(EVENTS, 31);
      const third = EVENTS / 3;
      const phase = (k: number) => produceInBackground(producer, topic, PARTITIONS, events.slice(k * third, (k + 1) * third), 'keyed', 3_000);
      const a = start('a');
      await waitProcessing(a, 120_000);
      // Phase 1: a alone, then b and c join while it flows.
      const p1 = phase(0);
      await waitUntil('alerts from a', () => (delivered() >= 20 ? true : p1.produced() === third ? true : undefined), 180_000);
      const b = start('b');
      const c = start('c');
      await Promise.all([waitProcessing(b, 120_000), waitProcessing(c, 120_000)]);
      await p1.done;
      // Phase 2: a leaves while it flows. Phase 3: b leaves while it flows.
      const p2 = phase(1);
      assert.equal((await stopInstance(a)).code, 0, a.stderr().slice(-3000));
      await p2.done;
      const p3 = phase(2);
      assert.equal((await stopInstance(b)).code, 0, b.stderr().slice(-3000));
      await p3.done;
      await waitCaughtUp(kafka, group, topic, 300_000);
      assert.equal((await stopInstance(c)).code, 0, c.stderr().slice(-3000));

      const reference = await referenceAlerts(join(dir, 'ref'), await readTopic(kafka, topic), detectors, false);
      const all = instances.flatMap((i) => i.delivered);
      const cmp = compare(all, reference);
      t.diagnostic(`delivered per instance: ${instances.map((i) => `${i.name} ${i.delivered.length}`).join(', ')}; reference ${cmp.total}`);
      assert.deepEqual(cmp.differences, []);
      assert.deepEqual(cmp.conflicting, []);
      assert.equal(cmp.repeats, 0, 'graceful rebalances never deliver twice');
      assert.ok(instances.filter((i) => i.delivered.length > 0).length >= 2, 'partitions moved between instances');
    } finally {
      await producer.disconnect();
    }
  });
});
