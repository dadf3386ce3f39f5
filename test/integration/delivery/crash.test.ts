// A crash after the HTTP call and before the outbox recorded the answer. The store below
// "dies" at that exact point (the 'ok' record is never written and nothing after it either),
// then a new process life opens the same outbox file. PagerDuty deduplicates the resend by
// dedup_key; Slack, which has no idempotency key, gets it again marked as a possible repeat.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FileStore } from '../../../src/outbox/file-store.js';
import type { OutboxRecord } from '../../../src/outbox/records.js';
import type { LoadResult, OutboxStore } from '../../../src/outbox/store.js';
import { fired } from '../../alerts/helpers.js';
import { PagerDutyFake } from '../../fakes/pagerduty.js';
import { SlackFake } from '../../fakes/slack.js';
import { FakeClock } from '../../outbox/fake-clock.js';
import { tempDir } from '../../helpers/tmp.js';
import { harness, ROUTING_KEY } from './harness.js';

/** Writes through to a FileStore until the answer of `sink` is to be recorded; then hangs forever, writing nothing more. */
class DiesBeforeRecordingAnswer implements OutboxStore {
  dead = false;
  constructor(
    private readonly inner: FileStore,
    private readonly sink: string,
  ) {}
  get appendedSinceRewrite(): number {
    return this.inner.appendedSinceRewrite;
  }
  get description(): string {
    return this.inner.description;
  }
  load(): Promise<LoadResult> {
    return this.inner.load();
  }
  append(records: readonly OutboxRecord[]): Promise<void> {
    if (this.dead || records.some((r) => r.t === 'ok' && r.sink === this.sink)) {
      this.dead = true;
      return new Promise<void>(() => undefined);
    }
    return this.inner.append(records);
  }
  rewrite(): Promise<void> {
    return new Promise<void>(() => undefined);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const critical = { detector: 'denial-spike', severity: 'critical' as const, key: { callerId: 'agent-9' }, count: 31, threshold: 30 };

async function crashThenRestart(sink: 'slack' | 'pagerduty') {
  const clock = new FakeClock();
  const slack = await SlackFake.start({ now: () => clock.now() });
  const pd = await PagerDutyFake.start({ now: () => clock.now(), routingKeys: [ROUTING_KEY] });
  const dir = tempDir().dir;
  const dying = new DiesBeforeRecordingAnswer(new FileStore(join(dir, 'outbox.jsonl'), { fsync: false }), sink);
  const first = await harness({ clock, slack, pd, dir, store: dying });
  const t = clock.now();
  const transition = fired(t - 1000, critical);
  await first.alerting.accept([transition]);
  // The receiver gets the request (Slack after groupWait); the answer comes back and the
  // process "dies" as it goes to record it.
  await pd.waitForRequests(1);
  if (sink === 'slack') {
    clock.advance(10_000);
    await slack.waitForRequests(1);
  }
  for (let i = 0; i < 10_000 && !dying.dead; i++) await new Promise((r) => setImmediate(r));
  assert.ok(dying.dead, 'the crash point was reached');
  const second = await harness({ clock, slack, pd, dir });
  return { clock, slack, pd, second, transition, report: second.alerting.openReport };
}

describe('crash mid-delivery', () => {
  it('PagerDuty: the resend lands on the same incident (dedup_key), nothing is lost', async () => {
    const { pd, slack, second, transition, report } = await crashThenRestart('pagerduty');
    try {
      assert.equal(report.possibleRepeats, 1);
      await second.until(() => second.alerting.outbox.pending === 0, 120_000);
      assert.equal(pd.incidents().length, 1, 'one incident');
      assert.equal(pd.incidents()[0]?.triggers, 2, 'the trigger arrived twice');
      assert.equal(pd.incidents()[0]?.dedupedTriggers, 1, 'and PagerDuty deduplicated it');
      const resent = pd.accepted()[1]?.json as { payload: { custom_details: { possibleRepeat?: string } } };
      assert.match(resent.payload.custom_details.possibleRepeat ?? '', /Possible repeat/);
      // The same transitions again (a replay from the last committed offset) send nothing new.
      const before = pd.requests().length;
      await second.alerting.accept([transition]);
      await second.step(60_000);
      assert.equal(pd.requests().length, before);
      assert.ok(slack.messages().length >= 1);
    } finally {
      await second.close();
      await slack.close();
      await pd.close();
    }
  });

  it('Slack: the message is sent again after the restart, marked as a possible repeat', async () => {
    const { pd, slack, second, transition, report } = await crashThenRestart('slack');
    try {
      assert.equal(report.possibleRepeats, 1);
      assert.equal(slack.messages().length, 1, 'Slack had the message when the process died');
      await second.until(() => second.alerting.outbox.pending === 0, 120_000);
      assert.equal(slack.messages().length, 2);
      const [original, resent] = slack.messages();
      assert.doesNotMatch(original?.text ?? '', /possible repeat/);
      assert.match(resent?.text ?? '', /^\(possible repeat\)/);
      assert.match(JSON.stringify(resent?.body), /Possible repeat: auditwatch may already have sent this message/);
      assert.equal(pd.incidents().length, 1, 'PagerDuty was recorded before the crash: not resent');
      assert.equal(pd.incidents()[0]?.triggers, 1);
      await second.alerting.accept([transition]);
      await second.step(5 * 60_000);
      assert.equal(slack.messages().length, 2, 'a replay sends nothing new');
    } finally {
      await second.close();
      await slack.close();
      await pd.close();
    }
  });
});
