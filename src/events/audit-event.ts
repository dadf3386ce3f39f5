import { z } from 'zod';

export const OUTCOMES = ['success', 'error', 'denied', 'rate_limited'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/**
 * The canonical MCP audit event as it arrives on the wire. Unknown extra fields are allowed
 * (shippers add host, env, ...): the schema strips them, detection ignores them.
 */
export const auditEventSchema = z.object({
  callerId: z.string().min(1),
  tool: z.string().min(1),
  outcome: z.enum(OUTCOMES),
  // Checked as a calendar instant by parseTimestamp right after the schema (a zod refine here
  // measured 5x slower for the whole parse); the schema only pins the type.
  timestamp: z.string(),
  sessionId: z.string().optional(),
  argsHash: z.string().optional(),
  argsSize: z.number().int().nonnegative().optional(),
  errorType: z.string().optional(),
  durationMs: z.number().nonnegative().optional(),
  serverVersion: z.string().optional(),
});

/** The string fields a detector may match on or group by. */
export const EVENT_STRING_FIELDS = ['callerId', 'tool', 'outcome', 'sessionId', 'argsHash', 'errorType', 'serverVersion'] as const;
export type EventStringField = (typeof EVENT_STRING_FIELDS)[number];

/** A validated event, read-only from here on; `ts` is the timestamp in epoch milliseconds. */
export interface AuditEvent {
  readonly callerId: string;
  readonly tool: string;
  readonly outcome: Outcome;
  readonly timestamp: string;
  readonly ts: number;
  readonly sessionId?: string;
  readonly argsHash?: string;
  readonly argsSize?: number;
  readonly errorType?: string;
  readonly durationMs?: number;
  readonly serverVersion?: string;
  /**
   * The decoded message the event came from, when the source kept it: detectors that look for
   * unscrubbed fields need it. Never rendered anywhere.
   */
  readonly original?: unknown;
}
