// In-process delivery set-up for the integration tests: the real Alerting (routes, pipeline,
// outbox, sinks) on an injected clock, talking HTTP to the local contract fakes.
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Alerting } from '../../../src/app/alerting.js';
import type { Logger } from '../../../src/app/delivery-log.js';
import { loadDetectors } from '../../../src/config/detectors.js';
import { runtimeConfigSchema } from '../../../src/config/runtime.js';
import type { OutboxStore } from '../../../src/outbox/store.js';
import { PagerDutyFake } from '../../fakes/pagerduty.js';
import { SlackFake } from '../../fakes/slack.js';
import { FakeClock } from '../../outbox/fake-clock.js';
import { tempDir } from '../../helpers/tmp.js';

export const ROUTING_KEY = 'ROUTINGkey0123456789abcdefghijkl';

export interface Harness {
  clock: FakeClock;
  slack: SlackFake;
  pd: PagerDutyFake;
  alerting: Alerting;
  logs: string[];
  stdout: PassThrough;
  dir: string;
  /** Advances fake time by `ms`, letting every delivery the timers start finish on the way. */
  step(ms: number): Promise<void>;
  /** Steps until `done()` or `limitMs` of fake time. */
  until(done: () => boolean, limitMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly clock?: FakeClock;
  readonly slack?: SlackFake;
  readonly pd?: PagerDutyFake;
  readonly dir?: string;
  readonly store?: OutboxStore;
  /** Extra `alerting` settings (merged over sinks and outbox). */
  readonly alerting?: Record<string, unknown>;
}

export async function harness(o: HarnessOptions = {}): Promise<Harness> {
  const clock = o.clock ?? new FakeClock();
  const slack = o.slack ?? (await SlackFake.start({ now: () => clock.now() }));
  const pd = o.pd ?? (await PagerDutyFake.start({ now: () => clock.now(), routingKeys: [ROUTING_KEY] }));
  const dir = o.dir ?? tempDir().dir;
  const config = runtimeConfigSchema.parse({
    alerting: {
      sinks: {
        slack: { kind: 'slack', timeout: '2s' },
        pagerduty: { kind: 'pagerduty', endpoint: pd.enqueueUrl, timeout: '2s' },
      },
      outbox: { path: join(dir, 'outbox.jsonl'), fsync: false },
      ...(o.alerting ?? {}),
    },
  });
  const logs: string[] = [];
  const log: Logger = { log: (level, message) => logs.push(`${level}: ${message}`) };
  const stdout = new PassThrough();
  const alerting = await Alerting.start({
    config,
    env: { SLACK_WEBHOOK_URL: slack.webhookUrl, PAGERDUTY_ROUTING_KEY: ROUTING_KEY },
    defs: loadDetectors('detectors'),
    stdout,
    stderr: new PassThrough(),
    color: false,
    clock,
    log,
    random: () => 0.5,
    ...(o.store === undefined ? {} : { store: o.store }),
  });
  const idle = () => alerting.outbox.idle();
  const step = async (ms: number): Promise<void> => {
    const target = clock.now() + ms;
    for (;;) {
      await idle();
      const next = clock.nextAt();
      if (next === undefined || next > target) break;
      clock.advanceTo(next);
    }
    clock.advanceTo(target);
    await idle();
  };
  const until = async (done: () => boolean, limitMs: number): Promise<void> => {
    const end = clock.now() + limitMs;
    for (;;) {
      await idle();
      if (done()) return;
      const next = clock.nextAt();
      if (next === undefined || next > end) throw new Error(`not reached within ${limitMs} ms of fake time; slack: ${slack.summary()}; pagerduty: ${pd.summary()}; log: ${logs.join(' | ')}`);
      clock.advanceTo(next);
    }
  };
  return {
    clock,
    slack,
    pd,
    alerting,
    logs,
    stdout,
    dir,
    step,
    until,
    async close() {
      await alerting.close();
      if (o.slack === undefined) await slack.close();
      if (o.pd === undefined) await pd.close();
    },
  };
}
