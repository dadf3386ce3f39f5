// Tests 1 and 2 of the Kafka issue, on one generated stream of 100,000 messages written to a
// 6-partition topic with random partitioning (so auditwatch re-keys it by callerId):
//   1. one `auditwatch run` instance: its alerts equal `auditwatch replay` over each partition
//      of the topic detection reads (`<group>-by-caller`), read back in partition order;
//   2. three instances in one group: the same equality, every alert delivered exactly once.
// Both groups consume the same input topic at the same time, each with its own internal topics.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDeadLetter } from '../../../src/sources/dead-letter.js';
import { kafkaForTests, uniqueGroup, uniqueTopic } from '../../services/global.js';
import { createTopic, produceStream, readTopic, testKafka, waitCaughtUp, type KafkaJs } from './harness/cluster.js';
import { startInstance, stopInstance, waitProcessing, writeConfig, type Instance } from './harness/instance.js';
import { compare, referenceAlerts } from './harness/reference.js';
import { generateStream, TEST_MAX_BYTES, writeDetectors } from './harness/stream.js';

const EVENTS = 100_000;
const PARTITIONS = 6;

describe('Kafka: replay equivalence and scale-out (100,000 events, 6 partitions, re-keyed)', { timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'aw-kafka-eq-'));
  const topic = uniqueTopic('eq-input');
  const single = uniqueGroup('eq-single');
  const scaled = uniqueGroup('eq-scaled');
  const stream = generateStream(EVENTS, 11);
  const malformed = stream.filter((e) => e.callerId === undefined).length;
  let kafka: KafkaJs;
  let brokers: string[];
  let detectors: string;
  const instances: Instance[] = [];

  before(async () => {
    brokers = (await kafkaForTests()).brokers;
    kafka = testKafka(brokers);
    detectors = writeDetectors(dir);
    await createTopic(kafka, topic, PARTITIONS);
    const producer = kafka.producer();
    await producer.connect();
    try {
      await produceStream(producer, topic, PARTITIONS, stream, 'random');
    } finally {
      await producer.disconnect();
    }
    const config = (name: string, groupId: string): string => writeConfig(dir, name, { brokers, groupId, topics: [topic], keyedBy: 'none', detectors });
    instances.push(startInstance('single', config('single', single)));
    for (const n of ['scaled-a', 'scaled-b', 'scaled-c']) instances.push(startInstance(n, config(n, scaled)));
    await Promise.all(instances.map((i) => waitProcessing(i, 120_000)));
    for (const g of [single, scaled]) {
      await waitCaughtUp(kafka, `${g}-rekey`, topic, 300_000);
      await waitCaughtUp(kafka, g, `${g}-by-caller`, 300_000);
    }
    for (const i of instances) {
      const { code } = await stopInstance(i);
      assert.equal(code, 0, `${i.name} should exit 0 after SIGTERM:\n${i.stderr().slice(-3000)}`);
    }
  });

  after(() => {
    for (const i of instances) if (i.running()) i.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('1. one instance: the alerts equal replay over each partition of the detection topic', async () => {
    const records = await readTopic(kafka, `${single}-by-caller`);
    assert.equal(records.size, PARTITIONS, 'the re-key topic is created with the input partition count');
    const reference = await referenceAlerts(join(dir, 'single'), records, detectors, true);
    const expected = [...reference.values()].reduce((n, l) => n + l.length, 0);
    assert.ok(expected >= 300, `the stream should make hundreds of transitions (got ${expected})`);
    const delivered = instances[0]?.delivered ?? [];
    const c = compare(delivered, reference);
    assert.deepEqual(c.differences, []);
    assert.deepEqual(c.conflicting, []);
    assert.equal(c.repeats, 0, 'nothing delivered twice');
    assert.equal(c.total, expected);
  });

  it('1. every malformed message is dead-lettered once, with its reason, position and bytes up to input.maxBytes', async () => {
    const dlq = await readTopic(kafka, `${single}-dlq`);
    const letters = [...dlq.values()].flat().map((r) => parseDeadLetter({ offset: r.offset, key: null, value: r.value, headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, Buffer.from(v)])), timestamp: 0 }));
    assert.equal(letters.length, malformed);
    const reasons = new Map<string, number>();
    for (const l of letters) {
      assert.ok(l !== undefined, 'a dead letter carries the documented headers');
      assert.equal(l.source.topic, topic);
      assert.ok(l.value.length <= TEST_MAX_BYTES);
      if (l.reason === 'too-large') assert.ok(l.truncated && l.originalBytes > TEST_MAX_BYTES);
      reasons.set(l.reason, (reasons.get(l.reason) ?? 0) + 1);
    }
    assert.deepEqual([...reasons.keys()].sort(), ['bad-field:outcome', 'bad-timestamp', 'missing-field:tool', 'not-json', 'too-large']);
    assert.equal(new Set(letters.map((l) => `${l?.source.partition}/${l?.source.offset}`)).size, malformed, 'each source position once');
  });

  it('2. three instances in one group: same equality, every alert delivered exactly once', async () => {
    const scaledInstances = instances.slice(1);
    const delivered = scaledInstances.flatMap((i) => i.delivered);
    const busy = scaledInstances.filter((i) => i.delivered.length > 0).length;
    assert.ok(busy >= 2, `the partitions should be spread over the instances (${scaledInstances.map((i) => `${i.name}: ${i.delivered.length}`).join(', ')})`);
    const records = await readTopic(kafka, `${scaled}-by-caller`);
    const reference = await referenceAlerts(join(dir, 'scaled'), records, detectors, true);
    const c = compare(delivered, reference);
    assert.deepEqual(c.differences, []);
    assert.deepEqual(c.conflicting, []);
    assert.equal(c.repeats, 0, 'every alert delivered exactly once');
    assert.equal(delivered.length, [...reference.values()].reduce((n, l) => n + l.length, 0));
  });
});
