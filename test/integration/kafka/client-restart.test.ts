// kafkajs gives up on a consumer after an error it calls non-retriable (KafkaJSGroupCoordinatorNotFound
// while a restarted broker loads its offsets is the one seen in practice) and never restarts it.
// The adapter (sources/kafka.ts) must start a new consumer then, and hand the listener a fresh
// assignment; an error retrying cannot fix goes to listener.failed instead. Real broker: the
// error is thrown from inside a batch, where kafkajs treats it exactly as one of its own.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { isAuditwatchError } from '../../../src/errors.js';
import { createKafkaClient, KafkaClient } from '../../../src/sources/kafka.js';
import type { BatchControl, GroupListener, SourceBatch, SourceRecord, TopicPartition } from '../../../src/sources/source.js';
import { kafkaForTests, uniqueGroup, uniqueTopic, waitUntil } from '../../services/global.js';
import { createTopic, testKafka } from './harness/cluster.js';

const { KafkaJSNonRetriableError } = kafkajs;

/** Resumes what it is assigned, records what reaches it, and throws `failure` from the first batch. */
class Listener implements GroupListener {
  readonly assignments: (readonly TopicPartition[])[] = [];
  readonly offsets = new Set<number>();
  readonly states: string[] = [];
  readonly failures: Error[] = [];
  private thrown = false;
  resume: (tps: readonly TopicPartition[]) => void = () => undefined;
  /** Called while the consumer is down (kafkajs has no group then). */
  whileDown: () => void = () => undefined;
  readonly downErrors: unknown[] = [];

  constructor(private readonly failure: () => Error) {}

  assigned(tps: readonly TopicPartition[]): void {
    this.assignments.push(tps);
    this.resume(tps);
  }
  rebalancing(): void {}
  connection(state: 'up' | 'down', detail: string): void {
    this.states.push(`${state}: ${detail}`);
    if (state === 'down') {
      try {
        this.whileDown();
      } catch (err) {
        this.downErrors.push(err);
      }
    }
  }
  failed(err: Error): void {
    this.failures.push(err);
  }
  async batch(b: SourceBatch, _control: BatchControl): Promise<boolean> {
    if (!this.thrown) {
      this.thrown = true;
      throw this.failure();
    }
    for (const r of b.records) this.offsets.add(r.offset);
    return true;
  }
}

describe('Kafka client: a consumer kafkajs gives up on', { timeout: 180_000 }, () => {
  const stops: (() => Promise<void>)[] = [];
  after(async () => {
    for (const stop of stops) await stop().catch(() => undefined);
  });

  async function topicOfFive(brokers: string[]): Promise<string> {
    const topic = uniqueTopic('client-restart');
    const kafka = testKafka(brokers);
    await createTopic(kafka, topic, 1);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 5 }, (_, i) => ({ value: `m${i}` })) });
    await producer.disconnect();
    return topic;
  }

  async function setup(failure: () => Error): Promise<Listener> {
    const { brokers } = await kafkaForTests();
    const topic = await topicOfFive(brokers);
    const client = createKafkaClient({ brokers, clientId: 'client-restart-test' }, () => undefined);
    const consumer = client.consumer({ groupId: uniqueGroup('client-restart'), topics: [topic], fromBeginning: true, sessionTimeoutMs: 10_000 });
    stops.push(async () => {
      await consumer.stop();
      await client.close();
    });
    const listener = new Listener(failure);
    listener.resume = (tps) => consumer.resume(tps);
    // What the detection stage may do meanwhile (an assignment being restored, say).
    listener.whileDown = () => {
      const tp = { topic, partition: 0 };
      consumer.pause([tp]);
      consumer.seek(tp, 0);
      consumer.resume([tp]);
    };
    await consumer.run(listener);
    return listener;
  }

  it('is replaced by a new consumer, which is assigned the partitions again and consumes from where the group was', async () => {
    const l = await setup(() => new KafkaJSNonRetriableError('injected: a failure kafkajs does not restart after'));
    await waitUntil('all five records after the restart', () => (l.offsets.size === 5 ? true : undefined), 60_000);
    assert.deepEqual([...l.offsets].sort(), [0, 1, 2, 3, 4]);
    assert.equal(l.assignments.length, 2, 'assigned once, and again after the restart');
    assert.ok(l.states.some((s) => /^down: .*starting a new consumer in 1000 ms/.test(s)), l.states.join('\n'));
    assert.match(l.states.at(-1) ?? '', /^up: joined group/);
    assert.deepEqual(l.failures, []);
    assert.deepEqual(l.downErrors, [], 'seek, pause and resume are harmless while the consumer is down');
  });

  it('reports an error retrying cannot fix as failed, and does not start another consumer', async () => {
    const l = await setup(() => Object.assign(new KafkaJSNonRetriableError('injected: not authorized'), { type: 'TOPIC_AUTHORIZATION_FAILED' }));
    await waitUntil('the failure reported', () => (l.failures.length > 0 ? true : undefined), 60_000);
    assert.match(l.failures[0]?.message ?? '', /consumer group .*not authorized/);
    assert.equal(l.assignments.length, 1);
    assert.ok(!l.states.some((s) => s.includes('starting a new consumer')), l.states.join('\n'));
  });

  it('a range read whose consumer kafkajs gave up on fails as retriable, and the next read gets a new reader', async () => {
    const { brokers } = await kafkaForTests();
    const topic = await topicOfFive(brokers);
    const client = new KafkaClient({ brokers, clientId: 'client-restart-reader' }, () => undefined);
    stops.push(() => client.close());
    // The first consumer the reader starts fails its first batch the way kafkajs does not restart after.
    const make = client.kafka.consumer.bind(client.kafka);
    let injected = false;
    client.kafka.consumer = (config) => {
      const c = make(config);
      if (!injected) {
        injected = true;
        const run = c.run.bind(c);
        c.run = (o) =>
          run({
            ...o,
            eachBatch: async () => {
              throw new KafkaJSNonRetriableError('injected: the reader consumer fails');
            },
          });
      }
      return c;
    };
    const got: SourceRecord[] = [];
    const first = await client.reader.read({ topic, partition: 0 }, 0, 5, (rs) => got.push(...rs)).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(isAuditwatchError(first) && first.retriable && /reading .*injected/.test(first.message), String(first));
    await client.reader.read({ topic, partition: 0 }, 0, 5, (rs) => got.push(...rs));
    assert.deepEqual(
      got.map((r) => r.value?.toString()),
      ['m0', 'm1', 'm2', 'm3', 'm4'],
    );
  });
});
