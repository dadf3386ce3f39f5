// The scheduled drift check. On its cron schedule (provision.drift.schedule, hourly by default) it
// plans every configured target and reports, per target, how many objects differ from the
// detectors: as the gauge auditwatch_provisioning_drift{target}, and as a warning-severity alert
// `provisioning-drift` keyed by target that fires when drift appears (with the field-level diff)
// and resolves when it is gone. With provision.drift.apply (opt-in) it applies the plan as well.
// It never prunes: deleting is for a person running `provision --prune`.
//
// `auditwatch run` adds it to its scheduler (ops/schedule.ts: node-cron, no overlap, leader only)
// when auditwatch.yaml has a `provision` section: scheduleDriftJob below.
import type { DetectorDef } from '../config/detectors.js';
import { loadDetectors } from '../config/detectors.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { provisionSettings } from '../config/sections/provision.js';
import type { EventStringField } from '../events/audit-event.js';
import type { FiredTransition, ResolvedTransition, Transition } from '../engine/transition.js';
import type { JobSpec } from '../ops/schedule.js';
import type { TargetName } from '../provision/model.js';
import type { PlanEntry } from '../provision/plan.js';
import type { ApplyResult } from '../provision/run.js';
import type { ProvisionTarget } from '../provision/target.js';
import { bound } from '../text/bound.js';
import { configDir } from './paths.js';
import { applyWith, planWith } from './provision.js';
import { buildTargets, chooseTargets, datadogHandles, routesFileFor, type TargetDeps } from './provision-targets.js';

export const DRIFT_JOB = 'provision-drift';
export const DRIFT_DETECTOR = 'provisioning-drift';
/** Keyed by target, which is not an event field (as the dead-man switch keys by source). */
const TARGET_FIELD = ['target'] as readonly string[] as readonly EventStringField[];

export type DriftChange =
  | { readonly type: 'fired'; readonly target: TargetName; readonly drifted: number; readonly lines: readonly string[]; readonly at: number }
  | { readonly type: 'resolved'; readonly target: TargetName; readonly at: number; readonly firedAt: number }
  | { readonly type: 'failed'; readonly message: string; readonly at: number };

export interface DriftSinks {
  /** Objects that differ per target, at each successful check (0 when in sync). */
  readonly gauge: (target: TargetName, drifted: number, checkedAtMs: number) => void;
  /** Drift appeared on a target, went away, or the check failed. Called on changes only. */
  readonly change: (change: DriftChange) => void | Promise<void>;
}

export interface DriftReport {
  readonly drifted: ReadonlyMap<TargetName, number>;
  readonly entries: readonly PlanEntry[];
  readonly applied: ApplyResult | undefined;
  readonly error: string | undefined;
}

export interface DriftJobOptions {
  readonly schedule: string;
  /** Apply the plan when drift is found (opt-in). */
  readonly apply: boolean;
  readonly targetNames: readonly TargetName[];
  /** Fresh targets for each run (no connection outlives a run). */
  readonly targets: () => ProvisionTarget[];
  readonly detectors: () => readonly DetectorDef[];
  readonly sinks: DriftSinks;
  readonly timezone?: string;
}

export interface DriftJob {
  /** For the scheduler of `auditwatch run` (ops/schedule.ts). */
  readonly spec: JobSpec;
  /** One check, as a scheduled tick runs it. */
  runOnce(now?: number): Promise<DriftReport>;
}

function describeEntry(e: PlanEntry): string[] {
  const head = `${e.action} ${e.target}/${e.kind} ${e.key}${e.remoteId === undefined ? '' : ` (id ${e.remoteId})`}`;
  const show = (v: unknown): string => bound(v === undefined ? '(absent)' : JSON.stringify(v), { max: 200 });
  return [head, ...e.changes.map((c) => `  ${c.path}: ${show(c.before)} → ${show(c.after)}`)];
}

export function createDriftJob(opts: DriftJobOptions): DriftJob {
  /** Targets with drift reported and not yet resolved: target → when it fired. */
  const active = new Map<TargetName, number>();
  const runOnce = async (now = Date.now()): Promise<DriftReport> => {
    const drifted = new Map<TargetName, number>(opts.targetNames.map((t) => [t, 0]));
    const targets = opts.targets();
    try {
      const { plan } = await planWith(targets, opts.detectors(), false);
      const changed = plan.entries.filter((e) => e.action === 'create' || e.action === 'update' || e.action === 'delete');
      for (const e of changed) drifted.set(e.target, (drifted.get(e.target) ?? 0) + 1);
      const applied = changed.length > 0 && opts.apply ? await applyWith(plan, targets, () => undefined) : undefined;
      for (const [target, n] of drifted) {
        opts.sinks.gauge(target, n, now);
        const failed = (applied?.failed ?? []).filter((f) => f.entry.target === target);
        const remaining = applied === undefined ? n : failed.length;
        if (n > 0 && !active.has(target)) {
          const lines = [...changed.filter((e) => e.target === target).flatMap(describeEntry), ...failed.map((f) => `apply failed: ${f.entry.kind} ${f.entry.key}: ${f.error.message}`)];
          if (applied !== undefined) lines.push(failed.length === 0 ? 'applied (provision.drift.apply)' : `applied except ${failed.length}`);
          await opts.sinks.change({ type: 'fired', target, drifted: n, lines, at: now });
          active.set(target, now);
          if (remaining === 0) {
            await opts.sinks.change({ type: 'resolved', target, at: now, firedAt: now });
            active.delete(target);
          }
        } else if (remaining === 0 && active.has(target)) {
          await opts.sinks.change({ type: 'resolved', target, at: now, firedAt: active.get(target) ?? now });
          active.delete(target);
        }
      }
      return { drifted, entries: plan.entries, applied, error: undefined };
    } catch (err) {
      const message = bound(err instanceof Error ? err.message : String(err), { max: 1000 });
      await opts.sinks.change({ type: 'failed', message, at: now });
      return { drifted, entries: [], applied: undefined, error: message };
    } finally {
      await Promise.allSettled(targets.map((t) => t.close()));
    }
  };
  const spec: JobSpec = {
    name: DRIFT_JOB,
    cron: opts.schedule,
    ...(opts.timezone === undefined ? {} : { timezone: opts.timezone }),
    run: async (ctx) => {
      const r = await runOnce(ctx.now);
      if (r.error !== undefined) throw new Error(`drift check failed: ${r.error}`);
      return [...r.drifted].map(([t, n]) => `${t}: ${n} drifted`).join(', ');
    },
  };
  return { spec, runOnce };
}

/** The drift job as auditwatch.yaml configures it (provision.drift). */
export function driftJobFromConfig(config: RuntimeConfig, deps: TargetDeps, sinks: DriftSinks): DriftJob {
  const section = provisionSettings(config.provision);
  const names = section.drift.targets ?? chooseTargets(undefined, section);
  const detectorsDir = configDir(config.detectors, 'detectors');
  const routesFile = routesFileFor(configDir(config.alerts, 'alerts'), config.alerting?.routes);
  return createDriftJob({
    schedule: section.drift.schedule,
    apply: section.drift.apply,
    targetNames: names,
    targets: () => buildTargets({ names, section, handles: datadogHandles(routesFile, section), deps }),
    detectors: () => loadDetectors(detectorsDir),
    sinks,
  });
}

/** A drift change as an alert transition: warning severity, keyed by target. */
export function driftTransition(c: Exclude<DriftChange, { type: 'failed' }>): Transition {
  if (c.type === 'resolved') {
    const t: ResolvedTransition = { type: 'resolved', detector: DRIFT_DETECTOR, severity: 'warning', keyFields: TARGET_FIELD, key: [c.target], at: c.at, firedAt: c.firedAt };
    return t;
  }
  const t: FiredTransition = { type: 'fired', detector: DRIFT_DETECTOR, severity: 'warning', keyFields: TARGET_FIELD, key: [c.target], at: c.at, count: c.drifted, threshold: 0 };
  return t;
}

/** What scheduleDriftJob needs from `auditwatch run`'s ops wiring and alert delivery. */
export interface DriftHost {
  readonly scheduler: { add(spec: JobSpec): unknown };
  readonly metrics: { provisioningDrift(target: string, drifted: number, checkedAtMs: number): void; declare(d: { targets?: readonly string[]; detectors?: readonly string[] }): void };
  readonly logger: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  /** Alert counters and the digest, like every other transition on its way to delivery. */
  transitions?(ts: readonly Transition[]): void;
}

/**
 * Adds the drift job to `auditwatch run` when auditwatch.yaml has a `provision` section (without
 * one, nothing is provisioned and there is nothing to drift from). Drift is logged as a warning
 * with the diff and sent as a `provisioning-drift` alert through the normal routing.
 */
export function scheduleDriftJob(host: DriftHost, alerting: { accept(ts: readonly Transition[]): Promise<unknown> } | undefined, config: RuntimeConfig, env: NodeJS.ProcessEnv): DriftJob | undefined {
  if (config.provision === undefined) return undefined;
  const section = provisionSettings(config.provision);
  const names = section.drift.targets ?? chooseTargets(undefined, section);
  try {
    // Credentials are resolved now, so a missing key is said at startup rather than at the first tick.
    for (const t of buildTargets({ names, section, handles: { lookup: () => [], note: undefined }, deps: { env } })) void t.close();
  } catch (err) {
    host.logger.warn({ component: 'provision-drift' }, `provisioning drift check not scheduled: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
  host.metrics.declare({ targets: names, detectors: [DRIFT_DETECTOR] });
  const log = (obj: object, msg: string): void => host.logger.warn({ component: 'provision-drift', ...obj }, msg);
  const job = driftJobFromConfig(config, { env }, {
    gauge: (t, n, at) => host.metrics.provisioningDrift(t, n, at),
    change: async (c) => {
      if (c.type === 'failed') return log({}, `drift check failed: ${c.message}`);
      if (c.type === 'fired') log({ target: c.target, drifted: c.drifted }, `${c.target}: ${c.drifted} provisioned object(s) differ from the detectors\n${c.lines.join('\n')}`);
      else host.logger.info({ component: 'provision-drift', target: c.target }, `${c.target}: provisioned objects match the detectors again`);
      const ts = [driftTransition(c)];
      host.transitions?.(ts);
      await alerting?.accept(ts);
    },
  });
  host.scheduler.add(job.spec);
  return job;
}
