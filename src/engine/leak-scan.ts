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
// One pass, one table load per character: BIGRAM holds, for every upper/lower-case spelling of
// the first two characters of a keyword, 1 + the index of the keywords starting with them.

const LOWER = new Uint8Array(128);
for (let c = 0; c < 128; c++) LOWER[c] = c >= 65 && c <= 90 ? c + 32 : c;
const BIGRAM = new Uint16Array(1 << 14);
const KEYWORDS_BY_BIGRAM: string[][] = [[]];

function spellings(c: string): string[] {
  return c.toUpperCase() !== c ? [c, c.toUpperCase()] : [c];
}

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
    for (const a of spellings(k[0] as string)) {
      for (const b of spellings(k[1] as string)) {
        const i = (a.charCodeAt(0) << 7) | b.charCodeAt(0);
        if (BIGRAM[i] === 0) {
          BIGRAM[i] = KEYWORDS_BY_BIGRAM.length;
          KEYWORDS_BY_BIGRAM.push([]);
        }
        KEYWORDS_BY_BIGRAM[BIGRAM[i] as number]?.push(k);
      }
    }
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
  for (let i = 1; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128) return true;
    const b = BIGRAM[(prev << 7) | c] as number;
    if (b !== 0 && keywordAt(s, i - 1, KEYWORDS_BY_BIGRAM[b] as string[])) return true;
    prev = c;
  }
  return false;
}

/** The credential rule matching `s`, or undefined; the same answer as containsCredential, faster. */
export function credentialRule(s: string): string | undefined {
  return mayContainCredential(s) ? containsCredential(s) : undefined;
}

// ---------------------------------------------------------------------------------------------

// Values that show the emitter did scrub the field: nothing, or a redaction placeholder.
// ("secret" counts only in brackets: a bare "secret" is more likely a poor password than a mask.)
const PLACEHOLDER = /^(?:\[(?:redacted|filtered|masked|hidden|removed|scrubbed|omitted|secret)(?::[\w-]*)?\]|(?:redacted|filtered|masked|hidden|removed|scrubbed|omitted)(?::[\w-]*)?|<(?:redacted|secret|hidden|masked|filtered)>|\*+|x{3,}|\.{3}|\u2026)$/i;

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

/** Whether Object.prototype has enumerable members, which for-in would list on every object. */
function prototypeHasEnumerables(): boolean {
  for (const _ in Object.prototype) return true;
  return false;
}

const KEY_CACHE_LIMIT = 4096;
const MAX_SHAPE_LENGTH = 64;

/**
 * One scanner per detector. Traversal is depth-first in the message's own key order, a field's
 * name before its value, so "the first leak" is well defined; scanning stops there. The path is
 * only tracked across nested containers (a flat message costs no bookkeeping per field).
 */
export class LeakScanner {
  /** Keys and indexes leading to the container being scanned. */
  private readonly path: (string | number)[] = [];
  private ownCheck = true;
  private readonly keyCache = new Map<string, boolean>();
  /**
   * (length, lower-cased first character) of every deny-listed name: most field names are ruled
   * out by one table load, without lower-casing or hashing them.
   */
  private readonly shapes = new Uint8Array(MAX_SHAPE_LENGTH * 128);
  private readonly anyNonAsciiStart: boolean;

  constructor(private readonly plan: LeakPlan) {
    let nonAscii = false;
    for (const f of plan.denyFields) {
      const c = f.charCodeAt(0);
      if (c >= 128 || f.length >= MAX_SHAPE_LENGTH) nonAscii = true;
      else this.shapes[f.length * 128 + (LOWER[c] as number)] = 1;
    }
    this.anyNonAsciiStart = nonAscii;
  }

  find(message: unknown): LeakFinding | undefined {
    this.path.length = 0;
    this.ownCheck = prototypeHasEnumerables();
    if (typeof message === 'string') return this.inString(message, undefined);
    if (message === null || typeof message !== 'object') return undefined;
    return Array.isArray(message) ? this.array(message, 1) : this.object(message as Record<string, unknown>, 1);
  }

  private inString(s: string, last: string | number | undefined): LeakFinding | undefined {
    if (!this.plan.checkValues || !mayContainCredential(s)) return undefined;
    const rule = containsCredential(s);
    return rule === undefined ? undefined : this.finding(last, rule);
  }

  private child(v: object, last: string | number, depth: number): LeakFinding | undefined {
    if (depth >= this.plan.maxDepth) return undefined;
    const p = this.path;
    p.push(last);
    const f = Array.isArray(v) ? this.array(v, depth + 1) : this.object(v as Record<string, unknown>, depth + 1);
    p.pop();
    return f;
  }

  private array(a: readonly unknown[], depth: number): LeakFinding | undefined {
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      const f = typeof v === 'string' ? this.inString(v, i) : v !== null && typeof v === 'object' ? this.child(v, i, depth) : undefined;
      if (f !== undefined) return f;
    }
    return undefined;
  }

  private object(o: Record<string, unknown>, depth: number): LeakFinding | undefined {
    for (const k in o) {
      // Own keys only: a polluted prototype adds nothing, and `o[k]` of an own "__proto__" is that
      // own value. (Decoded JSON inherits nothing enumerable unless Object.prototype was polluted,
      // so the per-key check is only paid then.)
      if (this.ownCheck && !Object.hasOwn(o, k)) continue;
      const v = o[k];
      if (this.denied(k) && carriesValue(v) && !this.allowed(k)) return this.finding(k, FIELD_NAME_RULE);
      const f = typeof v === 'string' ? this.inString(v, k) : v !== null && typeof v === 'object' ? this.child(v, k, depth) : undefined;
      if (f !== undefined) return f;
    }
    return undefined;
  }

  private denied(key: string): boolean {
    const c = key.charCodeAt(0);
    if (!this.anyNonAsciiStart && (c >= 128 || key.length >= MAX_SHAPE_LENGTH || this.shapes[key.length * 128 + (LOWER[c] as number)] === 0)) return false;
    let d = this.keyCache.get(key);
    if (d === undefined) {
      d = this.plan.denyFields.has(key.toLowerCase());
      if (this.keyCache.size < KEY_CACHE_LIMIT) this.keyCache.set(key, d);
    }
    return d;
  }

  private allowed(key: string): boolean {
    if (this.plan.allowPaths.size === 0) return false;
    return this.plan.allowPaths.has([...this.path.filter((s) => typeof s === 'string'), key].join('.'));
  }

  private finding(last: string | number | undefined, rule: string): LeakFinding {
    return { segments: last === undefined ? this.path.slice() : [...this.path, last], rule };
  }
}
