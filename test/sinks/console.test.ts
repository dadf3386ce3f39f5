import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createConsoleSink } from '../../src/sinks/console.js';
import type { FiredTransition } from '../../src/engine/transition.js';
import { pipeline, resolved, route, T0 } from '../alerts/helpers.js';
import { alertNotifications, deps, groupNotification } from './helpers.js';

function read(d: ReturnType<typeof deps>): string {
  return (d.out.read() as Buffer | null)?.toString('utf8') ?? '';
}

describe('console sink', () => {
  it('prints one aligned line per fire and resolve, control characters made visible', async () => {
    const d = deps({}, { detectorWidth: 18 });
    const sink = createConsoleSink('console', { kind: 'console' }, d);
    const [f, r] = alertNotifications({ key: { callerId: 'evil\u001b[2J', tool: 'search' } }, Date.UTC(2026, 2, 5, 9, 44, 45));
    await sink.send(f!, { attempt: 1, possibleRepeat: false });
    await sink.send(r!, { attempt: 1, possibleRepeat: false });
    const lines = read(d).trimEnd().split('\n');
    assert.equal(lines[0], '2026-03-05 09:00:00.000Z  FIRED     warning   rate-limit-burst    callerId=evil␛[2J tool=search  101 > 100 in 1h');
    assert.equal(lines[1], '2026-03-05 09:44:45.000Z  RESOLVED  warning   rate-limit-burst    callerId=evil␛[2J tool=search  after 44m 45s');
    assert.equal(sink.durable, false);
  });

  it('prints group messages and warnings too', async () => {
    const d = deps({});
    const sink = createConsoleSink('console', { kind: 'console' }, d);
    await sink.send(groupNotification(2), { attempt: 1, possibleRepeat: true, undelivered: { count: 1, oldestAt: 0, reasons: ['x'] } });
    const out = read(d);
    assert.match(out, /^FIRING group r: 2 firing, 0 resolved/);
    assert.match(out, /Possible repeat/);
    assert.match(out, /1 earlier notification to this destination could not be delivered/);
  });

  it('renders a leak alert as the unscrubbed field and the rule, never as a count against threshold 0', async () => {
    // What the leak detector emits (src/engine/leak.ts): count = leaking events, threshold 0, no
    // window, evidence = field path and rule name (the value itself is never carried).
    const leak = (count: number): FiredTransition => ({
      type: 'fired',
      detector: 'unscrubbed-event',
      severity: 'critical',
      keyFields: ['callerId'],
      key: ['c-1'],
      at: T0,
      count,
      threshold: 0,
      evidence: { path: 'params.arguments.token', rule: 'github-token' },
    });
    const d = deps({}, { detectorWidth: 18 });
    const sink = createConsoleSink('console', { kind: 'console' }, d);
    const p = pipeline([route({ sinks: ['pagerduty'] })]);
    const out = p.ingest([leak(1), resolved(T0 + 600_000, T0, { detector: 'unscrubbed-event', severity: 'critical', key: { callerId: 'c-1' } })], T0 + 1000).routed;
    for (const r of out) await sink.send(r.notification, { attempt: 1, possibleRepeat: false });
    const lines = read(d).trimEnd().split('\n');
    assert.equal(lines[0], '2026-03-05 09:00:00.000Z  FIRED     critical  unscrubbed-event    callerId=c-1  unscrubbed field params.arguments.token (github-token)');
    assert.equal(lines[1], '2026-03-05 09:10:00.000Z  RESOLVED  critical  unscrubbed-event    callerId=c-1  after 10m');
    assert.doesNotMatch(lines[0] ?? '', /in a row|> 0/);

    // Several leaking events at once: how many is said, still without a threshold.
    const more = pipeline([route({ sinks: ['pagerduty'] })]).ingest([{ ...leak(3), key: ['c-2'] }], T0 + 1000).routed;
    for (const r of more) await sink.send(r.notification, { attempt: 1, possibleRepeat: false });
    assert.match(read(d), /callerId=c-2 {2}unscrubbed field params\.arguments\.token \(github-token\), 3 events\n$/);
  });
});
