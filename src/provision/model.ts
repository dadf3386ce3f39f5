// The vocabulary of provisioning, shared by the compilers, the planner and the target adapters.
// Everything here is plain data: a compiled object is JSON that can be diffed, hashed and printed.

export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };
export type JsonObject = { readonly [key: string]: Json };

export const TARGET_NAMES = ['datadog', 'elasticsearch'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

/** What kind of remote object: each target owns a few. */
export type ObjectKind = 'monitor' | 'siem-rule' | 'index-template' | 'search-template' | 'watch';

/**
 * Why a compiled object may disagree with the engine. Each code is something `provision verify`
 * can recognise in a difference, so "the differences are exactly the declared ones" is checkable.
 */
export const APPROXIMATIONS = {
  'scheduled-evaluation': 'evaluated on a schedule over a window ending at the evaluation time, not at every event: a count above the threshold between two evaluations can be missed, and fire/resolve times are evaluation times',
  'top-values': 'grouping by several fields tracks only the top values of each field, so a key outside them is not evaluated',
  'missing-field-group': 'events missing an optional group-by field are not grouped like the engine’s null key',
  'streak-as-window-count': 'a streak has no equivalent here: it is approximated by "more than N matching events in the last streakWindow"',
  'reset-in-window': 'the windowed count ignores resets: a key whose streak was reset inside the window can still be counted above the threshold',
  'streak-longer-than-window': 'a streak that started before the window is counted only for its part inside the window',
  'window-rounded': 'the window is rounded up to the nearest evaluation window the platform accepts',
} as const;
export type ApproximationCode = keyof typeof APPROXIMATIONS;

/** Exact objects may still have limits (bounds within which exactness holds); approximations list reasons. */
export type Exactness =
  | { readonly kind: 'exact'; readonly why: string; readonly limits: readonly string[] }
  | { readonly kind: 'approximation'; readonly reasons: readonly ApproximationCode[]; readonly detail: readonly string[] };

/** One object auditwatch wants to exist on a target, reduced to the fields it owns. */
export interface DesiredObject {
  readonly target: TargetName;
  readonly kind: ObjectKind;
  /** Identity within (target, kind): the detector id, or a fixed name for shared objects. */
  readonly key: string;
  /** The detector it comes from; undefined for shared objects (the index template). */
  readonly detector: string | undefined;
  /** Human name shown in the plan (`auditwatch-rate-limit-burst`, a monitor name...). */
  readonly title: string;
  /** The fields auditwatch owns, canonical (sorted keys, API field names). */
  readonly owned: JsonObject;
  /** Short hash of `owned`, written to the object (tag or metadata) as its revision. */
  readonly revision: string;
  readonly exactness: Exactness;
}

/** One object found on a target that auditwatch manages (tagged, or named, by auditwatch). */
export interface LiveObject {
  readonly target: TargetName;
  readonly kind: ObjectKind;
  readonly key: string;
  /** Remote id (a Datadog monitor id, an Elasticsearch name). */
  readonly id: string;
  readonly title: string;
  /** The same projection of fields as DesiredObject.owned, from what the API returned. */
  readonly owned: JsonObject;
}

/** A detector (or one of its objects) that a target cannot represent: listed in the plan, never an error. */
export interface Skipped {
  readonly target: TargetName;
  readonly kind: ObjectKind;
  readonly detector: string | undefined;
  readonly reason: string;
}

/** A detector the target should represent but cannot as written (e.g. a 3d window for Datadog). */
export interface CompileProblem {
  readonly target: TargetName;
  readonly kind: ObjectKind;
  readonly detector: string;
  readonly file: string;
  readonly message: string;
}

export interface CompileResult {
  readonly objects: readonly DesiredObject[];
  readonly skipped: readonly Skipped[];
  readonly problems: readonly CompileProblem[];
}

export function emptyResult(): { objects: DesiredObject[]; skipped: Skipped[]; problems: CompileProblem[] } {
  return { objects: [], skipped: [], problems: [] };
}
