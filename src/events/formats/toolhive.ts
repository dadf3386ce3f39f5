import { z } from 'zod';
import type { Outcome } from '../audit-event.js';
import { defineFormat, mapped, outcomeForStatus, rejected } from './adapter.js';
import { at, httpStatus, idString, isObject, num, own, str } from './json.js';

// ToolHive (github.com/stacklok/toolhive, pkg/audit) writes one event per MCP request. Two
// spellings of the same event exist:
//  - the slog JSON line of AuditEvent.LogTo: {"time", "level": "INFO+2", "msg": "audit_event",
//    "audit_id", "type", "logged_at", "outcome", "component", "source": {...}, "subjects": {...},
//    "target": {...}, "metadata": {"extra": {...}}, "data"?};
//  - the Go struct's JSON tags: {"metadata": {"auditId", "extra"}, "type", "loggedAt", "source",
//    "outcome", "subjects", "component", "target", "data"?}.
// Outcomes (determineOutcome): 2xx success, 401/403 denied, other 4xx failure, 5xx error, and
// application_error for a JSON-RPC error inside an HTTP 200. ToolHive itself logs no status code;
// when a pipeline adds one under metadata.extra, a failure with 429 becomes rate_limited.
const STATUS_KEYS = ['status_code', 'statusCode', 'http_status', 'response_status'] as const;

function statusOf(extra: unknown): number | undefined {
  for (const k of STATUS_KEYS) {
    const s = httpStatus(own(extra, k));
    if (s !== undefined) return s;
  }
  return undefined;
}

function outcomeOf(outcome: string, extra: unknown): Outcome | undefined {
  switch (outcome) {
    case 'success':
    case 'denied':
    case 'error':
      return outcome;
    case 'failure': {
      const s = statusOf(extra);
      return s !== undefined && s >= 400 ? outcomeForStatus(s) : 'error';
    }
    case 'application_error':
      return 'error';
    default:
      return undefined;
  }
}

export const toolhiveFormat = defineFormat({
  description: "ToolHive audit events (slog JSON with msg \"audit_event\", or the AuditEvent struct's JSON)",
  options: z.strictObject({}),
  sources: {
    callerId: 'subjects.user_id, else subjects.user',
    tool: 'target.name (type tool), else target.method, else type',
    outcome: 'outcome: success, denied, error; failure → error, or rate_limited/denied when metadata.extra.status_code is 429/401/403; application_error → error',
    timestamp: 'logged_at (slog) or loggedAt (struct), else time',
    sessionId: 'source.extra.session_id',
    durationMs: 'metadata.extra.duration_ms',
    errorType: 'when the outcome maps to error: jsonrpc:<metadata.extra.jsonrpc_error_code>, else the ToolHive outcome',
  },
  detect: (msg) =>
    (own(msg, 'msg') === 'audit_event' && Object.hasOwn(msg, 'outcome')) ||
    (isObject(own(msg, 'metadata')) && typeof at(msg, 'metadata', 'auditId') === 'string' && Object.hasOwn(msg, 'loggedAt')),
  map: (msg) => {
    const raw = str(own(msg, 'outcome'));
    if (raw === undefined) return rejected('missing-field:outcome', 'outcome is required (toolhive)');
    const extra = at(msg, 'metadata', 'extra');
    const outcome = outcomeOf(raw, extra);
    if (outcome === undefined) return rejected('bad-field:outcome', 'outcome is not success, failure, error, denied or application_error (toolhive)');
    const target = own(msg, 'target');
    const code = idString(own(extra, 'jsonrpc_error_code'));
    return mapped({
      callerId: idString(at(msg, 'subjects', 'user_id')) ?? idString(at(msg, 'subjects', 'user')),
      tool: str(own(target, 'name')) ?? str(own(target, 'method')) ?? own(msg, 'type'),
      outcome,
      timestamp: own(msg, 'logged_at') ?? own(msg, 'loggedAt') ?? own(msg, 'time'),
      sessionId: str(at(msg, 'source', 'extra', 'session_id')),
      durationMs: num(own(extra, 'duration_ms')),
      errorType: outcome === 'error' ? (code !== undefined ? `jsonrpc:${code}` : raw) : undefined,
    });
  },
});
