// The provisioning drift check in Kafka mode (`auditwatch run` with a kafka and a provision
// section), on the real broker: two instances in one group, one partition each. The job is
// scheduled on both and runs on the owner of partition 0 only; its drift alert goes through
// the same delivery as the detectors' alerts.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { DRIFT_DETECTOR, DRIFT_JOB } from '../../../src/app/drift-job.js';
import { runKafkaFromConfig } from '../../../src/app/kafka/from-config.js';
import type { KafkaRuntime } from '../../../src/app/kafka/runtime.js';
import type { Ops } from '../../../src/app/ops-wiring.js';
import { runtimeConfigSchema } from '../../../src/config/runtime.js';
import { DatadogFake } from '../../fakes/datadog.js';
import { tempDir } from '../../helpers/tmp.js';
import { kafkaForTests, stopPrivateServices, uniqueGroup, uniqueTopic, waitUntil } from '../../services/global.js';
import { createTopic, testKafka } from './harness/cluster.js';

const API_KEY = 'dd-api-key-kafka-drift-0123456789ab';
const APP_KEY = 'dd-app-key-kafka-drift-0123456789abcdef01';

interface Running {
  rt?: KafkaRuntime;
  ops?: Ops;
  out: string;
  armed: string[];
  exit: Promise<number>;
}

describe('Kafka: the provisioning drift check runs on the leader', { timeout: 300_000 }, () => {
  const dir = tempDir('aw-kafka-drift-');
  dir.write('detectors/denial-spike.yaml', 'id: denial-spike\nkind: threshold\nwhere: { outcome: denied }\ngroupBy: [callerId]\nwindow: 1h\nthreshold: 30\nseverity: critical\n');
  let stopAll: (sig: string) => void = () => undefined;
  const stopSignal = new Promise<string>((resolve) => (stopAll = resolve));
  const running: Running[] = [];
  let fake: DatadogFake | undefined;

  after(async () => {
    stopAll('test over');
    await Promise.allSettled(running.map((r) => r.exit));
    await fake?.close();
    await stopPrivateServices();
  });

  it('is scheduled on every instance, checks on the owner of partition 0 only, and alerts through the delivery', async () => {
    const { brokers } = await kafkaForTests();
    fake = await DatadogFake.start({ apiKeys: [API_KEY], appKeys: [APP_KEY] });
    const topic = uniqueTopic('drift');
    await createTopic(testKafka(brokers), topic, 2);
    const config = runtimeConfigSchema.parse({
      detectors: `${dir.dir}/detectors`,
      kafka: { brokers, clientId: 'drift-test', groupId: uniqueGroup('drift'), input: { topics: [topic], keyedBy: 'callerId' }, sessionTimeout: '10s' },
      provision: { datadog: { baseUrl: fake.url }, drift: { schedule: '*/30 * * * *' } },
      ops: { health: { enabled: false } },
    });
    const start = (): Running => {
      const stdout = new PassThrough();
      const r: Running = { out: '', armed: [], exit: Promise.resolve(0) };
      stdout.on('data', (d: Buffer) => (r.out += d.toString()));
      r.exit = runKafkaFromConfig({
        config,
        env: { DD_API_KEY: API_KEY, DD_APP_KEY: APP_KEY },
        stdout,
        stderr: new PassThrough().resume(),
        stopSignal,
        timers: (expression, _fire, o) => {
          r.armed.push(`${o.name} ${expression}`);
          return { stop: () => undefined };
        },
        onStarted: (rt, ops) => {
          r.rt = rt;
          r.ops = ops;
        },
      });
      running.push(r);
      return r;
    };
    const a = start();
    const b = start();
    const owns = (r: Running): number[] => r.rt?.status().partitions.map((p) => p.partition) ?? [];
    await waitUntil('one partition each, both processing', () => (owns(a).length === 1 && owns(b).length === 1 && a.rt?.readiness.ready === true && b.rt?.readiness.ready === true ? true : undefined), 120_000);
    for (const r of [a, b]) assert.ok(r.armed.includes(`${DRIFT_JOB} */30 * * * *`), `armed: ${r.armed.join(', ')}`);
    const [leader, follower] = owns(a)[0] === 0 ? [a, b] : [b, a];

    const tick = async (r: Running): Promise<string> => {
      const job = r.ops?.scheduler.job(DRIFT_JOB);
      assert.ok(job, 'the drift job is scheduled');
      const res = await job.tick();
      assert.notEqual(res.outcome, 'failed', res.error);
      return res.outcome;
    };
    assert.equal(await tick(follower), 'skipped_not_leader');
    assert.equal(fake.requests().length, 0, 'the follower asked Datadog nothing');
    assert.equal(await tick(leader), 'ok');
    assert.ok(fake.requests().length > 0, 'the leader planned against Datadog');
    assert.match((await leader.ops?.metrics.registry.metrics()) ?? '', /auditwatch_provisioning_drift\{target="datadog"\} 1/);
    await waitUntil('the drift alert delivered', () => (leader.out.includes(DRIFT_DETECTOR) ? true : undefined), 30_000);
    assert.ok(!follower.out.includes(DRIFT_DETECTOR));

    stopAll('test over');
    assert.deepEqual(await Promise.all([a.exit, b.exit]), [0, 0]);
  });
});
