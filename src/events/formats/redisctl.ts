import { z } from 'zod';
import type { Outcome } from '../audit-event.js';
import { argsDigest, defineFormat, mapped, rejected } from './adapter.js';
import { at, fieldPath, get, idString, isObject, num, own, str } from './json.js';

// redisctl-mcp emits one tracing event per tool call with `target: "audit"` through
// tracing-subscriber's JSON formatter (crates/redisctl-mcp/src/audit.rs and main.rs in
// github.com/redis/redisctl): {"timestamp", "level", "fields": {event, tool, toolset, result,
// duration_ms, arguments?}, "target": "audit"}. `event` is the outcome; `arguments` (present only
// with `include_args = true`) is the redacted argument object serialised as a JSON string.
const OUTCOME_OF_EVENT: ReadonlyMap<string, Outcome> = new Map<string, Outcome>([
  ['tool_invocation', 'success'],
  ['tool_denied', 'denied'],
  ['tool_error', 'error'],
]);

export const redisctlOptions = z.strictObject({
  /**
   * The log carries no caller: one redisctl-mcp process serves one client with one set of
   * profiles. `caller` is the callerId of every event of this source (name it after the profile
   * or the agent using it)...
   */
  caller: z.string().min(1).default('redisctl-mcp'),
  /** ...unless `callerField` names a field of the message that holds it (e.g. `span.profile`). */
  callerField: z.string().min(1).transform(fieldPath).optional(),
});

export const redisctlFormat = defineFormat({
  description: "redisctl-mcp's audit log (tracing JSON, target \"audit\")",
  options: redisctlOptions,
  sources: {
    callerId: 'options: callerField, else caller (default "redisctl-mcp")',
    tool: 'fields.tool',
    outcome: 'fields.event: tool_invocation → success, tool_denied → denied, tool_error → error',
    timestamp: 'timestamp',
    durationMs: 'fields.duration_ms',
    argsHash: 'fields.arguments: "sha256:" + first 16 hex digits of its SHA-256',
    argsSize: 'fields.arguments: size in bytes',
  },
  detect: (msg) => own(msg, 'target') === 'audit' && isObject(own(msg, 'fields')),
  map: (msg, o) => {
    const fields = own(msg, 'fields');
    const event = str(at(fields, 'event'));
    if (event === undefined) return rejected('missing-field:outcome', 'fields.event is required (redisctl)');
    const outcome = OUTCOME_OF_EVENT.get(event);
    if (outcome === undefined) return rejected('bad-field:outcome', 'fields.event is not tool_invocation, tool_denied or tool_error (redisctl)');
    const caller = o.callerField === undefined ? o.caller : (idString(get(msg, o.callerField)) ?? o.caller);
    return mapped({
      callerId: caller,
      tool: at(fields, 'tool'),
      outcome,
      timestamp: own(msg, 'timestamp'),
      durationMs: num(at(fields, 'duration_ms')),
      ...argsDigest(at(fields, 'arguments')),
    });
  },
});
