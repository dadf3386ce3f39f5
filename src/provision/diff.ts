// Field-level diff of two JSON values, as paths: `options.thresholds.critical: 100 → 50`. Arrays of
// scalars (tags, index patterns) are compared as a whole so a reordering is not reported twice.
import { canonicalText } from './canonical.js';
import type { Json, JsonObject } from './model.js';

export interface FieldChange {
  /** Dotted path; array positions as [i]. */
  readonly path: string;
  /** undefined: the field is absent on that side. */
  readonly before: Json | undefined;
  readonly after: Json | undefined;
}

function isObject(v: Json | undefined): v is JsonObject {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function walk(path: string, before: Json | undefined, after: Json | undefined, out: FieldChange[]): void {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const k of keys) walk(join(path, k), before[k], after[k], out);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length && before.some((v) => typeof v === 'object' && v !== null)) {
    // Arrays of objects (aggregation lists, SIEM queries): element by element, so the change is precise.
    before.forEach((b, i) => walk(`${path}[${i}]`, b, after[i], out));
    return;
  }
  const same = before !== undefined && after !== undefined && canonicalText(before) === canonicalText(after);
  if (!same && !(before === undefined && after === undefined)) out.push({ path: path === '' ? '(whole object)' : path, before, after });
}

/** Changes needed to turn `live` into `desired`, sorted by path. */
export function diffOwned(live: JsonObject, desired: JsonObject): FieldChange[] {
  const out: FieldChange[] = [];
  walk('', live, desired, out);
  return out;
}
