// `auditwatch provision`: compile the detectors for Datadog and Elasticsearch, print the plan,
// and with --apply make it so. Dry run is the default.
//
// Exit codes (documented in README "Provisioning"):
//   0  nothing to change (or --apply made every change)
//   3  changes planned (dry run): something would be created, updated or deleted
//   1  a target failed (connection, credentials, an API error, a failed write)
//   2  bad usage or configuration, including a detector that cannot be compiled for a target
import type { Writable } from 'node:stream';
import { loadDetectors, type DetectorDef } from '../config/detectors.js';
import type { ProvisionSection } from '../config/sections/provision.js';
import { AuditwatchError } from '../errors.js';
import type { TargetName } from '../provision/model.js';
import type { Plan } from '../provision/plan.js';
import { renderPlan } from '../provision/render.js';
import { applyPlan, planTargets, problemsError, type ApplyResult } from '../provision/run.js';
import type { ProvisionTarget } from '../provision/target.js';
import { buildTargets, datadogHandles, type TargetDeps } from './provision-targets.js';

export const PROVISION_EXIT = { noChanges: 0, error: 1, usage: 2, changesPlanned: 3 } as const;

export interface ProvisionOptions {
  readonly detectorsDir: string;
  readonly routesFile: string | undefined;
  readonly section: ProvisionSection;
  readonly targets: readonly TargetName[];
  readonly apply: boolean;
  readonly prune: boolean;
  readonly deps: TargetDeps;
  readonly stdout: Writable;
  readonly stderr: Writable;
}

export interface PlannedRun {
  readonly plan: Plan;
  readonly notes: readonly string[];
}

/** Discovers and plans against ready-made targets; shared by the command and the drift job. */
export async function planWith(targets: readonly ProvisionTarget[], defs: readonly DetectorDef[], prune: boolean): Promise<PlannedRun> {
  const run = await planTargets(targets, defs, prune);
  if (run.problems.length > 0) throw problemsError(run.problems);
  return { plan: run.plan, notes: run.notes.map((n) => `${n.target}: ${n.note}`) };
}

export function applyWith(plan: Plan, targets: readonly ProvisionTarget[], say: (line: string) => void): Promise<ApplyResult> {
  return applyPlan(plan, targets, (e, error) => {
    const what = `${e.action} ${e.target}/${e.kind} ${e.key}`;
    say(error === undefined ? `  done    ${what}` : `  FAILED  ${what}: ${error.message}`);
  });
}

export async function provision(opts: ProvisionOptions): Promise<number> {
  const defs = loadDetectors(opts.detectorsDir);
  const handles = datadogHandles(opts.routesFile, opts.section);
  const targets = buildTargets({ names: opts.targets, section: opts.section, handles, deps: opts.deps });
  const say = (line: string): void => {
    opts.stdout.write(`${line}\n`);
  };
  try {
    say(`auditwatch provision (${opts.apply ? 'apply' : 'dry run'}): ${defs.length} detectors from ${opts.detectorsDir} → ${targets.map((t) => `${t.name} ${t.endpoint}`).join(', ')}`);
    const planned = await planWith(targets, defs, opts.prune);
    const { plan } = planned;
    const notes = [...planned.notes];
    if (opts.targets.includes('datadog') && handles.note !== undefined) notes.push(`datadog: ${handles.note}`);
    for (const n of notes) say(`note: ${n}`);
    say('');
    opts.stdout.write(renderPlan(plan, { mode: 'dry-run', footer: !opts.apply }));
    if (!opts.apply) return plan.hasChanges ? PROVISION_EXIT.changesPlanned : PROVISION_EXIT.noChanges;
    if (!plan.hasChanges) {
      say('nothing to apply');
      return PROVISION_EXIT.noChanges;
    }
    say('\napplying:');
    const result = await applyWith(plan, targets, say);
    if (result.failed.length > 0) {
      opts.stderr.write(`auditwatch provision: ${result.failed.length} of ${result.failed.length + result.applied.length} changes failed:\n${result.failed.map((f) => `  ${f.entry.target}/${f.entry.kind} ${f.entry.key}: ${f.error.message}\n`).join('')}`);
      return PROVISION_EXIT.error;
    }
    say(`applied ${result.applied.length} change${result.applied.length === 1 ? '' : 's'}; provisioning again now shows them unchanged`);
    return PROVISION_EXIT.noChanges;
  } finally {
    await Promise.allSettled(targets.map((t) => t.close()));
  }
}

/** Exit code for an error thrown out of `provision` (the CLI prints the message). */
export function provisionErrorExit(err: unknown): number {
  if (err instanceof AuditwatchError && (err.code === 'CONFIG_INVALID' || err.code === 'CONFIG_NOT_FOUND' || err.code === 'USAGE' || err.code === 'SECRET_MISSING')) return PROVISION_EXIT.usage;
  return PROVISION_EXIT.error;
}
