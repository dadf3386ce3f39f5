import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DigestCollector, digestNotification, digestText } from '../../src/app/digest.js';
import type { FiredTransition, ResolvedTransition } from '../../src/engine/transition.js';
import type { SendContext } from '../../src/sinks/sink.js';
import { renderSlack } from '../../src/sinks/slack-render.js';
import { fakeJwt } from '../text/samples.js';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-03-06T08:00:00Z');

function fired(detector: string, caller: string, at = 0): FiredTransition {
  return { type: 'fired', detector, severity: 'warning', keyFields: ['callerId', 'tool'], key: [caller, 'search'], at, count: 101, threshold: 100, windowMs: HOUR };
}
function resolved(detector: string, caller: string): ResolvedTransition {
  return { type: 'resolved', detector, severity: 'warning', keyFields: ['callerId'], key: [caller], at: 1, firedAt: 0 };
}

describe('daily digest', () => {
  it('sums the last 24 hours per detector, ranks callers and lists failed notifications', () => {
    const d = new DigestCollector();
    d.transitions([fired('rate-limit-burst', 'old-caller')], NOW - 30 * HOUR); // outside the day
    d.transitions([fired('rate-limit-burst', 'c-1'), fired('rate-limit-burst', 'c-2'), fired('denial-spike', 'c-1')], NOW - 5 * HOUR);
    d.transitions([fired('rate-limit-burst', 'c-1'), resolved('rate-limit-burst', 'c-1')], NOW - HOUR);
    d.failed('pagerduty', 2, NOW - 2 * HOUR);
    const s = d.summary(NOW, 1);
    assert.equal(s.fired, 4);
    assert.equal(s.resolved, 1);
    assert.deepEqual(s.byDetector, [
      ['rate-limit-burst', 3],
      ['denial-spike', 1],
    ]);
    assert.deepEqual(s.topCallers, [['c-1', 3]]);
    assert.equal(s.otherCallers, 1);
    assert.deepEqual(s.failed, [['pagerduty', 2]]);
    const text = digestText(s).detail;
    assert.match(text, /4 alerts fired, 1 resolved/);
    assert.match(text, /By detector: rate-limit-burst 3, denial-spike 1\./);
    assert.match(text, /Top callers: c-1 \(3\); other callers 1\./);
    assert.match(text, /Failed notifications: pagerduty 2/);
  });

  it('says so when nothing happened', () => {
    const text = digestText(new DigestCollector().summary(NOW, 10)).detail;
    assert.match(text, /0 alerts fired/);
    assert.match(text, /Failed notifications: none\./);
  });

  it('screens and bounds caller names, and Slack renders them as inert text', () => {
    const d = new DigestCollector();
    const jwt = fakeJwt();
    d.transitions([fired('x', '<!channel> <@U123|boss> *pwned*'), fired('x', `token ${jwt}`), fired('x', 'y'.repeat(5_000))], NOW - HOUR);
    const routed = digestNotification(d.summary(NOW, 10), 'slack');
    assert.deepEqual(routed.sinks, ['slack']);
    const body = routed.notification.body;
    assert.equal(body.type, 'operator');
    const detail = body.type === 'operator' ? body.detail : '';
    assert.ok(!detail.includes(jwt), 'a credential in a caller name never reaches the outbox');
    assert.ok(detail.length <= 1_900);
    const ctx: SendContext = { attempt: 1, possibleRepeat: false };
    const payload = JSON.stringify(renderSlack(routed.notification, ctx, { maxShown: 20 }));
    assert.ok(!payload.includes('<!channel>'));
    assert.ok(!payload.includes('<@U123'));
    assert.ok(payload.length < 12_000);
  });

  it('has one id per sink and day, so a rerun of the job is not sent twice', () => {
    const s = new DigestCollector().summary(NOW, 10);
    assert.equal(digestNotification(s, 'slack').notification.id, digestNotification({ ...s, to: NOW + HOUR }, 'slack').notification.id);
    assert.notEqual(digestNotification(s, 'slack').notification.id, digestNotification({ ...s, to: NOW + 24 * HOUR }, 'slack').notification.id);
    assert.notEqual(digestNotification(s, 'slack').notification.id, digestNotification(s, 'team-slack').notification.id);
  });
});
