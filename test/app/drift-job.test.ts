import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createDriftJob, DRIFT_DETECTOR, scheduleDriftJob, type DriftChange } from '../../src/app/drift-job.js';
import { buildTargets } from '../../src/app/provision-targets.js';
import { loadDetectors } from '../../src/config/detectors.js';
import { runtimeConfigSchema } from '../../src/config/runtime.js';
import type { Transition } from '../../src/engine/transition.js';
import { Metrics } from '../../src/ops/metrics.js';
import { Scheduler, type CronFactory } from '../../src/ops/schedule.js';
import { DatadogFake } from '../fakes/datadog.js';
import { tempDir } from '../helpers/tmp.js';
import { instantRetry, section } from '../provision/helpers.js';

const API_KEY = 'dd-api-key-drift-0123456789abcdef';
const APP_KEY = 'dd-app-key-drift-0123456789abcdef0123';
const dir = tempDir('aw-drift-');
dir.write('detectors/denial-spike.yaml', 'id: denial-spike\nkind: threshold\nwhere: { outcome: denied }\ngroupBy: [callerId]\nwindow: 1h\nthreshold: 30\nseverity: critical\n');
const env = { DD_API_KEY: API_KEY, DD_APP_KEY: APP_KEY };

describe('drift job', () => {
  let fake: DatadogFake;
  let gauges: [string, number][];
  let changes: DriftChange[];
  beforeEach(async () => {
    fake = await DatadogFake.start({ apiKeys: [API_KEY], appKeys: [APP_KEY] });
    gauges = [];
    changes = [];
  });
  afterEach(() => fake.close());

  const job = (apply: boolean) => {
    const s = section({ datadog: { baseUrl: fake.url }, drift: { apply } });
    return createDriftJob({
      schedule: s.drift.schedule,
      apply: s.drift.apply,
      targetNames: ['datadog'],
      targets: () => buildTargets({ names: ['datadog'], section: s, handles: { lookup: () => [], note: undefined }, deps: { env, retry: instantRetry() } }),
      detectors: () => loadDetectors(`${dir.dir}/detectors`),
      sinks: { gauge: (t, n) => gauges.push([t, n]), change: (c) => void changes.push(c) },
    });
  };

  it('runs hourly by default', () => {
    assert.equal(job(false).spec.cron, '0 * * * *');
    assert.equal(job(false).spec.name, 'provision-drift');
  });

  it('reports drift as a gauge and a warning once (not every hour), and leaves it alone by default', async () => {
    const j = job(false);
    const first = await j.runOnce(1000);
    assert.equal(first.drifted.get('datadog'), 1, 'the monitor does not exist yet');
    assert.deepEqual(gauges, [['datadog', 1]]);
    assert.deepEqual(changes.map((c) => c.type), ['fired']);
    assert.ok(changes[0]?.type === 'fired' && changes[0].lines[0]?.startsWith('create datadog/monitor denial-spike'));
    await j.runOnce(2000);
    assert.deepEqual(changes.map((c) => c.type), ['fired'], 'still drifted: no second alert');
    assert.equal(fake.monitors().length, 0, 'apply-on-drift is opt-in');
  });

  it('applies the plan when apply-on-drift is on, shows the diff, and resolves', async () => {
    const j = job(true);
    await j.runOnce(1000);
    assert.equal(fake.monitors().length, 1);
    const m = fake.monitors()[0];
    assert.ok(m);
    m.query = m.query.replace('> 30', '> 99');
    m.options = { ...m.options, thresholds: { critical: 99 } };
    changes.length = 0;
    const drift = await j.runOnce(2000);
    assert.equal(drift.drifted.get('datadog'), 1);
    const fired = changes[0];
    assert.ok(fired?.type === 'fired');
    assert.ok(fired.lines.some((l) => /options\.thresholds\.critical: 99 → 30/.test(l)), fired.lines.join('\n'));
    assert.equal(fired.lines.at(-1), 'applied (provision.drift.apply)');
    assert.deepEqual(changes.map((c) => c.type), ['fired', 'resolved']);
    assert.match(fake.monitors()[0]?.query ?? '', /> 30$/);
    changes.length = 0;
    assert.equal((await j.runOnce(3000)).drifted.get('datadog'), 0);
    assert.deepEqual(changes, []);
  });

  it('reports a failed check instead of stopping the schedule', async () => {
    const j = job(false);
    await fake.close();
    const r = await j.runOnce(1000);
    assert.match(r.error ?? '', /Datadog GET \/api\/v1\/monitor failed/);
    assert.equal(changes[0]?.type, 'failed');
    await assert.rejects(Promise.resolve(j.spec.run({ name: 'provision-drift', now: 1 })), /drift check failed/, 'the scheduler counts the tick as failed');
  });

  it('is added to `auditwatch run`’s scheduler when auditwatch.yaml has a provision section', async () => {
    const armed: string[] = [];
    const timers: CronFactory = (expression, _fire, o) => {
      armed.push(`${o.name} ${expression}`);
      return { stop: () => undefined };
    };
    const logs: string[] = [];
    const logger = { warn: (_o: object, m: string) => void logs.push(m), info: (_o: object, m: string) => void logs.push(m), debug: () => undefined, error: () => undefined };
    const scheduler = new Scheduler({ isLeader: () => true, log: logger, timers });
    const metrics = new Metrics({ processMetrics: false });
    const sent: Transition[] = [];
    const alerting = { accept: async (ts: readonly Transition[]) => void sent.push(...ts) };
    const none = runtimeConfigSchema.parse({});
    assert.equal(scheduleDriftJob({ scheduler, metrics, logger }, alerting, none, env), undefined, 'no provision section: no job');
    const configured = runtimeConfigSchema.parse({ provision: { datadog: { baseUrl: fake.url } } });
    assert.equal(scheduleDriftJob({ scheduler, metrics, logger }, alerting, configured, {}), undefined, 'no keys: no job');
    assert.match(logs.at(-1) ?? '', /drift check not scheduled: provision\.datadog: environment variable DD_API_KEY is not set/);
    const config = runtimeConfigSchema.parse({ detectors: `${dir.dir}/detectors`, provision: { datadog: { baseUrl: fake.url }, drift: { schedule: '*/30 * * * *' } } });
    const counted: string[] = [];
    assert.ok(scheduleDriftJob({ scheduler, metrics, logger, transitions: (ts) => void counted.push(...ts.map((t) => `${t.type} ${t.detector}`)) }, alerting, config, env));
    scheduler.start();
    assert.deepEqual(armed, ['provision-drift */30 * * * *']);
    const tick = await scheduler.job('provision-drift')?.tick();
    assert.equal(tick?.outcome, 'ok', tick?.error);
    assert.match(await metrics.registry.metrics(), /auditwatch_provisioning_drift\{target="datadog"\} 1/);
    assert.deepEqual(sent.map((t) => [t.type, t.detector, t.severity, t.key[0]]), [['fired', DRIFT_DETECTOR, 'warning', 'datadog']]);
    assert.deepEqual(counted, [`fired ${DRIFT_DETECTOR}`], 'counted in alerts_fired_total and the digest like any alert');
    assert.ok(logs.some((l) => l.includes('create datadog/monitor denial-spike')));
    await scheduler.stop();
  });
});
