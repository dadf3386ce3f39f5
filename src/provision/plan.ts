// The plan: what to do on each target so it matches the compiled detectors. Pure: desired objects
// and live objects in, entries out. Only fields auditwatch owns are compared (both sides are
// projected to them before they get here), so a person's own additions never show up as drift.
import { diffOwned, type FieldChange } from './diff.js';
import type { DesiredObject, Exactness, LiveObject, ObjectKind, Skipped, TargetName } from './model.js';

export const ACTIONS = ['create', 'update', 'delete', 'unchanged', 'orphan', 'skip'] as const;
export type Action = (typeof ACTIONS)[number];

export interface PlanEntry {
  readonly action: Action;
  readonly target: TargetName;
  readonly kind: ObjectKind;
  readonly key: string;
  readonly detector: string | undefined;
  readonly title: string;
  readonly remoteId: string | undefined;
  /** For update: the field-level diff (live → desired). */
  readonly changes: readonly FieldChange[];
  readonly exactness: Exactness | undefined;
  /** Why it is skipped, orphaned or deleted. */
  readonly reason: string | undefined;
  readonly desired: DesiredObject | undefined;
  readonly live: LiveObject | undefined;
}

export interface Plan {
  readonly entries: readonly PlanEntry[];
  readonly counts: Readonly<Record<Action, number>>;
  /** Something would be created, updated or deleted. */
  readonly hasChanges: boolean;
}

export interface PlanInput {
  readonly desired: readonly DesiredObject[];
  readonly skipped: readonly Skipped[];
  readonly live: readonly LiveObject[];
  /** Delete managed objects no detector compiles to (otherwise they are listed as orphans). */
  readonly prune: boolean;
}

function identity(o: { target: string; kind: string; key: string }): string {
  return `${o.target}\u0000${o.kind}\u0000${o.key}`;
}

function entry(action: Action, base: DesiredObject | LiveObject, extra: Partial<PlanEntry>): PlanEntry {
  return {
    action,
    target: base.target,
    kind: base.kind,
    key: base.key,
    detector: 'detector' in base ? base.detector : undefined,
    title: base.title,
    remoteId: undefined,
    changes: [],
    exactness: undefined,
    reason: undefined,
    desired: undefined,
    live: undefined,
    ...extra,
  };
}

/** Numeric ids sort numerically (oldest Datadog monitor first), names alphabetically. */
function byId(a: LiveObject, b: LiveObject): number {
  const na = Number(a.id);
  const nb = Number(b.id);
  return Number.isFinite(na) && Number.isFinite(nb) ? na - nb : a.id.localeCompare(b.id);
}

export function buildPlan(input: PlanInput): Plan {
  const liveById = new Map<string, LiveObject[]>();
  for (const l of [...input.live].sort(byId)) {
    const k = identity(l);
    const list = liveById.get(k);
    if (list === undefined) liveById.set(k, [l]);
    else list.push(l);
  }
  const entries: PlanEntry[] = [];
  const seen = new Set<string>();
  for (const d of input.desired) {
    const k = identity(d);
    seen.add(k);
    const [live, ...twins] = liveById.get(k) ?? [];
    if (live === undefined) {
      entries.push(entry('create', d, { exactness: d.exactness, desired: d }));
    } else {
      const changes = diffOwned(live.owned, d.owned);
      entries.push(entry(changes.length === 0 ? 'unchanged' : 'update', d, { remoteId: live.id, changes, exactness: d.exactness, desired: d, live }));
    }
    for (const t of twins) entries.push(removal(t, `duplicate of ${live?.id ?? '?'} for the same detector`, input.prune));
  }
  for (const [k, list] of liveById) {
    if (seen.has(k)) continue;
    for (const l of list) entries.push(removal(l, 'no detector compiles to it any more', input.prune));
  }
  for (const s of input.skipped) {
    entries.push({ action: 'skip', target: s.target, kind: s.kind, key: s.detector ?? '', detector: s.detector, title: s.detector ?? s.kind, remoteId: undefined, changes: [], exactness: undefined, reason: s.reason, desired: undefined, live: undefined });
  }
  const counts = Object.fromEntries(ACTIONS.map((a) => [a, 0])) as Record<Action, number>;
  for (const e of entries) counts[e.action]++;
  return { entries, counts, hasChanges: counts.create + counts.update + counts.delete > 0 };
}

function removal(l: LiveObject, why: string, prune: boolean): PlanEntry {
  return entry(prune ? 'delete' : 'orphan', l, {
    remoteId: l.id,
    reason: prune ? why : `${why} (kept; --prune deletes it)`,
    live: l,
    detector: l.kind === 'index-template' ? undefined : l.key,
  });
}
