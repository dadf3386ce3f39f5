// Plan and apply across targets. Compile problems stop everything before a single write: a plan
// is applied whole or not at all as far as auditwatch can tell in advance. Writes run in
// dependency order (the index template and the search templates before the watches that use
// them; deletions the other way round); one failed write does not stop the independent others.
import type { DetectorDef } from '../config/detectors.js';
import { AuditwatchError } from '../errors.js';
import type { CompileProblem, ObjectKind, TargetName } from './model.js';
import { buildPlan, type Plan, type PlanEntry } from './plan.js';
import type { ProvisionTarget } from './target.js';

export interface PlanRun {
  readonly plan: Plan;
  readonly problems: readonly CompileProblem[];
  /** What each target said about itself (license, languages, SIEM availability). */
  readonly notes: readonly { target: TargetName; note: string }[];
}

export async function planTargets(targets: readonly ProvisionTarget[], defs: readonly DetectorDef[], prune: boolean): Promise<PlanRun> {
  const desired = [];
  const skipped = [];
  const live = [];
  const problems: CompileProblem[] = [];
  const notes: { target: TargetName; note: string }[] = [];
  for (const t of targets) {
    const discovery = await t.discover();
    const compiled = t.compile(defs);
    desired.push(...compiled.objects);
    skipped.push(...compiled.skipped);
    problems.push(...compiled.problems);
    live.push(...discovery.live);
    for (const note of discovery.notes) notes.push({ target: t.name, note });
  }
  return { plan: buildPlan({ desired, skipped, live, prune }), problems, notes };
}

export function problemsError(problems: readonly CompileProblem[]): AuditwatchError {
  const lines = problems.map((p) => `${p.file}: detector "${p.detector}" cannot be compiled for ${p.target} (${p.kind}): ${p.message}`);
  const first = problems[0];
  return new AuditwatchError('CONFIG_INVALID', lines.join('\n'), { detector: first?.detector, target: first?.target, file: first?.file, problems: problems.length });
}

const WRITE_ORDER: readonly ObjectKind[] = ['index-template', 'search-template', 'watch', 'monitor', 'siem-rule'];

function order(e: PlanEntry): number {
  const k = WRITE_ORDER.indexOf(e.kind);
  return e.action === 'delete' ? 100 + (WRITE_ORDER.length - k) : k;
}

export interface ApplyFailure {
  readonly entry: PlanEntry;
  readonly error: Error;
}

export interface ApplyResult {
  readonly applied: readonly PlanEntry[];
  readonly failed: readonly ApplyFailure[];
}

export async function applyPlan(plan: Plan, targets: readonly ProvisionTarget[], onDone?: (e: PlanEntry, error: Error | undefined) => void): Promise<ApplyResult> {
  const byName = new Map(targets.map((t) => [t.name, t]));
  const applied: PlanEntry[] = [];
  const failed: ApplyFailure[] = [];
  const work = plan.entries.filter((e) => e.action === 'create' || e.action === 'update' || e.action === 'delete').sort((a, b) => order(a) - order(b));
  for (const e of work) {
    const t = byName.get(e.target);
    try {
      if (t === undefined) throw new AuditwatchError('INTERNAL', `no target ${e.target}`);
      if (e.action === 'create' && e.desired !== undefined) await t.create(e.desired);
      else if (e.action === 'update' && e.desired !== undefined && e.live !== undefined) await t.update(e.desired, e.live);
      else if (e.action === 'delete' && e.live !== undefined) await t.remove(e.live);
      applied.push(e);
      onDone?.(e, undefined);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      failed.push({ entry: e, error });
      onDone?.(e, error);
    }
  }
  return { applied, failed };
}
