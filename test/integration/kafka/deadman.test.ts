// The dead-man's switch in Kafka mode, on the real broker: two instances in one group, one
// partition each. The leader (owner of partition 0) runs the switch; it counts arrivals
// topic-wide (the input topic's end offsets), so its own partition going quiet while the other
// partition stays busy is not a silent audit stream. Counting only what the leader read would
// page somebody: the same scenario through instance-local counts does fire, which is why.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { KAFKA_SOURCE, watchKafka } from '../../../src/app/kafka/from-config.js';
import { JsonLinesDeliverer } from '../../../src/app/kafka/deliver.js';
import type { KafkaLog } from '../../../src/app/kafka/log.js';
import { KafkaRuntime } from '../../../src/app/kafka/runtime.js';
import { DEADMAN_JOB, kafkaSnapshot, Ops } from '../../../src/app/ops-wiring.js';
import { loadDetectors } from '../../../src/config/detectors.js';
import { runtimeConfigSchema } from '../../../src/config/runtime.js';
import { resolveKafkaSettings } from '../../../src/config/sections/kafka.js';
import { tempDir } from '../../helpers/tmp.js';
import { kafkaForTests, stopPrivateServices, uniqueGroup, uniqueTopic, waitUntil } from '../../services/global.js';
import { createTopic, testKafka } from './harness/cluster.js';
import { TEST_LATENESS_MS, TEST_MAX_BYTES, writeDetectors } from './harness/stream.js';

const quiet: KafkaLog = { log: () => undefined };
const MINUTE = 60_000;

describe('Kafka: the dead-man switch counts arrivals topic-wide', { timeout: 300_000 }, () => {
  const dir = tempDir('aw-kafka-deadman-');
  const runtimes: KafkaRuntime[] = [];
  const opses: Ops[] = [];

  after(async () => {
    await Promise.allSettled(opses.map((o) => o.stop()));
    await Promise.allSettled(runtimes.map((r) => r.stop()));
    await stopPrivateServices();
  });

  it('the leader, its own partition idle, does not fire while another partition receives events; it fires once the whole topic is silent', async () => {
    const { brokers } = await kafkaForTests();
    const kafka = testKafka(brokers);
    const topic = uniqueTopic('deadman');
    await createTopic(kafka, topic, 2);
    const group = uniqueGroup('deadman');
    const defs = loadDetectors(writeDetectors(dir.dir));
    const start = async (): Promise<KafkaRuntime> => {
      const settings = resolveKafkaSettings({ brokers, clientId: 'deadman-test', groupId: group, input: { topics: [topic], keyedBy: 'callerId' }, sessionTimeout: '10s' }, {});
      const rt = await KafkaRuntime.start({ settings, defs, latenessMs: TEST_LATENESS_MS, maxBytes: TEST_MAX_BYTES, deliverer: new JsonLinesDeliverer(() => undefined), log: quiet });
      runtimes.push(rt);
      return rt;
    };
    const a = await start();
    const b = await start();
    const owns = (rt: KafkaRuntime): number[] => rt.status().partitions.map((p) => p.partition);
    await waitUntil('one partition each, both processing', () => (owns(a).length === 1 && owns(b).length === 1 && a.readiness.ready && b.readiness.ready ? true : undefined), 120_000);
    const [leader, follower] = owns(a)[0] === 0 ? [a, b] : [b, a];
    assert.deepEqual(owns(follower), [1]);

    let clock = Date.UTC(2026, 0, 5, 9, 0, 0);
    const config = runtimeConfigSchema.parse({ ops: { health: { enabled: false }, deadman: { silence: '5m', busyWindow: '1h', busyEvents: 20 } } });
    const opsFor = async (rt: KafkaRuntime, topicWide: boolean): Promise<Ops> => {
      const ops = await Ops.start({
        config,
        env: {},
        stderr: new PassThrough().resume(),
        lifetime: 'stream',
        detectors: [],
        processMetrics: false,
        now: () => clock,
        timers: () => ({ stop: () => undefined }),
        isLeader: () => owns(rt).includes(0),
      });
      opses.push(ops);
      if (topicWide) watchKafka(ops, rt, TEST_LATENESS_MS);
      else ops.watchIngest(KAFKA_SOURCE, kafkaSnapshot(rt.counters));
      return ops;
    };
    const topicWide = await opsFor(leader, true);
    const local = await opsFor(leader, false);
    const onFollower = await opsFor(follower, true);
    const tick = async (ops: Ops): Promise<string> => {
      const job = ops.scheduler.job(DEADMAN_JOB);
      assert.ok(job, 'the dead-man job is scheduled');
      const r = await job.tick();
      assert.notEqual(r.outcome, 'failed', r.error);
      return r.outcome;
    };
    const silent = async (ops: Ops): Promise<boolean> => /auditwatch_source_silent\{source="kafka"\} 1/.test(await ops.metrics.registry.metrics());

    const producer = kafka.producer();
    await producer.connect();
    let n = 0;
    const send = async (partition: number, count: number): Promise<void> => {
      const messages = Array.from({ length: count }, () => {
        const callerId = `agent-${n++ % 50}`;
        return { partition, key: callerId, value: JSON.stringify({ timestamp: new Date(clock).toISOString(), callerId, tool: 'search', outcome: 'success' }) };
      });
      await producer.send({ topic, acks: -1, messages });
    };
    try {
      assert.equal(await tick(onFollower), 'skipped_not_leader', 'only the owner of partition 0 runs the switch');
      assert.equal(await tick(topicWide), 'ok');
      assert.equal(await tick(local), 'ok');

      // Both partitions busy: 40 events each within the hour (more than busyEvents).
      await send(0, 40);
      await send(1, 40);
      await waitUntil('the leader read its partition', () => (leader.counters.records >= 40 ? true : undefined), 60_000);
      clock += MINUTE;
      await tick(topicWide);
      await tick(local);

      // Then only partition 1 (the follower's) receives events, every minute, for 8 minutes.
      for (let m = 0; m < 8; m++) {
        await send(1, 10);
        await waitUntil('the follower read them', () => (follower.counters.records >= 40 + 10 * (m + 1) ? true : undefined), 60_000);
        clock += MINUTE;
        await tick(topicWide);
        await tick(local);
      }
      assert.equal(leader.counters.records, 40, "the leader's own partition stayed idle");
      assert.equal(await silent(topicWide), false, 'topic-wide: events keep arriving, no audit-stream-silent');
      assert.equal(await silent(local), true, 'counting only what the leader read would have fired (the reason for topic-wide counts)');

      // Now nothing arrives anywhere: silent after 5 minutes.
      clock += 4 * MINUTE;
      await tick(topicWide);
      assert.equal(await silent(topicWide), false, '4 minutes of silence is not yet 5');
      clock += 2 * MINUTE;
      await tick(topicWide);
      assert.equal(await silent(topicWide), true, 'the whole topic silent for 5 minutes: fires');

      // An event on the follower's partition resolves it.
      await send(1, 1);
      clock += MINUTE;
      await tick(topicWide);
      assert.equal(await silent(topicWide), false, 'events again: resolved');
    } finally {
      await producer.disconnect();
    }
  });
});
