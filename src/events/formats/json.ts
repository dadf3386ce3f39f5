/*
 * Reading decoded JSON written by someone else. Messages are never used as maps through plain
 * property access: `msg[key]` would find `constructor`, `toString` or a polluted prototype member
 * where the message has no such field. Every read here goes through Object.hasOwn, so `__proto__`,
 * `constructor` and `prototype` keys in a message are ordinary data and absent keys are absent.
 */

export type JsonObject = { readonly [key: string]: unknown };

export function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The message's own property `key`, or undefined. */
export function own(o: unknown, key: string): unknown {
  return isObject(o) && Object.hasOwn(o, key) ? o[key] : undefined;
}

/** Own property chain: at(o, 'a', 'b') is o.a.b when every step is an own property. */
export function at(o: unknown, ...keys: readonly string[]): unknown {
  let v = o;
  for (const k of keys) {
    v = own(v, k);
    if (v === undefined) return undefined;
  }
  return v;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** A non-empty string, or a finite number written as a string (SQLite and some IdPs use integer ids). */
export function idString(v: unknown): string | undefined {
  if (typeof v === 'string') return v.length > 0 ? v : undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** An integer HTTP status given as a number or a numeric string. */
export function httpStatus(v: unknown): number | undefined {
  const n = typeof v === 'string' && /^\d{3}$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= 100 && n <= 599 ? n : undefined;
}

/**
 * A field path in configuration, `a.b.c`, compiled once. Lookup accepts both nested objects and
 * flattened keys that contain dots (`{"user.id": "x"}`, as some shippers write ECS), and any mix
 * (`{"user": {"id": "x"}}`, `{"client": {"user.id": "x"}}`): the longest literal key wins.
 */
export interface FieldPath {
  readonly text: string;
  readonly parts: readonly string[];
}

export function fieldPath(text: string): FieldPath {
  return { text, parts: text.split('.') };
}

function lookup(node: unknown, parts: readonly string[], from: number): unknown {
  if (from === parts.length) return node;
  if (!isObject(node)) return undefined;
  for (let to = parts.length; to > from; to--) {
    const key = to === from + 1 ? (parts[from] as string) : parts.slice(from, to).join('.');
    if (Object.hasOwn(node, key)) {
      const v = lookup(node[key], parts, to);
      if (v !== undefined) return v;
    }
  }
  return undefined;
}

export function get(o: unknown, path: FieldPath): unknown {
  return lookup(o, path.parts, 0);
}

/** The first path with a value for which `pick` returns something. */
export function first<T>(o: unknown, paths: readonly FieldPath[], pick: (v: unknown) => T | undefined): T | undefined {
  for (const p of paths) {
    const v = pick(get(o, p));
    if (v !== undefined) return v;
  }
  return undefined;
}
