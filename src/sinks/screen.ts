// The last line of defence before a payload leaves: every string in the rendered body goes
// through the secret screen (src/text/secrets.ts). Values were screened when the notification was
// built; this pass catches whatever a renderer added (a vendor's error text in a report, a
// description) and counts what it finds.
//
// Two shortcuts keep it cheap at thousands of notifications per second without weakening it:
// strings auditwatch generates in a fixed shape (notification ids, ISO timestamps) cannot hold
// anything else, and the screen of a short string is remembered (detector ids, field names and
// severities repeat in every message).
//
// Every redaction found here is also told to the redaction observers (`observeRedactions`): the
// app layer registers one that counts them in the metrics, labelled by rule and by where the
// payload was going (the sink kind). This module never imports prom-client.
import { screen } from '../text/secrets.js';

export type RedactionSink = (rule: string, count: number) => void;

/** `where`: the kind of sink whose payload it was (`slack`, `pagerduty`, ...), or `sink` when the caller did not say. */
export type RedactionObserver = (where: string, rule: string, count: number) => void;

/** What a payload is counted as when the sink does not pass its kind. */
export const UNNAMED_SINK = 'sink';

const observers = new Set<RedactionObserver>();

/**
 * Calls `fn` for every redaction the last-line screen makes in any sink payload of this process.
 * Returns the function that stops it. An observer that throws is ignored (delivery goes on).
 */
export function observeRedactions(fn: RedactionObserver): () => void {
  const entry: RedactionObserver = (where, rule, count) => fn(where, rule, count);
  observers.add(entry);
  return () => {
    observers.delete(entry);
  };
}

function tell(where: string, hits: ReadonlyMap<string, number>): void {
  for (const o of observers) {
    for (const [rule, n] of hits) {
      try {
        o(where, rule, n);
      } catch {
        // counting must never stop a notification
      }
    }
  }
}

const GENERATED = /^(?:[agor]-[0-9a-f]{32}|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z)$/;
const MEMO_MAX_LENGTH = 200;
const MEMO_ENTRIES = 4096;
/** Short strings whose screen found nothing. */
const clean = new Set<string>();

function screenOne(v: string, onRedact: RedactionSink | undefined, where: string): string {
  if (GENERATED.test(v) || clean.has(v)) return v;
  const r = screen(v);
  if (r.hits.size === 0) {
    if (v.length <= MEMO_MAX_LENGTH) {
      if (clean.size >= MEMO_ENTRIES) clean.clear();
      clean.add(v);
    }
    return v;
  }
  tell(where, r.hits);
  if (onRedact !== undefined) for (const [rule, n] of r.hits) onRedact(rule, n);
  return r.text;
}

/**
 * Returns a copy of a JSON-like value with every string screened; object keys are ours and kept.
 * `where` is the sink kind, for the redaction observers.
 */
export function screenStrings<T>(value: T, onRedact: RedactionSink | undefined, where: string = UNNAMED_SINK): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return screenOne(v, onRedact, where);
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
