// The plan as text for a person, in the manner of `terraform plan`: one line per object, the
// field-level diff under each update, the exactness of every compiled object, and a summary line.
// Live values come from remote systems anyone with access can edit, so every value is bounded and
// stripped of control characters before it reaches a terminal.
import { bound } from '../text/bound.js';
import { APPROXIMATIONS, type ApproximationCode, type Exactness, type Json } from './model.js';
import type { Plan, PlanEntry } from './plan.js';

const SYMBOL = { create: '+', update: '~', delete: '-', unchanged: '=', orphan: '?', skip: '.' } as const;
const MAX_VALUE = 300;

/** Strings as they are (quoted, control characters made visible); other values as JSON. */
function show(v: Json | undefined): string {
  if (v === undefined) return '(absent)';
  return typeof v === 'string' ? `"${bound(v, { max: MAX_VALUE })}"` : bound(JSON.stringify(v), { max: MAX_VALUE });
}

/** One line: exact (why, limits) or approximation (reason codes, details); codes are explained once below the plan. */
export function exactnessText(x: Exactness): string {
  if (x.kind === 'exact') return `exact: ${x.why}${x.limits.length > 0 ? `; limits: ${x.limits.join('; ')}` : ''}`;
  return `approximation (${x.reasons.join(', ')})${x.detail.length > 0 ? `: ${x.detail.join('; ')}` : ''}`;
}

function shortExactness(x: Exactness | undefined): string {
  if (x === undefined) return '';
  return x.kind === 'exact' ? 'exact' : `approximation: ${x.reasons.join(', ')}`;
}

function line(e: PlanEntry): string {
  const id = e.remoteId === undefined ? '' : ` (id ${bound(e.remoteId, { max: 80 })})`;
  const what = `${e.target}/${e.kind} ${bound(e.key, { max: 80 })}${id}`;
  const tail = e.action === 'skip' || e.action === 'orphan' || e.action === 'delete' ? (e.reason ?? '') : shortExactness(e.exactness);
  return `  ${SYMBOL[e.action]} ${e.action.padEnd(9)} ${what}${tail === '' ? '' : `  [${tail}]`}`;
}

export interface RenderOptions {
  readonly mode: 'dry-run' | 'apply';
  /** Print the full exactness notes of each compiled object (default true). */
  readonly notes?: boolean;
  /** End with the "--apply to make these changes" hint (default true in dry-run mode). */
  readonly footer?: boolean;
}

export function renderPlan(plan: Plan, opts: RenderOptions): string {
  const out: string[] = [];
  const order = ['create', 'update', 'delete', 'orphan', 'unchanged', 'skip'] as const;
  for (const action of order) {
    for (const e of plan.entries.filter((x) => x.action === action)) {
      out.push(line(e));
      if (e.action === 'create' && e.desired !== undefined) out.push(`      title: ${bound(e.desired.title, { max: MAX_VALUE })}`);
      for (const c of e.changes) out.push(`      ~ ${c.path}: ${show(c.before)} → ${show(c.after)}`);
    }
  }
  if (opts.notes ?? true) {
    const noted = plan.entries.filter((e) => e.exactness !== undefined && e.desired !== undefined);
    if (noted.length > 0) {
      out.push('', 'Exactness of each compiled object against the in-stream detector:');
      const codes = new Set<ApproximationCode>();
      for (const e of noted) {
        if (e.exactness === undefined) continue;
        out.push(`  ${e.target}/${e.kind} ${e.key}: ${exactnessText(e.exactness)}`);
        if (e.exactness.kind === 'approximation') for (const r of e.exactness.reasons) codes.add(r);
      }
      if (codes.size > 0) out.push('Approximations:', ...[...codes].sort().map((c) => `  ${c}: ${APPROXIMATIONS[c]}`));
    }
  }
  const c = plan.counts;
  const verb = opts.mode === 'apply' ? 'Applied' : 'Plan';
  out.push(
    '',
    `${verb}: ${c.create} to create, ${c.update} to update, ${c.delete} to delete, ${c.unchanged} unchanged, ${c.skip} skipped, ${c.orphan} orphaned.` +
      (opts.mode === 'dry-run' && (opts.footer ?? true) && plan.hasChanges ? ' Run with --apply to make these changes.' : ''),
  );
  return out.join('\n') + '\n';
}
