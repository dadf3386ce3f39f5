// The alert pipeline: transitions → silence → route → (per-alert notification | aggregation
// group). Pure and synchronous like the engine: wall-clock time comes in as `now`, the output
// is a list of notifications with their sinks; the caller (app/) records them in the outbox.
//
// Two delivery shapes, chosen per sink kind:
//   - `alert` sinks (PagerDuty, the console, webhooks by default) get one notification per fire
//     and per resolve, at once, with ids derived from the transition id;
//   - `group` sinks (Slack) get Alertmanager-style group messages (groupWait, groupInterval,
//     repeatInterval), so a burst of 500 callers is one message.
import { createHash } from 'node:crypto';
import type { GroupLabel, RouteDef } from '../config/routes.js';
import type { SilenceDef } from '../config/silences.js';
import { incidentId, transitionId, type Transition } from '../engine/transition.js';
import { firedItem, resolvedItem, safeValue, type RedactionCounter } from './build.js';
import { AggregationGroup } from './group.js';
import { encodeLabels, labelValue } from './labels.js';
import type { AlertItem, DetectorInfo, KeyPair, Notification, Routed } from './notification.js';
import { matchRoutes } from './route.js';
import { SilenceSet } from './silence.js';

export type SinkMode = 'alert' | 'group';

export interface PipelineOptions {
  readonly routes: readonly RouteDef[];
  /** Delivery shape of every sink the routes name. */
  readonly sinkModes: ReadonlyMap<string, SinkMode>;
  readonly detectors: ReadonlyMap<string, DetectorInfo>;
  readonly silences?: readonly SilenceDef[];
  /** Alerts listed by name in a group message (the total is always given). Default 20. */
  readonly topN?: number;
}

/** A transition that was not sent, and why: for the log and the counters. */
export interface Muted {
  readonly transition: Transition;
  readonly reason: 'silenced' | 'unrouted' | 'resolve-of-silenced';
  readonly silenceId?: string;
}

export interface PipelineOutput {
  readonly routed: Routed[];
  readonly muted: Muted[];
}

export class PipelineStats {
  transitions = 0;
  notifications = 0;
  readonly silencedByDetector = new Map<string, number>();
  unrouted = 0;
  /** Secret-screen hits in event values, per rule. */
  readonly redactions: RedactionCounter = new Map();
}

export class AlertPipeline {
  private readonly routes: readonly RouteDef[];
  private readonly modes: ReadonlyMap<string, SinkMode>;
  private readonly detectors: ReadonlyMap<string, DetectorInfo>;
  private readonly topN: number;
  private silences: SilenceSet;
  private readonly groups = new Map<string, AggregationGroup>();
  /** Items of alerts that fired and have not resolved, so a resolve can show its count. */
  private readonly active = new Map<string, AlertItem>();
  /** Incidents whose fire was silenced: their resolve is not sent either. */
  private readonly silencedIncidents = new Set<string>();
  readonly stats = new PipelineStats();

  constructor(opts: PipelineOptions) {
    this.routes = opts.routes;
    this.modes = opts.sinkModes;
    this.detectors = opts.detectors;
    this.topN = opts.topN ?? 20;
    this.silences = new SilenceSet(opts.silences ?? []);
    for (const r of this.routes) {
      for (const s of r.sinks) if (!this.modes.has(s)) throw new Error(`route ${r.name} names sink ${s} whose delivery mode is unknown`);
    }
  }

  /** Replaces the silences (the file changed, or `auditwatch silence add` ran). */
  setSilences(defs: readonly SilenceDef[]): void {
    this.silences = new SilenceSet(defs);
  }

  private info(id: string): DetectorInfo {
    return this.detectors.get(id) ?? { id };
  }

  /** Takes the transitions of one batch, in order. Alert-mode notifications come out at once. */
  ingest(transitions: readonly Transition[], now: number): PipelineOutput {
    const routed: Routed[] = [];
    const muted: Muted[] = [];
    for (const t of transitions) this.one(t, now, routed, muted);
    this.stats.notifications += routed.length;
    return { routed, muted };
  }

  private one(t: Transition, now: number, routed: Routed[], muted: Muted[]): void {
    this.stats.transitions++;
    const incident = incidentId(t);
    let item: AlertItem;
    if (t.type === 'fired') {
      const silence = this.silences.match(t, now);
      if (silence !== undefined) {
        this.silencedIncidents.add(incident);
        this.countSilenced(t.detector);
        muted.push({ transition: t, reason: 'silenced', silenceId: silence.id });
        return;
      }
      item = firedItem(t, incident, this.stats.redactions);
      this.active.set(incident, item);
    } else {
      // A resolve is sent even if a silence started since the fire: a silence must never keep
      // a page open. Only the resolve of a fire nobody was told about is held back.
      if (this.silencedIncidents.delete(incident)) {
        this.countSilenced(t.detector);
        muted.push({ transition: t, reason: 'resolve-of-silenced' });
        return;
      }
      item = resolvedItem(t, incident, this.active.get(incident), this.stats.redactions);
      this.active.delete(incident);
    }

    const matched = matchRoutes(this.routes, t);
    if (matched.length === 0) {
      this.stats.unrouted++;
      muted.push({ transition: t, reason: 'unrouted' });
      return;
    }
    const alertSinks = new Set<string>();
    for (const r of matched) {
      // Without sendResolved a group still learns of the resolve (no reminders for it), but
      // per-alert sinks get nothing.
      const sendsResolve = t.type === 'fired' || r.grouping.sendResolved;
      const groupSinks: string[] = [];
      for (const s of r.sinks) {
        if (this.modes.get(s) === 'group') groupSinks.push(s);
        else if (sendsResolve) alertSinks.add(s);
      }
      if (groupSinks.length > 0) this.toGroup(r, groupSinks, t, item, now);
    }
    if (alertSinks.size > 0) {
      const n: Notification = {
        id: `a-${transitionId(t)}`,
        // Per alert key, not per incident: a re-fire never overtakes the resolve before it.
        orderKey: `a-${item.alertKeyId}`,
        createdAt: now,
        severity: t.severity,
        body: { type: 'alert', status: t.type === 'fired' ? 'firing' : 'resolved', alert: item, detector: this.info(t.detector) },
      };
      routed.push({ notification: n, sinks: [...alertSinks] });
    }
  }

  private countSilenced(detector: string): void {
    this.stats.silencedByDetector.set(detector, (this.stats.silencedByDetector.get(detector) ?? 0) + 1);
  }

  private toGroup(r: RouteDef, sinks: readonly string[], t: Transition, item: AlertItem, now: number): void {
    const values = r.grouping.groupBy.map((l: GroupLabel) => labelValue(t, l));
    const key = createHash('sha256').update(`${r.name}\u0000${encodeLabels(values)}`).digest('hex').slice(0, 32);
    let g = this.groups.get(key);
    if (g === undefined) {
      if (t.type === 'resolved' && !r.grouping.sendResolved) return;
      const labels = r.grouping.groupBy.map((l, i): KeyPair => {
        const v = values[i];
        return [l, v === undefined ? null : safeValue(v, this.stats.redactions)];
      });
      g = new AggregationGroup({ route: r.name, sinks, grouping: r.grouping, key, labels, topN: this.topN, detectorInfo: (id) => this.info(id) }, now);
      this.groups.set(key, g);
    }
    if (t.type === 'fired') g.fire(item, now);
    else {
      g.resolve(item, now);
      // Nothing left to say (resolves are not sent on this route): forget the group now.
      if (g.empty) this.groups.delete(key);
    }
  }

  /** Flushes the groups that are due. */
  tick(now: number): Routed[] {
    return this.flushGroups(now, false);
  }

  /** Flushes every group with something unsent at once (the end of a file input). */
  flushAll(now: number): Routed[] {
    return this.flushGroups(now, true);
  }

  private flushGroups(now: number, force: boolean): Routed[] {
    const out: Routed[] = [];
    for (const [key, g] of this.groups) {
      if (force ? !g.pending : g.nextFlushAt > now) continue;
      const n = g.flush(now, force);
      if (n !== undefined) out.push({ notification: n, sinks: g.ctx.sinks });
      if (g.empty) this.groups.delete(key);
    }
    this.stats.notifications += out.length;
    return out;
  }

  /** Wall-clock time of the next group flush, if any group exists. */
  nextDueAt(): number | undefined {
    let next: number | undefined;
    for (const g of this.groups.values()) if (next === undefined || g.nextFlushAt < next) next = g.nextFlushAt;
    return next;
  }

  /** Alerts firing (not yet resolved) that the pipeline has seen. */
  get activeAlerts(): number {
    return this.active.size;
  }
}
