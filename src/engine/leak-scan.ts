import type { LeakDef } from '../config/detectors.js';
import { bound } from '../text/bound.js';
import { containsCredential, screen, SECRET_RULES, type SecretRule } from '../text/secrets.js';

/*
 * Finds the first sign that an event was not scrubbed: a deny-listed field name carrying a value,
 * or a string value that matches a credential rule of the secret screen. It runs on every
 * accepted event when a leak detector is configured, so the common case — nothing to find — is
 * kept cheap: field names are looked up in a small per-detector cache, and a string reaches
 * containsCredential() (several microseconds) only when it contains one of the credential rules'
 * keywords, which a single pass over its characters decides.
 */

/** A leak as found: the path as segments (rendered only when an alert needs it) and the rule. */
export interface LeakFinding {
  readonly segments: readonly (string | number)[];
  readonly rule: string;
}

/** Where a leak was found and what matched; never the value. */
export interface LeakEvidence {
  /** Field path in the decoded message, screened and bounded (a key name may itself be a secret). */
  readonly path: string;
  /** `field-name` for a deny-listed name, else the name of the credential rule that matched. */
  readonly rule: string;
}

export const FIELD_NAME_RULE = 'field-name';
const MAX_PATH = 200;

// ---------------------------------------------------------------------------------------------
// Keyword pre-filter. containsCredential(s) only runs a rule when the lower-cased text contains
// one of the rule's keywords, and every credential rule has keywords, so "no keyword of any
// credential rule occurs in s" implies containsCredential(s) === undefined. For ASCII text the
// lower-casing is exact per character; a string with any non-ASCII character skips the filter.

const LOWER = new Uint8Array(128);
for (let c = 0; c < 128; c++) LOWER[c] = c >= 65 && c <= 90 ? c + 32 : c;

/** Keywords by their first two (lower-case ASCII) characters: index c1 << 7 | c2. */
const BY_BIGRAM: (readonly string[] | undefined)[] = new Array<readonly string[] | undefined>(1 << 14);

function buildFilter(): boolean {
  const keywords = new Set<string>();
  const rules: readonly SecretRule[] = SECRET_RULES;
  for (const rule of rules) {
    if (rule.kind !== 'credential') continue;
    if (rule.keywords.length === 0) return false; // a rule that always runs: no filter is sound
    for (const k of rule.keywords) keywords.add(k);
  }
  for (const k of keywords) {
    // eslint-disable-next-line no-control-regex
    if (k.length < 2 || !/^[\x00-\x7f]*$/.test(k) || k !== k.toLowerCase()) return false;
    const i = (k.charCodeAt(0) << 7) | k.charCodeAt(1);
    BY_BIGRAM[i] = [...(BY_BIGRAM[i] ?? []), k];
  }
  return true;
}
const FILTER_SOUND = buildFilter();

function keywordAt(s: string, at: number, keywords: readonly string[]): boolean {
  for (const k of keywords) {
    if (at + k.length > s.length) continue;
    let j = 2;
    for (; j < k.length; j++) {
      const c = s.charCodeAt(at + j);
      if (c >= 128 || LOWER[c] !== k.charCodeAt(j)) break;
    }
    if (j === k.length) return true;
  }
  return false;
}

/** False only when `s` certainly contains no credential-rule keyword (so no credential). */
export function mayContainCredential(s: string): boolean {
  if (!FILTER_SOUND) return true;
  const n = s.length;
  if (n < 2) return false;
  let prev = s.charCodeAt(0);
  if (prev >= 128) return true;
  prev = LOWER[prev] as number;
  for (let i = 1; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128) return true;
    const lc = LOWER[c] as number;
    const ks = BY_BIGRAM[(prev << 7) | lc];
    if (ks !== undefined && keywordAt(s, i - 1, ks)) return true;
    prev = lc;
  }
  return false;
}

/** The credential rule matching `s`, or undefined; the same answer as containsCredential, faster. */
export function credentialRule(s: string): string | undefined {
  return mayContainCredential(s) ? containsCredential(s) : undefined;
}

// ---------------------------------------------------------------------------------------------

// Values that show the emitter did scrub the field: nothing, or a redaction placeholder.
const PLACEHOLDER = /^(?:\[?(?:redacted|filtered|masked|hidden|removed|scrubbed|omitted|secret)(?::[\w-]*)?\]?|<(?:redacted|secret|hidden|masked|filtered)>|\*+|x{3,}|\.{3}|\u2026)$/i;

/** Whether a deny-listed field actually carries something (a scrubbed or empty field does not). */
export function carriesValue(v: unknown): boolean {
  if (typeof v === 'string') {
    const t = v.trim();
    return t !== '' && !PLACEHOLDER.test(t);
  }
  if (typeof v === 'number') return true;
  if (Array.isArray(v)) return v.length > 0;
  if (v !== null && typeof v === 'object') return Object.keys(v).length > 0;
  return false;
}

const IDENT = /^[A-Za-z_$@][\w$@-]*$/;

export function evidenceOf(f: LeakFinding): LeakEvidence {
  return { path: renderPath(f.segments), rule: f.rule };
}

/** `a.b[0]["odd key"]`, screened for secrets (a key name can be one) and bounded. */
export function renderPath(segments: readonly (string | number)[]): string {
  let p = '';
  for (const s of segments) {
    if (typeof s === 'number') p += `[${s}]`;
    else if (IDENT.test(s)) p += p === '' ? s : `.${s}`;
    else p += `[${JSON.stringify(s)}]`;
  }
  return bound(screen(p === '' ? '(message)' : p).text, { max: MAX_PATH });
}

export interface LeakPlan {
  readonly denyFields: ReadonlySet<string>;
  readonly allowPaths: ReadonlySet<string>;
  readonly checkValues: boolean;
  /** Objects nested deeper are not inspected (decoded messages are already limited in depth). */
  readonly maxDepth: number;
}

export function leakPlan(def: Pick<LeakDef, 'denyFields' | 'allowPaths' | 'checkValues'>, maxDepth = 32): LeakPlan {
  return { denyFields: def.denyFields, allowPaths: def.allowPaths, checkValues: def.checkValues, maxDepth };
}

const KEY_CACHE_LIMIT = 4096;

/**
 * One scanner per detector. Traversal is depth-first in the message's own key order, a field's
 * name before its value, so "the first leak" is well defined; scanning stops there.
 */
export class LeakScanner {
  private readonly path: (string | number)[] = [];
  private readonly keyCache = new Map<string, boolean>();
  private readonly minKey: number;
  private readonly maxKey: number;

  constructor(private readonly plan: LeakPlan) {
    const lengths = [...plan.denyFields].map((f) => f.length);
    this.minKey = lengths.length > 0 ? Math.min(...lengths) : Infinity;
    this.maxKey = lengths.length > 0 ? Math.max(...lengths) : -1;
  }

  find(message: unknown): LeakFinding | undefined {
    this.path.length = 0;
    return this.value(message, 0);
  }

  private value(v: unknown, depth: number): LeakFinding | undefined {
    if (typeof v === 'string') {
      if (!this.plan.checkValues) return undefined;
      const rule = credentialRule(v);
      return rule === undefined ? undefined : this.evidence(rule);
    }
    if (v === null || typeof v !== 'object' || depth >= this.plan.maxDepth) return undefined;
    return Array.isArray(v) ? this.array(v, depth + 1) : this.object(v as Record<string, unknown>, depth + 1);
  }

  private array(a: readonly unknown[], depth: number): LeakFinding | undefined {
    const p = this.path;
    for (let i = 0; i < a.length; i++) {
      p.push(i);
      const f = this.value(a[i], depth);
      p.pop();
      if (f !== undefined) return f;
    }
    return undefined;
  }

  private object(o: Record<string, unknown>, depth: number): LeakFinding | undefined {
    const p = this.path;
    // Object.keys lists own keys only; `o[k]` of an own key (even "__proto__") is that own value.
    for (const k of Object.keys(o)) {
      const v = o[k];
      p.push(k);
      const f = this.denied(k) && carriesValue(v) && !this.allowed() ? this.evidence(FIELD_NAME_RULE) : this.value(v, depth);
      p.pop();
      if (f !== undefined) return f;
    }
    return undefined;
  }

  private denied(key: string): boolean {
    if (key.length < this.minKey || key.length > this.maxKey) return false;
    let d = this.keyCache.get(key);
    if (d === undefined) {
      d = this.plan.denyFields.has(key.toLowerCase());
      if (this.keyCache.size < KEY_CACHE_LIMIT) this.keyCache.set(key, d);
    }
    return d;
  }

  private allowed(): boolean {
    if (this.plan.allowPaths.size === 0) return false;
    return this.plan.allowPaths.has(this.path.filter((s) => typeof s === 'string').join('.'));
  }

  private evidence(rule: string): LeakFinding {
    return { segments: this.path.slice(), rule };
  }
}
