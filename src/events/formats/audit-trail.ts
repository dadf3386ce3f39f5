import { z } from 'zod';
import type { Outcome } from '../audit-event.js';
import { DEFAULT_LIMITS, exceedsDepth } from '../limits.js';
import { defineFormat, mapped, normaliseTimestamp, outcomeForStatus, rejected } from './adapter.js';
import { httpStatus, idString, isObject, num, own, str } from './json.js';

// The SQLite audit-trail pattern: one table (timestamp, event_type, user_id, resource, action,
// success, details, ip_address) exported as JSON lines (`sqlite3 -json`, or a script). SQLite has
// no boolean or datetime type, so `success` is 0/1 and `timestamp` is usually CURRENT_TIMESTAMP's
// zone-less `YYYY-MM-DD HH:MM:SS` in UTC; `details` is free text, often a JSON object.

const lowerList = (defaults: readonly string[]) =>
  z
    .array(z.string().min(1))
    .default([...defaults])
    .transform((xs) => new Set(xs.map((x) => x.toLowerCase())));

export const auditTrailOptions = z.strictObject({
  /** event_type values (case-insensitive; also as a prefix before `.`, `_` or `:`) whose failures are `denied`. */
  deniedEventTypes: lowerList(['authorization', 'authz', 'access', 'access_control', 'permission', 'policy', 'auth', 'authentication']),
  /** event_type values whose failures are `rate_limited`. */
  rateLimitedEventTypes: lowerList(['rate_limit', 'ratelimit', 'rate_limited', 'throttle', 'throttled', 'quota']),
  /** How `tool` is built from the row. */
  tool: z.enum(['resource/action', 'resource', 'action']).default('resource/action'),
  /** A zone-less timestamp is UTC (SQLite's CURRENT_TIMESTAMP); `false` rejects it as bad-timestamp. */
  naiveTimestampsAreUtc: z.boolean().default(true),
});
type Options = z.infer<typeof auditTrailOptions>;

function inList(eventType: string, list: ReadonlySet<string>): boolean {
  const t = eventType.toLowerCase();
  if (list.has(t)) return true;
  const cut = t.search(/[._:]/);
  return cut > 0 && list.has(t.slice(0, cut));
}

/** success as SQLite stores it: 1/0, true/false, "1"/"0", "true"/"false". */
function successOf(v: unknown): boolean | undefined {
  if (v === 1 || v === true || v === '1' || v === 'true') return true;
  if (v === 0 || v === false || v === '0' || v === 'false') return false;
  return undefined;
}

/** `details` when it is a JSON object written as text; anything else stays opaque. */
function detailsObject(v: unknown): unknown {
  if (isObject(v)) return v;
  // The message passed the size limit; the nesting inside the string is checked here.
  if (typeof v !== 'string' || !v.startsWith('{') || exceedsDepth(v, DEFAULT_LIMITS.maxDepth - 1)) return undefined;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return undefined;
  }
}

function outcomeOf(success: boolean, eventType: string, details: unknown, o: Options): Outcome {
  if (success) return 'success';
  if (inList(eventType, o.deniedEventTypes)) return 'denied';
  if (inList(eventType, o.rateLimitedEventTypes)) return 'rate_limited';
  const status = httpStatus(own(details, 'status')) ?? httpStatus(own(details, 'status_code')) ?? httpStatus(own(details, 'http_status'));
  return status !== undefined && status >= 400 ? outcomeForStatus(status) : 'error';
}

function toolOf(resource: string | undefined, action: string | undefined, how: Options['tool']): string | undefined {
  if (how === 'resource') return resource;
  if (how === 'action') return action;
  return resource !== undefined && action !== undefined ? `${resource}/${action}` : (resource ?? action);
}

export const auditTrailFormat = defineFormat({
  description: 'rows of the SQLite audit-trail pattern exported as JSON lines',
  options: auditTrailOptions,
  sources: {
    callerId: 'user_id (numbers become strings)',
    tool: 'resource/action (option tool: resource/action, resource or action)',
    outcome: 'success 1 → success; 0 → denied for authorization event_types, rate_limited for rate-limit event_types, else by details.status (401/403/429), else error',
    timestamp: 'timestamp (RFC 3339, SQLite "YYYY-MM-DD HH:MM:SS" as UTC, or epoch s/ms)',
    errorType: 'event_type when the outcome is error',
    sessionId: 'details.session_id',
    durationMs: 'details.duration_ms',
  },
  detect: (msg) => Object.hasOwn(msg, 'event_type') && Object.hasOwn(msg, 'user_id') && Object.hasOwn(msg, 'success'),
  map: (msg, o) => {
    const success = successOf(own(msg, 'success'));
    if (success === undefined) return rejected(Object.hasOwn(msg, 'success') ? 'bad-field:outcome' : 'missing-field:outcome', 'success must be 0 or 1 (audit-trail)');
    const eventType = str(own(msg, 'event_type')) ?? '';
    const rawDetails = own(msg, 'details');
    const details = detailsObject(rawDetails);
    const outcome = outcomeOf(success, eventType, details, o);
    const resource = idString(own(msg, 'resource'));
    const action = idString(own(msg, 'action'));
    return mapped({
      callerId: idString(own(msg, 'user_id')),
      tool: toolOf(resource, action, o.tool),
      outcome,
      timestamp: normaliseTimestamp(own(msg, 'timestamp'), o.naiveTimestampsAreUtc),
      errorType: outcome === 'error' && eventType !== '' ? eventType : undefined,
      sessionId: str(own(details, 'session_id')),
      durationMs: num(own(details, 'duration_ms')),
    }, details !== undefined && details !== rawDetails ? { ...msg, details } : undefined);
  },
});
