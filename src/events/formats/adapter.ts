import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { Outcome } from '../audit-event.js';
import { rejection, type Rejection } from '../rejection.js';
import { formatTimestamp, parseTimestamp } from '../timestamp.js';
import type { JsonObject } from './json.js';

/** The canonical fields, as an adapter maps them; the canonical schema validates them afterwards. */
export interface Candidate {
  callerId?: unknown;
  tool?: unknown;
  outcome?: unknown;
  timestamp?: unknown;
  sessionId?: unknown;
  argsHash?: unknown;
  argsSize?: unknown;
  errorType?: unknown;
  durationMs?: unknown;
  serverVersion?: unknown;
}

export type CanonicalField = keyof Candidate;

/**
 * A mapped message. `original` replaces the message as the event's decoded original when the
 * adapter decoded more of it (a JSON object inside a string field), so that the leak detector
 * sees the field names inside.
 */
export type Mapped = { readonly ok: true; readonly candidate: Candidate; readonly original?: unknown } | { readonly ok: false; readonly rejection: Rejection };

/**
 * One input format. `detect` must be cheap (a few own-property checks): `auto` calls the detectors
 * of every format in table order until one claims the message. `map` never throws; a message it
 * cannot map is a Rejection with a reason from REJECTION_REASONS.
 */
export interface FormatAdapter<O> {
  readonly description: string;
  /** The adapter's options; `{}` must parse to the defaults. */
  readonly options: z.ZodType<O>;
  /** Where each canonical field comes from (README table, rejection details). */
  readonly sources: Readonly<Partial<Record<CanonicalField, string>>>;
  detect(msg: JsonObject): boolean;
  map(msg: JsonObject, options: O): Mapped;
}

/** Same type, spelled out so each adapter file gets its options type checked. */
export function defineFormat<O>(adapter: FormatAdapter<O>): FormatAdapter<O> {
  return adapter;
}

export function mapped(candidate: Candidate, original?: unknown): Mapped {
  // Absent fields stay absent (not `undefined` members): the canonical validation reports
  // missing-field:<f> only for fields the candidate does not have.
  const c: Candidate = {};
  for (const [k, v] of Object.entries(candidate) as [CanonicalField, unknown][]) if (v !== undefined) c[k] = v;
  return original === undefined ? { ok: true, candidate: c } : { ok: true, candidate: c, original };
}

export function rejected(reason: string, detail: string): Mapped {
  return { ok: false, rejection: rejection(reason, detail) };
}

/**
 * Outcome of an HTTP status. Gateways rarely report rate limiting as its own outcome, but 429 is
 * unambiguous (RFC 6585 §4); 401/403 are authentication/authorization refusals. JSON-RPC error
 * codes are deliberately not mapped: their meaning differs between servers.
 */
export function outcomeForStatus(status: number): Outcome {
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'denied';
  if (status >= 400) return 'error';
  return 'success';
}

/**
 * The only trace of tool arguments auditwatch keeps: a SHA-256 prefix and the byte size. Strings
 * are hashed as they are (redisctl logs arguments as JSON text); other values as their JSON.
 */
export function argsDigest(v: unknown): { argsHash: string; argsSize: number } | undefined {
  if (v === undefined || v === null) return undefined;
  const bytes = Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8');
  return { argsHash: `sha256:${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}`, argsSize: bytes.length };
}

const NAIVE_SQL = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?$/;

/**
 * A timestamp in the forms producers actually write: RFC 3339 with a zone (kept as is), epoch
 * milliseconds or seconds (numbers), and — only when `naiveIsUtc` — SQL's zone-less
 * `YYYY-MM-DD HH:MM:SS`, which SQLite's CURRENT_TIMESTAMP and datetime('now') write in UTC.
 * Anything else is returned unchanged so that validation reports it (`bad-timestamp` or `bad-field`).
 */
export function normaliseTimestamp(v: unknown, naiveIsUtc = false): unknown {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) {
    // Epoch seconds until the year 5138; milliseconds from 1973 on.
    const ms = v < 1e11 ? Math.round(v * 1000) : Math.round(v);
    return ms <= 8.64e15 ? formatTimestamp(ms) : v;
  }
  if (typeof v === 'string' && naiveIsUtc && NAIVE_SQL.test(v)) {
    const utc = `${v}Z`;
    return parseTimestamp(utc) === undefined ? v : utc;
  }
  return v;
}
