// The last line of defence before a payload leaves: every string in the rendered body goes
// through the secret screen (src/text/secrets.ts). Values were screened when the notification was
// built; this pass catches whatever a renderer added (a vendor's error text in a report, a
// description) and counts what it finds.
import { screen } from '../text/secrets.js';

export type RedactionSink = (rule: string, count: number) => void;

/** Returns a copy of a JSON-like value with every string screened; object keys are ours and kept. */
export function screenStrings<T>(value: T, onRedact: RedactionSink | undefined): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const r = screen(v);
      if (onRedact !== undefined) for (const [rule, n] of r.hits) onRedact(rule, n);
      return r.text;
    }
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
