// The last line of defence before a payload leaves: every string in the rendered body goes
// through the secret screen (src/text/secrets.ts). Values were screened when the notification was
// built; this pass catches whatever a renderer added (a vendor's error text in a report, a
// description) and counts what it finds.
//
// Two shortcuts keep it cheap at thousands of notifications per second without weakening it:
// strings auditwatch generates in a fixed shape (notification ids, ISO timestamps) cannot hold
// anything else, and the screen of a short string is remembered (detector ids, field names and
// severities repeat in every message).
import { screen } from '../text/secrets.js';

export type RedactionSink = (rule: string, count: number) => void;

const GENERATED = /^(?:[agor]-[0-9a-f]{32}|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z)$/;
const MEMO_MAX_LENGTH = 200;
const MEMO_ENTRIES = 4096;
/** Short strings whose screen found nothing. */
const clean = new Set<string>();

function screenOne(v: string, onRedact: RedactionSink | undefined): string {
  if (GENERATED.test(v) || clean.has(v)) return v;
  const r = screen(v);
  if (r.hits.size === 0) {
    if (v.length <= MEMO_MAX_LENGTH) {
      if (clean.size >= MEMO_ENTRIES) clean.clear();
      clean.add(v);
    }
    return v;
  }
  if (onRedact !== undefined) for (const [rule, n] of r.hits) onRedact(rule, n);
  return r.text;
}

/** Returns a copy of a JSON-like value with every string screened; object keys are ours and kept. */
export function screenStrings<T>(value: T, onRedact: RedactionSink | undefined): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return screenOne(v, onRedact);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return walk(value) as T;
}
