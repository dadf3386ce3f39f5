import type { z } from 'zod';
import { auditEventSchema, type AuditEvent } from './audit-event.js';
import { rejection, type Rejection } from './rejection.js';
import { parseTimestamp } from './timestamp.js';

export type ParseResult = { readonly ok: true; readonly event: AuditEvent } | { readonly ok: false; readonly rejection: Rejection };

export const DEFAULT_MAX_BYTES = 1024 * 1024;

function reasonFor(issue: z.core.$ZodIssue, value: object): Rejection {
  const field = issue.path.length > 0 ? String(issue.path[0]) : '';
  if (field !== '' && !Object.hasOwn(value, field)) {
    return rejection(`missing-field:${field}`, `${field} is required`);
  }
  return rejection(`bad-field:${field}`, `${field}: ${issue.message}`);
}

/** Validates an already-decoded JSON value as a canonical audit event. */
export function toAuditEvent(value: unknown): ParseResult {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, rejection: rejection('not-object', 'an event must be a JSON object') };
  }
  const res = auditEventSchema.safeParse(value);
  if (!res.success) {
    const first = res.error.issues[0];
    return { ok: false, rejection: first === undefined ? rejection('invalid', 'invalid event') : reasonFor(first, value) };
  }
  const d = res.data;
  const ts = parseTimestamp(d.timestamp);
  if (ts === undefined) return { ok: false, rejection: rejection('bad-timestamp', 'timestamp: not an RFC 3339 instant with a zone') };
  const event: AuditEvent = {
    callerId: d.callerId,
    tool: d.tool,
    outcome: d.outcome,
    timestamp: d.timestamp,
    ts,
    sessionId: d.sessionId,
    argsHash: d.argsHash,
    argsSize: d.argsSize,
    errorType: d.errorType,
    durationMs: d.durationMs,
    serverVersion: d.serverVersion,
    original: value,
  };
  return { ok: true, event };
}

/** Decodes one line (or Kafka message value) of JSON into an audit event or a rejection. Never throws. */
export function parseLine(text: string, maxBytes: number = DEFAULT_MAX_BYTES): ParseResult {
  // Cheap upper bound first: a UTF-8 byte count is at most 3x the UTF-16 length.
  if (text.length * 3 > maxBytes && Buffer.byteLength(text, 'utf8') > maxBytes) {
    return { ok: false, rejection: rejection('too-large', `message is larger than ${maxBytes} bytes`) };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, rejection: rejection('not-json', 'not valid JSON') };
  }
  return toAuditEvent(value);
}
