// Test 3 of the Kafka issue: an instance is killed with SIGKILL in the middle of the stream and
// started again. Its re-key stage re-sends what it had not committed (dropped by provenance), its
// detection restores the last checkpoint and replays: the alerts still equal the reference, none
// missing, none with a second id; a notification printed but not yet acknowledged when the
// process died is printed again with the same id (a possible repeat, what receivers dedupe on).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaForTests, uniqueGroup, uniqueTopic, waitUntil } from '../../services/global.js';
import { createTopic, produceInBackground, readTopic, testKafka, waitCaughtUp } from './harness/cluster.js';
import { killInstance, startInstance, stopInstance, waitProcessing, writeConfig, type Instance } from './harness/instance.js';
import { compare, referenceAlerts } from './harness/reference.js';
import { generateStream, writeDetectors } from './harness/stream.js';

const EVENTS = 60_000;
const PARTITIONS = 6;

describe('Kafka: crash (SIGKILL mid-stream, restart)', { timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'aw-kafka-crash-'));
  const instances: Instance[] = [];
  after(() => {
    for (const i of instances) if (i.running()) i.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('alerts equal the reference after a SIGKILL and a restart: none missing, none doubled', async (t) => {
    const { brokers } = await kafkaForTests();
    const kafka = testKafka(brokers);
    const topic = uniqueTopic('crash-input');
    const group = uniqueGroup('crash');
    const detectors = writeDetectors(dir);
    await createTopic(kafka, topic, PARTITIONS);
    const config = writeConfig(dir, 'crash', { brokers, groupId: group, topics: [topic], keyedBy: 'none', detectors });
    const producer = kafka.producer();
    await producer.connect();
    try {
      const first = startInstance('first', config);
      instances.push(first);
      await waitProcessing(first, 120_000);
      const events = generateStream(EVENTS, 23);
      const half = EVENTS / 2;
      const firstHalf = produceInBackground(producer, topic, PARTITIONS, events.slice(0, half), 'random', 5_000);
      await waitUntil('first alerts delivered', () => (first.delivered.length >= 40 ? true : undefined), 180_000);
      // Mid-stream however fast the machine: the second half starts flowing, then the kill.
      await firstHalf.done;
      const flow = produceInBackground(producer, topic, PARTITIONS, events.slice(half), 'random', 5_000);
      assert.ok(flow.produced() < half, 'the kill happens while the stream still flows');
      await killInstance(first);
      const killedAt = first.delivered.length;
      const second = startInstance('second', config);
      instances.push(second);
      await flow.done;
      await waitProcessing(second, 120_000);
      await waitCaughtUp(kafka, `${group}-rekey`, topic, 300_000);
      await waitCaughtUp(kafka, group, `${group}-by-caller`, 300_000);
      const { code } = await stopInstance(second);
      assert.equal(code, 0, second.stderr().slice(-3000));

      const reference = await referenceAlerts(join(dir, 'ref'), await readTopic(kafka, `${group}-by-caller`), detectors, true);
      const c = compare([...first.delivered, ...second.delivered], reference);
      assert.deepEqual(c.differences, [], 'none missing, none extra, in order per partition');
      assert.deepEqual(c.conflicting, [], 'an id never stands for two different alerts');
      assert.equal(c.total, [...reference.values()].reduce((n, l) => n + l.length, 0));
      assert.ok(second.delivered.length > 0 && killedAt > 0);
      // Only what was printed but not yet acknowledged at the kill can come again: one batch.
      assert.ok(c.repeats <= 60, `repeats after the crash: ${c.repeats}`);
      const summary = /stopped after [^"\n]*/.exec(second.stderr())?.[0] ?? '';
      t.diagnostic(`${killedAt} alerts before the kill, ${second.delivered.length} after, ${c.repeats} repeated; restarted instance: ${summary}`);
    } finally {
      await producer.disconnect();
    }
  });
});
