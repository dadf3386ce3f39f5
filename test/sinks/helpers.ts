// Notifications built through the real pipeline, and sink dependencies for the sink tests.
import { PassThrough } from 'node:stream';
import type { Notification } from '../../src/alerts/notification.js';
import type { SinkDeps } from '../../src/sinks/sink.js';
import { observeRedactions } from '../../src/sinks/screen.js';
import { fired, pipeline, resolved, route, T0, type Tx } from '../alerts/helpers.js';

export { T0 };

export function deps(env: NodeJS.ProcessEnv, extra: Partial<SinkDeps> = {}): SinkDeps & { out: PassThrough; redactions: Map<string, number> } {
  const out = new PassThrough();
  const redactions = new Map<string, number>();
  return {
    env,
    now: () => Date.now(),
    stdout: out,
    color: false,
    onRedact: (_sink, rule, n) => redactions.set(rule, (redactions.get(rule) ?? 0) + n),
    ...extra,
    out,
    redactions,
  };
}

/** One alert's fire (and, with `resolveAt`, its resolve) as per-alert notifications. */
export function alertNotifications(tx: Tx = {}, resolveAt?: number): Notification[] {
  const p = pipeline([route({ sinks: ['pagerduty'] })]);
  const out = p.ingest([fired(T0, tx), ...(resolveAt === undefined ? [] : [resolved(resolveAt, T0, tx)])], T0 + 1000).routed;
  return out.map((r) => r.notification);
}

/** A Slack group message for `n` callers of one detector (plus `resolvedCount` resolved ones). */
export function groupNotification(n: number, o: { value?: (i: number) => string; resolvedCount?: number; tx?: Tx } = {}): Notification {
  const p = pipeline([route({ sinks: ['slack'] })]);
  const value = o.value ?? ((i: number) => `caller-${i}`);
  const ts = Array.from({ length: n }, (_, i) => fired(T0 + i, { ...o.tx, key: { callerId: value(i), tool: 'search' }, count: 101 + i }));
  const rs = Array.from({ length: o.resolvedCount ?? 0 }, (_, i) => resolved(T0 + 60_000 + i, T0 + i, { ...o.tx, key: { callerId: value(i), tool: 'search' } }));
  p.ingest([...ts, ...rs], T0);
  const [r] = p.flushAll(T0 + 1);
  if (r === undefined) throw new Error('no group message');
  return r.notification;
}

/** Reminder and all-clear messages of a one-alert group. */
export function lifecycle(): { firing: Notification; reminder: Notification; resolved: Notification } {
  const p = pipeline([route({ sinks: ['slack'], grouping: { groupWaitMs: 0, groupIntervalMs: 60_000, repeatIntervalMs: 3_600_000 } })]);
  p.ingest([fired(T0)], T0);
  const firing = p.tick(T0)[0]?.notification;
  const reminder = p.tick(T0 + 3_600_000)[0]?.notification;
  p.ingest([resolved(T0 + 10, T0)], T0 + 3_600_001);
  const res = p.tick(T0 + 3_700_000)[0]?.notification;
  if (firing === undefined || reminder === undefined || res === undefined) throw new Error('lifecycle incomplete');
  return { firing, reminder, resolved: res };
}

/**
 * `n` with `token` pasted into its detector description: trusted text from a detector file, which
 * only a sink's own last-line screen can catch.
 */
export function withTokenInDescription(n: Notification, token: string): Notification {
  const text = JSON.stringify(n);
  if (!text.includes(DESCRIPTION)) throw new Error('the notification carries no detector description');
  return JSON.parse(text.replace(DESCRIPTION, `${DESCRIPTION} ${token}`)) as Notification;
}
const DESCRIPTION = 'Caller keeps hitting rate limits';

/** Runs `fn` and returns the redactions sinks reported meanwhile, as `where:rule:count`. */
export async function redactionsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const stop = observeRedactions((where, rule, count) => seen.push(`${where}:${rule}:${count}`));
  try {
    await fn();
  } finally {
    stop();
  }
  return seen;
}
