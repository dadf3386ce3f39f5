import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { GroupBody, Notification } from '../../src/alerts/notification.js';
import { alertKeyId, transitionId } from '../../src/engine/transition.js';
import { fired, pipeline, resolved, route, silence, T0 } from './helpers.js';

const group = (n: Notification): GroupBody => {
  assert.equal(n.body.type, 'group');
  return n.body as GroupBody;
};

describe('alert pipeline: per-alert sinks', () => {
  it('sends each fire and resolve at once, with ids derived from the transition', () => {
    const p = pipeline([route({ sinks: ['pagerduty'] })]);
    const f = fired(T0);
    const out = p.ingest([f], T0 + 5);
    assert.equal(out.routed.length, 1);
    const [r] = out.routed;
    assert.deepEqual(r?.sinks, ['pagerduty']);
    assert.equal(r?.notification.id, `a-${transitionId(f)}`);
    assert.equal(r?.notification.orderKey, `a-${alertKeyId(f)}`);
    assert.equal(r?.notification.createdAt, T0 + 5);
    const body = r?.notification.body;
    assert.ok(body?.type === 'alert' && body.status === 'firing' && body.alert.count === 101);
    const res = p.ingest([resolved(T0 + 60_000, T0)], T0 + 10);
    const rb = res.routed[0]?.notification.body;
    assert.ok(rb?.type === 'alert' && rb.status === 'resolved');
    // The resolve carries the fire's count, remembered by the pipeline.
    assert.equal(rb.alert.count, 101);
    assert.equal(rb.alert.resolvedAt, T0 + 60_000);
    assert.equal(res.routed[0]?.notification.orderKey, r?.notification.orderKey, 'trigger and resolve share one lane');
  });

  it('carries a leak detector\'s evidence (field path and rule, never the value)', () => {
    const p = pipeline([route({ sinks: ['pagerduty'] })]);
    const t = { ...fired(T0, { detector: 'unscrubbed-event', severity: 'critical' }), evidence: { path: 'args.\u202etoken', rule: 'github-pat' } };
    const body = p.ingest([t], T0).routed[0]?.notification.body;
    assert.ok(body?.type === 'alert');
    assert.deepEqual(body.alert.evidence, { path: 'args.[U+202E]token', rule: 'github-pat' });
  });

  it('produces the same ids for the same transitions (a replay after a crash)', () => {
    const ts = [fired(T0), fired(T0 + 1, { key: { callerId: 'c-2' } }), resolved(T0 + 9, T0)];
    const a = pipeline([route({ sinks: ['pagerduty', 'slack'] })]);
    const b = pipeline([route({ sinks: ['pagerduty', 'slack'] })]);
    const ids = (p: typeof a) => [...p.ingest(ts, T0).routed, ...p.flushAll(T0 + 20_000)].map((r) => r.notification.id);
    assert.deepEqual(ids(a), ids(b));
  });

  it('screens and bounds event values once, when the notification is built', () => {
    const p = pipeline([route({ sinks: ['pagerduty'] })]);
    const token = `ghp_${'A1b2C3d4E5'.repeat(3)}abcdef`;
    const out = p.ingest([fired(T0, { key: { callerId: `x ${token} ${'y'.repeat(5000)}` } })], T0);
    const body = out.routed[0]?.notification.body;
    assert.ok(body?.type === 'alert');
    const v = body.alert.key[0]?.[1] ?? '';
    assert.ok(!v.includes(token), 'the token is gone');
    assert.match(v, /\[redacted:github/);
    assert.ok(v.length <= 1000);
    assert.ok((p.stats.redactions.size ?? 0) > 0);
  });
});

describe('alert pipeline: routing', () => {
  it('takes the first matching route unless it says continue', () => {
    const routes = [
      route({ name: 'crit', severities: new Set(['critical']), sinks: ['pagerduty'] }),
      route({ name: 'burst', detectors: new Set(['rate-limit-burst']), sinks: ['hook'], continue: true }),
      route({ name: 'all', sinks: ['console'] }),
      route({ name: 'never', sinks: ['slack'] }),
    ];
    const p = pipeline(routes);
    assert.deepEqual(p.ingest([fired(T0, { severity: 'critical' })], T0).routed.map((r) => r.sinks), [['pagerduty']]);
    assert.deepEqual(p.ingest([fired(T0, { key: { callerId: 'b' } })], T0).routed.map((r) => [...r.sinks].sort()), [['console', 'hook']]);
    assert.deepEqual(p.ingest([fired(T0, { detector: 'other', key: { callerId: 'c' } })], T0).routed.map((r) => r.sinks), [['console']]);
    assert.equal(p.nextDueAt(), undefined, 'the slack route was never reached');
  });

  it('sends a transition to a sink once even when two routes name it', () => {
    const p = pipeline([route({ name: 'a', sinks: ['pagerduty'], continue: true }), route({ name: 'b', sinks: ['pagerduty', 'hook'] })]);
    const out = p.ingest([fired(T0)], T0).routed;
    assert.equal(out.length, 1);
    assert.deepEqual([...(out[0]?.sinks ?? [])].sort(), ['hook', 'pagerduty']);
  });

  it('counts and reports a transition no route matches', () => {
    const p = pipeline([route({ detectors: new Set(['x']), sinks: ['pagerduty'] })]);
    const out = p.ingest([fired(T0)], T0);
    assert.equal(out.routed.length, 0);
    assert.equal(out.muted[0]?.reason, 'unrouted');
    assert.equal(p.stats.unrouted, 1);
  });

  it('holds back resolves on routes with sendResolved: false', () => {
    const p = pipeline([route({ sinks: ['pagerduty', 'slack'], grouping: { sendResolved: false, groupWaitMs: 0 } })]);
    p.ingest([fired(T0)], T0);
    assert.equal(p.tick(T0).length, 1);
    assert.deepEqual(p.ingest([resolved(T0 + 5, T0)], T0 + 5).routed, []);
    assert.deepEqual(p.tick(T0 + 3_600_000), []);
    assert.equal(p.nextDueAt(), undefined, 'the emptied group is gone');
  });
});

describe('alert pipeline: silences', () => {
  it('records and counts a silenced fire, and holds back its resolve too', () => {
    const s = silence({ matchers: [['detector', ['rate-limit-burst']], ['callerId', ['bot-7']]] });
    const p = pipeline([route({ sinks: ['pagerduty'] })], [s]);
    const out = p.ingest([fired(T0, { key: { callerId: 'bot-7' } }), fired(T0, { key: { callerId: 'human' } })], T0);
    assert.deepEqual(out.muted.map((m) => [m.reason, m.silenceId]), [['silenced', 's1']]);
    assert.equal(out.routed.length, 1, 'the other caller is not silenced');
    const after = p.ingest([resolved(T0 + 10, T0, { key: { callerId: 'bot-7' } })], T0 + 7_200_000);
    assert.equal(after.routed.length, 0, 'no resolve for a page nobody got, even after the silence ended');
    assert.equal(after.muted[0]?.reason, 'resolve-of-silenced');
    assert.equal(p.stats.silencedByDetector.get('rate-limit-burst'), 2);
  });

  it('applies only while active (wall clock), and never keeps a page open', () => {
    const s = silence({ matchers: [['callerId', ['c-1']]], startsAt: T0 + 1000, endsAt: T0 + 2000 });
    const p = pipeline([route({ sinks: ['pagerduty'] })], [s]);
    assert.equal(p.ingest([fired(T0)], T0).routed.length, 1, 'pending silence');
    assert.equal(p.ingest([resolved(T0 + 5, T0)], T0 + 1500).routed.length, 1, 'a resolve of a sent alert goes out during a silence');
    assert.equal(p.ingest([fired(T0 + 10)], T0 + 1500).routed.length, 0, 'active silence');
    assert.equal(p.ingest([fired(T0 + 20, { key: { callerId: 'c-1', tool: 't' } })], T0 + 2000).routed.length, 1, 'expired silence');
  });

  it('does not match a detector that does not key by the silenced field', () => {
    const p = pipeline([route({ sinks: ['pagerduty'] })], [silence({ matchers: [['tool', ['search']]] })]);
    assert.equal(p.ingest([fired(T0, { key: { callerId: 'search' } })], T0).routed.length, 1);
    assert.equal(p.ingest([fired(T0, { key: { callerId: 'x', tool: 'search' } })], T0).routed.length, 0);
  });

  it('takes new silences at once', () => {
    const p = pipeline([route({ sinks: ['pagerduty'] })]);
    p.setSilences([silence({ matchers: [['severity', ['warning']]] })]);
    assert.equal(p.ingest([fired(T0)], T0).routed.length, 0);
  });
});

describe('alert pipeline: grouping (Alertmanager timing, wall clock passed in)', () => {
  const slackRoute = () => route({ name: 'team', sinks: ['slack'], grouping: { groupWaitMs: 10_000, groupIntervalMs: 60_000, repeatIntervalMs: 4 * 3_600_000 } });

  it('turns a burst of 500 callers into one message with the top ones and the total', () => {
    const p = pipeline([slackRoute()]);
    const burst = Array.from({ length: 500 }, (_, i) => fired(T0 + i, { key: { callerId: `caller-${i}` }, count: 101 + (i % 37) }));
    assert.deepEqual(p.ingest(burst, T0).routed, [], 'nothing before groupWait');
    assert.equal(p.nextDueAt(), T0 + 10_000);
    assert.deepEqual(p.tick(T0 + 9_999), []);
    const out = p.tick(T0 + 10_000);
    assert.equal(out.length, 1);
    assert.deepEqual(out[0]?.sinks, ['slack']);
    const g = group(out[0]!.notification);
    assert.equal(g.status, 'firing');
    assert.equal(g.firing.total, 500);
    assert.equal(g.newCount, 500);
    assert.equal(g.firing.top.length, 20);
    assert.equal(g.firing.top[0]?.count, 137, 'highest count first');
    assert.ok(g.firing.top.every((a, i, all) => i === 0 || (all[i - 1]?.count ?? 0) >= (a.count ?? 0)));
    assert.equal(g.firstFiredAt, T0);
    assert.equal(g.lastFiredAt, T0 + 499);
  });

  it('sends changes at the next groupInterval, reminders at repeatInterval, then the all-clear', () => {
    const p = pipeline([slackRoute()]);
    p.ingest([fired(T0)], T0);
    const first = p.tick(T0 + 10_000)[0]!.notification;
    p.ingest([fired(T0 + 1, { key: { callerId: 'c-2' } })], T0 + 20_000);
    assert.equal(p.nextDueAt(), T0 + 70_000, 'groupInterval after the last message');
    assert.deepEqual(p.tick(T0 + 69_999), []);
    const second = p.tick(T0 + 70_000)[0]!.notification;
    assert.equal(group(second).firing.total, 2);
    assert.equal(group(second).newCount, 1);
    assert.notEqual(second.id, first.id);
    assert.equal(p.nextDueAt(), T0 + 70_000 + 4 * 3_600_000);
    const reminder = p.tick(T0 + 70_000 + 4 * 3_600_000)[0]!.notification;
    assert.equal(group(reminder).status, 'reminder');
    assert.equal(group(reminder).newCount, 0);
    const reminder2 = p.tick(T0 + 70_000 + 8 * 3_600_000)[0]!.notification;
    assert.equal(group(reminder2).status, 'reminder');
    assert.notEqual(reminder2.id, reminder.id, 'each reminder is its own notification');
    const t = T0 + 70_000 + 8 * 3_600_000;
    p.ingest([resolved(T0 + 100, T0), resolved(T0 + 101, T0 + 1, { key: { callerId: 'c-2' } })], t + 1);
    const clear = p.tick(t + 60_000)[0]!.notification;
    assert.equal(group(clear).status, 'resolved');
    assert.equal(group(clear).resolved.total, 2);
    assert.equal(p.nextDueAt(), undefined);
  });

  it('reports an alert that fired and resolved inside groupWait instead of losing it', () => {
    const p = pipeline([slackRoute()]);
    p.ingest([fired(T0), resolved(T0 + 5, T0)], T0);
    const g = group(p.tick(T0 + 10_000)[0]!.notification);
    assert.equal(g.status, 'resolved');
    assert.equal(g.firing.total, 0);
    assert.equal(g.resolved.top[0]?.resolvedAt, T0 + 5);
  });

  it('splits groups by groupBy labels and flushes everything pending with flushAll', () => {
    const p = pipeline([route({ sinks: ['slack'], grouping: { groupBy: ['detector', 'callerId'] } })]);
    p.ingest([fired(T0), fired(T0, { key: { callerId: 'c-2' } }), fired(T0 + 1)], T0);
    const out = p.flushAll(T0 + 1);
    assert.equal(out.length, 2);
    assert.deepEqual(out.map((r) => group(r.notification).labels), [
      [['detector', 'rate-limit-burst'], ['callerId', 'c-1']],
      [['detector', 'rate-limit-burst'], ['callerId', 'c-2']],
    ]);
    assert.deepEqual(p.flushAll(T0 + 2), [], 'nothing new to say');
  });

  it('gives group messages deterministic ids from the route, the group and its members', () => {
    const run = () => {
      const p = pipeline([slackRoute()]);
      p.ingest([fired(T0), fired(T0 + 3, { key: { callerId: 'c-9' } })], T0 + 123);
      return p.tick(T0 + 20_000).map((r) => r.notification.id);
    };
    assert.deepEqual(run(), run());
    const p = pipeline([slackRoute()]);
    p.ingest([fired(T0)], T0);
    assert.notDeepEqual(p.tick(T0 + 20_000).map((r) => r.notification.id), run(), 'other members, other id');
  });
});
