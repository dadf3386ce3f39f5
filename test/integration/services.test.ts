// Smoke test of the real services the integration suites run against: the shared Kafka broker and
// Elasticsearch node (or private ones when this file runs alone), and the broker restart support.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@elastic/elasticsearch';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import {
  elasticsearchForTests,
  kafkaForTests,
  requestedKafkaVersion,
  uniqueGroup,
  uniqueIndex,
  uniqueTopic,
  waitUntil,
} from '../services/global.js';
import { startKafka } from '../services/kafka.js';

function client(brokers: string[], clientId: string): Kafka {
  // kafkajs logs one "group coordinator is not available" error while the broker creates its offsets
  // topic on the first group join; failures surface as assertion errors instead.
  return new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING });
}

/** Consumes `topic` from the beginning with a new group until `expected` distinct values arrived. */
async function consumeAll(kafka: Kafka, topic: string, expected: number, timeoutMs: number): Promise<{ values: Set<string>; partitions: Set<number> }> {
  const values = new Set<string>();
  const partitions = new Set<number>();
  const consumer: Consumer = kafka.consumer({ groupId: uniqueGroup('smoke') });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        partitions.add(partition);
        values.add(message.value?.toString('utf8') ?? '');
      },
    });
    await waitUntil(`${expected} messages from ${topic} (have ${values.size})`, () => (values.size >= expected ? true : undefined), timeoutMs);
  } finally {
    await consumer.disconnect();
  }
  return { values, partitions };
}

async function produce(producer: Producer, topic: string, from: number, count: number): Promise<void> {
  const messages = Array.from({ length: count }, (_, k) => ({ key: `key-${from + k}`, value: `message-${from + k}` }));
  await producer.send({ topic, messages });
}

test('Kafka: a 3-partition topic takes 1,000 messages and a consumer group reads them all back', { timeout: 180_000 }, async () => {
  const { brokers, version } = await kafkaForTests();
  const kafka = client(brokers, 'services-smoke');
  const topic = uniqueTopic('smoke');
  const admin = kafka.admin();
  const producer = kafka.producer();
  try {
    await admin.connect();
    assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true }), true);
    const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    assert.equal(meta?.partitions.length, 3, `topic ${topic} on Kafka ${version} should have 3 partitions`);

    await producer.connect();
    for (let batch = 0; batch < 4; batch += 1) await produce(producer, topic, batch * 250, 250);

    const { values, partitions } = await consumeAll(kafka, topic, 1000, 60_000);
    assert.equal(values.size, 1000);
    for (let i = 0; i < 1000; i += 1) assert.ok(values.has(`message-${i}`), `message-${i} missing`);
    assert.deepEqual([...partitions].sort(), [0, 1, 2]);
  } finally {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
});

test('Elasticsearch: documents indexed with refresh=true are found by a terms aggregation', { timeout: 240_000 }, async () => {
  const { url } = await elasticsearchForTests();
  const es = new Client({ node: url });
  const index = uniqueIndex('smoke');
  try {
    await es.indices.create({ index, mappings: { properties: { detector: { type: 'keyword' }, '@timestamp': { type: 'date' } } } });
    const docs = [
      { detector: 'secret-in-args', '@timestamp': '2025-01-01T00:00:00Z' },
      { detector: 'secret-in-args', '@timestamp': '2025-01-01T00:00:01Z' },
      { detector: 'tool-burst', '@timestamp': '2025-01-01T00:00:02Z' },
    ];
    for (const doc of docs) await es.index({ index, document: doc, refresh: true });

    const res = await es.search({
      index,
      size: 0,
      query: { range: { '@timestamp': { gte: '2025-01-01T00:00:00Z' } } },
      aggs: { by_detector: { terms: { field: 'detector' } } },
    });
    const agg = res.aggregations?.by_detector as { buckets?: { key: string; doc_count: number }[] } | undefined;
    const buckets = (agg?.buckets ?? []).map((b) => ({ key: b.key, doc_count: b.doc_count }));
    assert.deepEqual(buckets, [
      { key: 'secret-in-args', doc_count: 2 },
      { key: 'tool-burst', doc_count: 1 },
    ]);
  } finally {
    await es.indices.delete({ index }).catch(() => undefined);
    await es.close();
  }
});

test('Kafka: a private broker paused, crashed and resumed keeps its ports, topics and messages', { timeout: 300_000 }, async () => {
  const broker = await startKafka({ version: requestedKafkaVersion() });
  const kafka = client(broker.brokers, 'services-restart');
  const topic = uniqueTopic('restart');
  const producer = kafka.producer();
  try {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
    await admin.disconnect();
    await producer.connect();
    await produce(producer, topic, 0, 100);

    const before = [...broker.brokers];
    await broker.pause();
    assert.equal(broker.running(), false);
    await broker.resume();
    assert.deepEqual(broker.brokers, before, 'resume() must keep the same address');
    // The producer connected before the restart reconnects by itself.
    await produce(producer, topic, 100, 100);

    await broker.crash();
    assert.equal(broker.running(), false);
    await broker.resume();
    await produce(producer, topic, 200, 100);

    const { values } = await consumeAll(kafka, topic, 300, 60_000);
    assert.equal(values.size, 300);
  } finally {
    await producer.disconnect().catch(() => undefined);
    await broker.stop();
  }
});
