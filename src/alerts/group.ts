// One aggregation group (Alertmanager's dispatch/aggrGroup): the alerts of one route that share
// the route's groupBy label values. Timing is wall-clock and always passed in as `now`:
//   - the first message waits `groupWait` after the group's first alert (a burst lands in one);
//   - after a message, changes (new alerts, resolves) wait until `groupInterval` has passed;
//   - with no change, alerts still firing are repeated every `repeatInterval` (a reminder).
// Ids are deterministic from the route, the group and the set of alerts in the message, so the
// same transitions produce the same notification ids after a crash or a replay.
import { createHash } from 'node:crypto';
import type { Grouping } from '../config/routes.js';
import type { Severity } from '../config/detectors.js';
import { maxSeverity, type AlertItem, type DetectorInfo, type GroupBody, type KeyPair, type Notification } from './notification.js';

export interface GroupContext {
  readonly route: string;
  /** The route's group-mode sinks. */
  readonly sinks: readonly string[];
  readonly grouping: Grouping;
  /** Group identity: route name + label values, hashed. */
  readonly key: string;
  readonly labels: readonly KeyPair[];
  readonly topN: number;
  readonly detectorInfo: (id: string) => DetectorInfo;
}

function byCountDesc(a: AlertItem, b: AlertItem): number {
  return (b.count ?? 0) - (a.count ?? 0) || a.firedAt - b.firedAt || (a.alertKeyId < b.alertKeyId ? -1 : a.alertKeyId > b.alertKeyId ? 1 : 0);
}

function top(items: Iterable<AlertItem>, n: number): AlertItem[] {
  return [...items].sort(byCountDesc).slice(0, n);
}

export class AggregationGroup {
  /** Firing alerts by alert key (one incident per key is active at a time). */
  private readonly firing = new Map<string, AlertItem>();
  /** Incidents resolved since the last message. */
  private readonly resolved = new Map<string, AlertItem>();
  /** Incident ids of the firing alerts the last message showed. */
  private notified = new Set<string>();
  private lastNotifiedAt: number | undefined;
  private lastId = '';
  private due: number;

  constructor(
    readonly ctx: GroupContext,
    now: number,
  ) {
    this.due = now + ctx.grouping.groupWaitMs;
  }

  /** Wall-clock time of the next flush. */
  get nextFlushAt(): number {
    return this.due;
  }

  get empty(): boolean {
    return this.firing.size === 0 && this.resolved.size === 0;
  }

  fire(item: AlertItem, now: number): void {
    this.firing.set(item.alertKeyId, item);
    this.changed(now);
  }

  resolve(item: AlertItem, now: number): void {
    const current = this.firing.get(item.alertKeyId);
    if (current !== undefined && current.incidentId === item.incidentId) this.firing.delete(item.alertKeyId);
    // A resolve the group never showed firing is still worth a line if it did fire in between:
    // a security alert that came and went inside one interval must not vanish.
    if (this.ctx.grouping.sendResolved) {
      this.resolved.set(item.incidentId, item);
      this.changed(now);
    }
  }

  /** A change is sent at the next groupInterval boundary after the last message (or after groupWait). */
  private changed(now: number): void {
    if (this.lastNotifiedAt === undefined) return; // still inside groupWait: `due` is set
    this.due = Math.min(this.due, Math.max(now, this.lastNotifiedAt + this.ctx.grouping.groupIntervalMs));
  }

  private hasChanges(): boolean {
    if (this.resolved.size > 0) return true;
    for (const a of this.firing.values()) if (!this.notified.has(a.incidentId)) return true;
    return false;
  }

  /**
   * Flushes if due (or unconditionally with `force`, at the end of an input). Returns the
   * notification to send, if any. Afterwards, an empty group may be dropped by the caller.
   */
  flush(now: number, force = false): Notification | undefined {
    if (!force && now < this.due) return undefined;
    const g = this.ctx.grouping;
    let status: GroupBody['status'] | undefined;
    if (this.hasChanges()) {
      status = this.firing.size > 0 ? 'firing' : 'resolved';
    } else if (this.firing.size > 0 && this.lastNotifiedAt !== undefined && now - this.lastNotifiedAt >= g.repeatIntervalMs && !force) {
      status = 'reminder';
    }
    let out: Notification | undefined;
    if (status !== undefined) {
      out = this.build(status, now);
      this.lastId = out.id;
      this.notified = new Set([...this.firing.values()].map((a) => a.incidentId));
      this.resolved.clear();
      this.lastNotifiedAt = now;
    }
    // Next wake-up: a reminder when nothing changes (changes pull it earlier, see changed()).
    const last = this.lastNotifiedAt ?? now;
    this.due = this.firing.size > 0 ? last + g.repeatIntervalMs : last + g.groupIntervalMs;
    return out;
  }

  /** True when a flush now would send something new (not a reminder): used to drain at the end of an input. */
  get pending(): boolean {
    return this.hasChanges();
  }

  private build(status: GroupBody['status'], now: number): Notification {
    const firing = [...this.firing.values()];
    const resolved = [...this.resolved.values()];
    let severity: Severity = 'info';
    let first = Infinity;
    let last = -Infinity;
    const detectorIds = new Set<string>();
    for (const a of [...firing, ...resolved]) {
      severity = maxSeverity(severity, a.severity);
      first = Math.min(first, a.firedAt);
      last = Math.max(last, a.firedAt);
      detectorIds.add(a.detector);
    }
    const newCount = firing.filter((a) => !this.notified.has(a.incidentId)).length;
    const body: GroupBody = {
      type: 'group',
      status,
      route: this.ctx.route,
      labels: this.ctx.labels,
      detectors: [...detectorIds].sort().slice(0, 5).map((d) => this.ctx.detectorInfo(d)),
      firing: { total: firing.length, top: top(firing, this.ctx.topN) },
      newCount,
      resolved: { total: resolved.length, top: top(resolved, this.ctx.topN) },
      firstFiredAt: Number.isFinite(first) ? first : now,
      lastFiredAt: Number.isFinite(last) ? last : now,
    };
    // A reminder repeats an unchanged set, so it is chained to the message it repeats.
    const h = createHash('sha256').update(`group\u0000${this.ctx.key}\u0000${status}\u0000${status === 'reminder' ? this.lastId : ''}\u0000`);
    for (const id of firing.map((a) => a.incidentId).sort()) h.update(`f${id}`);
    for (const id of resolved.map((a) => a.incidentId).sort()) h.update(`r${id}`);
    return { id: `g-${h.digest('hex').slice(0, 32)}`, orderKey: `g-${this.ctx.key}`, createdAt: now, severity, body };
  }
}
