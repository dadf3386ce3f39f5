import { z } from 'zod';
import { defineFormat } from './adapter.js';

/**
 * The canonical event (README "Audit events"): already in auditwatch's shape. The decoder
 * validates these messages directly, without a mapping step; `map` exists for `auto`.
 */
export const canonicalFormat = defineFormat({
  description: 'auditwatch canonical events (callerId, tool, outcome, timestamp, ...)',
  options: z.strictObject({}),
  sources: {
    callerId: 'callerId',
    tool: 'tool',
    outcome: 'outcome',
    timestamp: 'timestamp',
    sessionId: 'sessionId',
    argsHash: 'argsHash',
    argsSize: 'argsSize',
    errorType: 'errorType',
    durationMs: 'durationMs',
    serverVersion: 'serverVersion',
  },
  // Claimed by its two most specific field names, even when a value is invalid: a canonical
  // message with a bad outcome should be rejected as bad-field:outcome, not as unknown-format.
  detect: (msg) => Object.hasOwn(msg, 'callerId') && Object.hasOwn(msg, 'outcome'),
  map: (msg) => ({ ok: true, candidate: msg }),
});
