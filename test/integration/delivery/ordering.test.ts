// Routing, grouping and ordering end to end, in process: the shipped routes, the real outbox and
// sinks, the Slack and PagerDuty contract fakes, an injected clock.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fired, resolved } from '../../alerts/helpers.js';
import { harness } from './harness.js';

const critical = { detector: 'denial-spike', severity: 'critical' as const, count: 31, threshold: 30 };

describe('delivery end to end (in process)', () => {
  it('shipped routes: warning to Slack, critical to Slack and PagerDuty, one page per incident', async () => {
    const h = await harness();
    try {
      const t = h.clock.now();
      await h.alerting.accept([fired(t - 1000, { key: { callerId: 'c-1', tool: 'search' } }), fired(t - 500, { ...critical, key: { callerId: 'agent-9' } })]);
      await h.until(() => h.pd.accepted().length === 1, 1000);
      assert.equal(h.slack.messages().length, 0, 'Slack waits for groupWait');
      await h.step(10_000);
      assert.equal(h.slack.messages().length, 1, 'groupWait has passed; the next waits for Slack\'s 1 message per second');
      await h.step(1_000);
      assert.equal(h.slack.messages().length, 2, 'one message per detector group');
      assert.equal(h.pd.incidents().length, 1);
      assert.equal(h.pd.incidents()[0]?.severity, 'critical');
      assert.deepEqual(h.slack.activeSyntax(), []);
    } finally {
      await h.close();
    }
  });

  it('never lets a resolve overtake its trigger, even when the trigger needs retries', async () => {
    const h = await harness();
    try {
      h.pd.serverError(500, { times: 2 });
      const t = h.clock.now();
      const key = { callerId: 'agent-9' };
      await h.alerting.accept([fired(t - 2000, { ...critical, key }), resolved(t - 1000, t - 2000, { ...critical, key })]);
      await h.until(() => h.alerting.outbox.pending === 0, 120_000);
      const actions = h.pd.requests().map((r) => `${(r.json as { event_action: string }).event_action}:${r.outcome}`);
      assert.deepEqual(actions, ['trigger:fault', 'trigger:fault', 'trigger:accepted', 'resolve:accepted']);
      assert.equal(h.pd.stats().dropped, 0, 'no resolve arrived for an alert PagerDuty did not have');
      assert.equal(h.pd.incidents()[0]?.status, 'resolved');
      // Slack: the firing message (if any) comes before the all-clear.
      await h.alerting.accept([fired(t + 5000, { key: { callerId: 'x', tool: 'y' } })]);
      await h.step(10_000);
      await h.alerting.accept([resolved(t + 6000, t + 5000, { key: { callerId: 'x', tool: 'y' } })]);
      await h.step(120_000);
      const headers = h.slack.messages().map((m) => (m.blocks[0] as { text: { text: string } }).text.text);
      const firing = headers.findIndex((x) => x.includes('FIRING · rate-limit-burst'));
      const clear = headers.findIndex((x) => x.includes('RESOLVED · rate-limit-burst'));
      assert.ok(firing >= 0 && clear > firing, headers.join(' / '));
    } finally {
      await h.close();
    }
  });

  it('groups a 500-caller burst into one Slack message while PagerDuty gets one event per alert', async () => {
    const h = await harness();
    try {
      const t = h.clock.now();
      const burst = Array.from({ length: 500 }, (_, i) => fired(t - 60_000 + i, { ...critical, key: { callerId: `caller-${i}` }, count: 31 + (i % 50) }));
      await h.alerting.accept(burst);
      await h.step(10_000);
      assert.equal(h.slack.messages().length, 1);
      const text = JSON.stringify(h.slack.messages()[0]?.body);
      assert.match(text, /500 alerts/);
      assert.match(text, /top 10 of 500 by count/);
      // PagerDuty's documented rate (about 2/s) is kept: 500 events take minutes, none is lost.
      await h.until(() => h.alerting.outbox.pending === 0, 15 * 60_000);
      assert.equal(h.pd.incidents().length, 500);
      const at = h.pd.accepted().map((r) => r.receivedAt);
      assert.ok((at.at(-1) ?? 0) - (at[0] ?? 0) >= 200_000, 'spread over time, not a flood');
    } finally {
      await h.close();
    }
  });
});
