// A 10-minute Slack outage under steady load, on an injected clock (fake minutes, real HTTP to
// the contract fakes): detection keeps going, PagerDuty keeps paging, and when Slack is back
// every group message reaches it, in order, within Slack's rate. Nothing is lost.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OutboxRecord } from '../../../src/outbox/records.js';
import { fired, resolved, type Tx } from '../../alerts/helpers.js';
import type { Transition } from '../../../src/engine/transition.js';
import { PagerDutyFake } from '../../fakes/pagerduty.js';
import { SlackFake } from '../../fakes/slack.js';
import { FakeClock } from '../../outbox/fake-clock.js';
import { harness, ROUTING_KEY } from './harness.js';

const MIN = 60_000;

describe('Slack outage under load', () => {
  it('loses nothing over a 10-minute outage and catches up within the rate limit', async () => {
    const clock = new FakeClock();
    // Both fakes enforce the vendors' documented rates on the same clock.
    const slack = await SlackFake.start({ now: () => clock.now(), rateLimit: { perSecond: 1, burst: 1 } });
    const pd = await PagerDutyFake.start({ now: () => clock.now(), routingKeys: [ROUTING_KEY], enforceRateLimit: true });
    const h = await harness({ clock, slack, pd });
    try {
      const t0 = clock.now();
      const open: { at: number; tx: Tx }[] = [];
      let pdAtOutage = 0;
      let pdAfterOutage = 0;
      for (let s = 0; s < 15 * 60; s++) {
        if (s === 2 * 60) {
          pdAtOutage = pd.accepted().length;
          await slack.down();
        }
        if (s === 12 * 60) {
          pdAfterOutage = pd.accepted().length;
          await slack.up();
        }
        const now = clock.now();
        const critical = s % 2 === 0;
        const tx: Tx = critical
          ? { detector: 'denial-spike', severity: 'critical' as const, key: { callerId: `agent-${s}` }, count: 31, threshold: 30 }
          : { detector: 'rate-limit-burst', key: { callerId: `bot-${s % 40}`, tool: `tool-${s}` } };
        const batch: Transition[] = [fired(now - 1000, tx)];
        open.push({ at: now - 1000, tx });
        if (open.length > 45) {
          const old = open.shift()!;
          batch.push(resolved(now - 500, old.at, old.tx));
        }
        // Detection never waits for delivery: accept() returns once the outbox has recorded.
        await h.alerting.accept(batch);
        await h.step(1000);
      }
      // 10 minutes, one critical fire every 2 s and as many resolves: about 600 PagerDuty events.
      assert.ok(pdAfterOutage - pdAtOutage >= 550, `PagerDuty kept paging during the Slack outage (${pdAfterOutage - pdAtOutage} events)`);
      const finish = h.alerting.finish(60 * MIN);
      await h.until(() => h.alerting.outbox.pending === 0, 60 * MIN);
      const report = await finish;
      assert.deepEqual(report, { pending: 0, dropped: 0, gaveUp: 0 });

      const stats = h.alerting.outbox.stats();
      const slackStats = stats.get('slack')!;
      assert.equal(slackStats.delivered, slackStats.enqueued);
      assert.ok(slackStats.retries > 0, 'the outage was felt');
      assert.ok(slackStats.retries < 40, `the down sink was probed, not flooded (${slackStats.retries} failed attempts)`);
      assert.equal(slack.rejected().length, 0, `never over Slack's rate: ${slack.rejected().map((r) => r.reason).join('; ')}`);
      assert.equal(pd.rejected().length, 0, `never over PagerDuty's rate: ${pd.rejected().map((r) => r.reason).join('; ')}`);
      assert.equal(pd.stats().dropped, 0, 'no resolve before its trigger');
      assert.equal(pd.incidents().length, 450);

      // Every Slack notification the outbox recorded arrived, in the order it was produced per group.
      const records = readFileSync(join(h.dir, 'outbox.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as OutboxRecord);
      const produced = records.flatMap((r) => (r.t === 'enq' && r.sinks.includes('slack') ? [r.n] : []));
      const arrived = slack.messages().map((m) => /auditwatch · route [a-z-]+ · (g-[0-9a-f]{32})/.exec(JSON.stringify(m.body))?.[1]);
      assert.deepEqual([...arrived].sort(), produced.map((n) => n.id).sort(), 'each message exactly once');
      for (const orderKey of new Set(produced.map((n) => n.orderKey))) {
        const want = produced.filter((n) => n.orderKey === orderKey).map((n) => n.id);
        assert.deepEqual(arrived.filter((id) => want.includes(id ?? '')), want, `order of group ${orderKey}`);
      }
      assert.ok(clock.now() - t0 < 40 * MIN, 'caught up soon after the outage');
      assert.ok(h.logs.some((l) => /delivery to slack failed .*ECONNREFUSED/.test(l)), 'the outage is in the log');
      for (const l of h.logs) assert.ok(!l.includes(slack.webhookPath) && !l.includes(ROUTING_KEY), `a secret reached the log: ${l}`);
    } finally {
      await h.close();
      await slack.close();
      await pd.close();
    }
  });
});
