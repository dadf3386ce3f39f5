// Test 5 (poison messages): records that break naive consumers — no value, invalid UTF-8, binary
// garbage, 3 MB, nested 100,000 deep, a field far over input.maxBytes — sit between valid events.
// Each one is dead-lettered with its reason and position, and the partition keeps going: the
// alerts of the valid events around them equal the reference.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDeadLetter } from '../../../src/sources/dead-letter.js';
import { kafkaForTests, uniqueGroup, uniqueTopic } from '../../services/global.js';
import { readTopic, testKafka, waitCaughtUp, withAdmin } from './harness/cluster.js';
import { startInstance, stopInstance, waitProcessing, writeConfig, type Instance } from './harness/instance.js';
import { compare, referenceAlerts } from './harness/reference.js';
import { TEST_MAX_BYTES, writeDetectors } from './harness/stream.js';

const T0 = Date.UTC(2026, 2, 5, 9, 0, 0);
const event = (i: number, callerId: string, outcome: string): string => JSON.stringify({ timestamp: new Date(T0 + i * 1000).toISOString(), callerId, tool: 'search_docs', outcome });

describe('Kafka: poison messages', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'aw-kafka-poison-'));
  let instance: Instance | undefined;
  after(() => {
    if (instance?.running()) instance.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('are dead-lettered with reason and position; the partition keeps alerting', async () => {
    const { brokers } = await kafkaForTests();
    const kafka = testKafka(brokers);
    const topic = uniqueTopic('poison');
    const group = uniqueGroup('poison');
    await withAdmin(kafka, (a) => a.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'max.message.bytes', value: String(8 * 1024 * 1024) }] }] }));
    const poison: { value: Buffer | null; reason: string }[] = [
      { value: null, reason: 'not-json' },
      { value: Buffer.from([0xff, 0xfe, 0x7b, 0x22, 0xc3, 0x28, 0x7d]), reason: 'not-json' },
      // Garbage without newlines (the reference replays the partition as lines); under the limit
      // even once its invalid bytes are decoded to U+FFFD.
      { value: Buffer.from(randomBytes(600).map((b) => (b === 0x0a ? 0x20 : b))), reason: 'not-json' },
      { value: Buffer.alloc(3 * 1024 * 1024, 0x5b), reason: 'too-large' },
      { value: Buffer.from('['.repeat(1100) + ']'.repeat(1100)), reason: 'too-large' },
      { value: Buffer.from('['.repeat(600) + ']'.repeat(600)), reason: 'too-deep' },
      { value: Buffer.from(JSON.stringify({ callerId: 'c', tool: 't', outcome: 'success', timestamp: new Date(T0).toISOString(), pad: 'x'.repeat(50_000) })), reason: 'too-large' },
    ];
    const messages: { key: string; value: Buffer | string | null }[] = [];
    let i = 0;
    poison.forEach((p, segment) => {
      // Before each poison message, a burst of its own caller that fires (and later resolves) an alert.
      for (let k = 0; k < 9; k++) messages.push({ key: 'k', value: event(i++, `caller-${segment}`, 'rate_limited') });
      messages.push({ key: 'k', value: p.value });
    });
    for (let k = 0; k < 200; k++) messages.push({ key: 'k', value: event(i + 120 + k, 'quiet', 'success') });
    const producer = kafka.producer();
    await producer.connect();
    for (const m of messages) await producer.send({ topic, acks: -1, messages: [{ partition: 0, key: m.key, value: m.value }] });
    await producer.disconnect();

    const detectors = writeDetectors(dir);
    instance = startInstance('poison', writeConfig(dir, 'poison', { brokers, groupId: group, topics: [topic], keyedBy: 'callerId', detectors }));
    await waitProcessing(instance, 120_000);
    await waitCaughtUp(kafka, group, topic, 120_000);
    assert.equal((await stopInstance(instance)).code, 0, instance.stderr().slice(-3000));

    const letters = [...(await readTopic(kafka, `${group}-dlq`)).values()].flat().map((r) => parseDeadLetter({ offset: r.offset, key: null, value: r.value, headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, Buffer.from(v)])), timestamp: 0 }));
    assert.equal(letters.length, poison.length);
    letters.sort((a, b) => (a?.source.offset ?? 0) - (b?.source.offset ?? 0));
    poison.forEach((p, k) => {
      const l = letters[k];
      assert.ok(l !== undefined);
      assert.equal(l.reason, p.reason, `poison #${k}`);
      assert.equal(l.source.topic, topic);
      assert.equal(l.source.partition, 0);
      assert.equal(l.source.offset, k * 10 + 9);
      assert.equal(l.originalBytes, p.value?.length ?? 0);
      assert.equal(l.truncated, (p.value?.length ?? 0) > TEST_MAX_BYTES);
      assert.deepEqual(l.value, (p.value ?? Buffer.alloc(0)).subarray(0, TEST_MAX_BYTES));
    });

    const reference = await referenceAlerts(join(dir, 'ref'), await readTopic(kafka, topic), detectors, false);
    const c = compare(instance.delivered, reference);
    assert.deepEqual(c.differences, []);
    assert.ok(c.total >= 2 * poison.length, `alerts on both sides of every poison message (${c.total})`);
    assert.equal(c.repeats, 0);
  });
});
