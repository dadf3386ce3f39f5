import { z } from 'zod';
import type { Outcome } from '../audit-event.js';
import { argsDigest, defineFormat, mapped, outcomeForStatus, rejected, type Mapped } from './adapter.js';
import { at, httpStatus, idString, isObject, num, own, str, type JsonObject } from './json.js';

// Obot writes audit logs in two shapes, and both are accepted:
//  - the normalized export (JSONL): {"actor": {"id"}, "action": {"name"}, "outcome": {"status",
//    "httpStatus", "durationMs"}, "timestamp": {"occurredAt"}, ...};
//  - the gateway's MCPAuditLog rows, which is what Obot's S3/GCS/Azure audit-log export writes
//    (pkg/controller/handlers/auditlogexport in github.com/obot-platform/obot): {"createdAt",
//    "userID", "callType", "callIdentifier", "responseStatus", "processingTimeMs", "error",
//    "sessionID", "requestBody"?, ...}.
// Obot has no rate-limit outcome; the HTTP status decides (401/403 denied, 429 rate_limited).

function normalizedOutcome(o: unknown): Outcome | undefined {
  const status = str(own(o, 'status'))?.toLowerCase();
  if (status === undefined) return undefined;
  if (status === 'success' || status === 'succeeded' || status === 'ok') return 'success';
  if (status === 'denied') return 'denied';
  const http = httpStatus(own(o, 'httpStatus'));
  return http !== undefined && http >= 400 ? outcomeForStatus(http) : 'error';
}

function mapNormalized(msg: JsonObject): Mapped {
  const o = own(msg, 'outcome');
  if (str(own(o, 'status')) === undefined) return rejected('missing-field:outcome', 'outcome.status is required (obot)');
  return mapped({
    callerId: idString(at(msg, 'actor', 'id')),
    tool: at(msg, 'action', 'name'),
    outcome: normalizedOutcome(o),
    timestamp: at(msg, 'timestamp', 'occurredAt'),
    durationMs: num(own(o, 'durationMs')),
    sessionId: str(at(msg, 'context', 'sessionId')),
  });
}

function mapGateway(msg: JsonObject): Mapped {
  const status = httpStatus(own(msg, 'responseStatus'));
  if (status === undefined) return rejected('missing-field:outcome', 'responseStatus is required (obot)');
  const error = str(own(msg, 'error'));
  const outcome = status < 400 && error !== undefined && error !== '' ? 'error' : outcomeForStatus(status);
  return mapped({
    callerId: idString(own(msg, 'userID')),
    tool: str(own(msg, 'callIdentifier')) || own(msg, 'callType'),
    outcome,
    timestamp: own(msg, 'createdAt'),
    durationMs: num(own(msg, 'processingTimeMs')),
    sessionId: str(own(msg, 'sessionID')) || undefined,
    errorType: outcome === 'error' ? `http:${status}` : undefined,
    ...argsDigest(at(msg, 'requestBody', 'params', 'arguments')),
  });
}

function isNormalized(msg: JsonObject): boolean {
  return isObject(own(msg, 'actor')) && isObject(own(msg, 'action')) && isObject(own(msg, 'outcome')) && isObject(own(msg, 'timestamp'));
}

export const obotFormat = defineFormat({
  description: "Obot's audit log: the normalized export, or the gateway's MCPAuditLog rows",
  options: z.strictObject({}),
  sources: {
    callerId: 'actor.id | userID',
    tool: 'action.name | callIdentifier, else callType',
    outcome: 'outcome.status (success; denied; otherwise outcome.httpStatus: 401/403 → denied, 429 → rate_limited, else error) | responseStatus (same table; 2xx with error set → error)',
    timestamp: 'timestamp.occurredAt | createdAt',
    durationMs: 'outcome.durationMs | processingTimeMs',
    sessionId: 'context.sessionId | sessionID',
    errorType: '— | http:<responseStatus> when the outcome is error',
    argsHash: '— | requestBody.params.arguments (hash only)',
    argsSize: '— | requestBody.params.arguments (size only)',
  },
  detect: (msg) =>
    isNormalized(msg) || (typeof own(msg, 'createdAt') === 'string' && Object.hasOwn(msg, 'userID') && Object.hasOwn(msg, 'callType')),
  map: (msg) => (isNormalized(msg) ? mapNormalized(msg) : mapGateway(msg)),
});
