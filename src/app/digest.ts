// The daily digest (optional, ops.digest): one Slack message a day with the alerts of the last
// 24 hours per detector, the callers that raised the most, and the notifications that could not
// be delivered. It is an `operator` notification, so the Slack sink renders it like its other
// messages about auditwatch itself: the detail is a literal (escaped, bounded) and the whole
// payload passes the secret screen before it leaves. Caller names come from events: they are
// screened and bounded here too, before they reach the outbox file.
//
// Memory is bounded: hourly buckets for 25 hours, at most MAX_CALLERS distinct callers per bucket
// (the rest are counted as "other callers").
import { createHash } from 'node:crypto';
import type { Routed } from '../alerts/notification.js';
import type { Transition } from '../engine/transition.js';
import { formatTime } from '../sinks/format.js';
import { bound } from '../text/bound.js';
import { screen } from '../text/secrets.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MAX_CALLERS = 10_000;
const MAX_CALLER_SHOWN = 60;
/** The Slack sink shows at most 2,000 characters of an operator detail. */
const MAX_DETAIL = 1_900;

interface Bucket {
  readonly hour: number;
  fired: number;
  resolved: number;
  readonly byDetector: Map<string, number>;
  readonly byCaller: Map<string, number>;
  otherCallers: number;
  readonly failed: Map<string, number>;
}

export interface DigestSummary {
  readonly from: number;
  readonly to: number;
  readonly fired: number;
  readonly resolved: number;
  readonly byDetector: readonly (readonly [string, number])[];
  readonly topCallers: readonly (readonly [string, number])[];
  readonly otherCallers: number;
  readonly failed: readonly (readonly [string, number])[];
}

export class DigestCollector {
  private readonly buckets: Bucket[] = [];

  private bucket(now: number): Bucket {
    const hour = Math.floor(now / HOUR);
    const last = this.buckets[this.buckets.length - 1];
    if (last !== undefined && last.hour === hour) return last;
    const b: Bucket = { hour, fired: 0, resolved: 0, byDetector: new Map(), byCaller: new Map(), otherCallers: 0, failed: new Map() };
    this.buckets.push(b);
    while (this.buckets.length > 0 && (this.buckets[0]?.hour ?? hour) < hour - 25) this.buckets.shift();
    return b;
  }

  /** Alert transitions as they are handed to delivery, at wall-clock `now`. */
  transitions(ts: readonly Transition[], now: number): void {
    if (ts.length === 0) return;
    const b = this.bucket(now);
    for (const t of ts) {
      if (t.type === 'resolved') {
        b.resolved++;
        continue;
      }
      b.fired++;
      b.byDetector.set(t.detector, (b.byDetector.get(t.detector) ?? 0) + 1);
      const i = t.keyFields.indexOf('callerId');
      const caller = i < 0 ? undefined : t.key[i];
      if (caller === undefined || caller === null) continue;
      const name = bound(screen(caller).text, { max: MAX_CALLER_SHOWN });
      if (b.byCaller.has(name) || b.byCaller.size < MAX_CALLERS) b.byCaller.set(name, (b.byCaller.get(name) ?? 0) + 1);
      else b.otherCallers++;
    }
  }

  /** Notifications a sink dropped or gave up. */
  failed(sink: string, n: number, now: number): void {
    if (n <= 0) return;
    const b = this.bucket(now);
    b.failed.set(sink, (b.failed.get(sink) ?? 0) + n);
  }

  summary(now: number, topN: number): DigestSummary {
    const from = now - DAY;
    const byDetector = new Map<string, number>();
    const byCaller = new Map<string, number>();
    const failed = new Map<string, number>();
    let fired = 0;
    let resolved = 0;
    let otherCallers = 0;
    const add = (m: Map<string, number>, k: string, n: number): void => void m.set(k, (m.get(k) ?? 0) + n);
    for (const b of this.buckets) {
      // Hour granularity is what a digest needs: a bucket counts when it overlaps the last 24 hours.
      if ((b.hour + 1) * HOUR <= from || b.hour * HOUR > now) continue;
      fired += b.fired;
      resolved += b.resolved;
      otherCallers += b.otherCallers;
      for (const [k, n] of b.byDetector) add(byDetector, k, n);
      for (const [k, n] of b.byCaller) add(byCaller, k, n);
      for (const [k, n] of b.failed) add(failed, k, n);
    }
    const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const callers = sorted(byCaller);
    for (const [, n] of callers.slice(topN)) otherCallers += n;
    return { from, to: now, fired, resolved, byDetector: sorted(byDetector), topCallers: callers.slice(0, topN), otherCallers, failed: sorted(failed) };
  }
}

/** Plain text; the sink escapes it for its format. */
export function digestText(s: DigestSummary): { title: string; detail: string } {
  const lines: string[] = [];
  lines.push(`${formatTime(s.from)} → ${formatTime(s.to)}: ${s.fired} alert${s.fired === 1 ? '' : 's'} fired, ${s.resolved} resolved.`);
  lines.push(s.byDetector.length === 0 ? 'By detector: none.' : `By detector: ${s.byDetector.map(([d, n]) => `${d} ${n}`).join(', ')}.`);
  if (s.topCallers.length > 0) {
    const others = s.otherCallers > 0 ? `; other callers ${s.otherCallers}` : '';
    lines.push(`Top callers: ${s.topCallers.map(([c, n]) => `${c} (${n})`).join(', ')}${others}.`);
  }
  lines.push(s.failed.length === 0 ? 'Failed notifications: none.' : `Failed notifications: ${s.failed.map(([k, n]) => `${k} ${n}`).join(', ')} (see the auditwatch log).`);
  return { title: 'daily digest', detail: bound(lines.join('\n'), { max: MAX_DETAIL }) };
}

/** The digest as a notification for one sink; its id is fixed per sink and day, so a rerun is not sent twice. */
export function digestNotification(s: DigestSummary, sink: string): Routed {
  const day = new Date(s.to).toISOString().slice(0, 10);
  const id = `o-${createHash('sha256').update(`digest\u0000${sink}\u0000${day}`).digest('hex').slice(0, 32)}`;
  return { notification: { id, orderKey: 'o-digest', createdAt: s.to, severity: 'info', body: { type: 'operator', ...digestText(s) } }, sinks: [sink] };
}
