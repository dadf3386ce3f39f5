import { z } from 'zod';
import { OUTCOMES, type Outcome } from '../audit-event.js';
import { defineFormat, mapped, normaliseTimestamp, outcomeForStatus, rejected } from './adapter.js';
import { fieldPath, first, get, httpStatus, idString, num, own, str, type FieldPath } from './json.js';

// Elastic Common Schema documents (https://www.elastic.co/guide/en/ecs/current/): `@timestamp`,
// `event.action`, `event.outcome` (success | failure | unknown, ecs-allowed-values), `event.duration`
// in nanoseconds, `user.id` / `client.user.id`, `service.version`, `error.type`,
// `http.response.status_code`, and `labels.*` for what a pipeline adds. ECS has no denied or
// rate-limited outcome, so those come from a pipeline-set field (labels.outcome by default) or
// from the HTTP status of a failure. Documents may be nested or flattened ("user.id": ...).

const ECS_OUTCOME = fieldPath('event.outcome');
const ECS_ACTION = fieldPath('event.action');
const ECS_DURATION = fieldPath('event.duration');
const CANONICAL_OUTCOMES: ReadonlySet<string> = new Set(OUTCOMES);

const paths = (defaults: readonly string[], min = 1) =>
  z
    .array(z.string().min(1))
    .min(min)
    .default([...defaults])
    .transform((xs): readonly FieldPath[] => xs.map(fieldPath));

export const ecsOptions = z.strictObject({
  /** Fields tried in order for the caller. */
  callerFields: paths(['user.id', 'client.user.id']),
  toolFields: paths(['event.action']),
  /** Pipeline-set fields holding a canonical outcome (success, error, denied, rate_limited); they win over event.outcome. */
  outcomeFields: paths(['labels.outcome'], 0),
  /** HTTP status of a failure: 401/403 → denied, 429 → rate_limited, other → error. */
  statusFields: paths(['http.response.status_code'], 0),
  sessionFields: paths(['labels.session_id'], 0),
  serverVersionFields: paths(['service.version'], 0),
  errorTypeFields: paths(['error.type'], 0),
  /** What `event.outcome: unknown` (or no outcome at all) becomes; by default the event is rejected. */
  unknownOutcome: z.enum(['reject', 'success', 'error']).default('reject'),
});
type Options = z.infer<typeof ecsOptions>;

function outcomeOf(doc: unknown, o: Options): Outcome | 'unknown' | undefined {
  const pipeline = first(doc, o.outcomeFields, str);
  if (pipeline !== undefined && CANONICAL_OUTCOMES.has(pipeline)) return pipeline as Outcome;
  const ecs = str(get(doc, ECS_OUTCOME));
  if (ecs === 'success') return 'success';
  if (ecs === 'failure') {
    const status = first(doc, o.statusFields, httpStatus);
    return status !== undefined && status >= 400 ? outcomeForStatus(status) : 'error';
  }
  if (ecs === 'unknown' || ecs === undefined) return o.unknownOutcome === 'reject' ? (ecs === undefined ? undefined : 'unknown') : o.unknownOutcome;
  return 'unknown';
}

export const ecsFormat = defineFormat({
  description: 'Elastic Common Schema documents (configurable mapping)',
  options: ecsOptions,
  sources: {
    callerId: 'user.id, else client.user.id (option callerFields)',
    tool: 'event.action (option toolFields)',
    outcome: 'labels.outcome when it is a canonical outcome (option outcomeFields); else event.outcome: success → success, failure → by http.response.status_code 401/403 → denied, 429 → rate_limited, else error; unknown → rejected (option unknownOutcome)',
    timestamp: '@timestamp',
    durationMs: 'event.duration (nanoseconds) / 1e6',
    sessionId: 'labels.session_id (option sessionFields)',
    serverVersion: 'service.version (option serverVersionFields)',
    errorType: 'error.type (option errorTypeFields)',
  },
  detect: (msg) => Object.hasOwn(msg, '@timestamp') && (get(msg, ECS_OUTCOME) !== undefined || get(msg, ECS_ACTION) !== undefined),
  map: (msg, o) => {
    const outcome = outcomeOf(msg, o);
    if (outcome === undefined) return rejected('missing-field:outcome', 'event.outcome is required (ecs)');
    if (outcome === 'unknown') return rejected('bad-field:outcome', 'event.outcome is not success or failure (ecs)');
    const ns = num(get(msg, ECS_DURATION));
    return mapped({
      callerId: first(msg, o.callerFields, idString),
      tool: first(msg, o.toolFields, str),
      outcome,
      timestamp: normaliseTimestamp(own(msg, '@timestamp')),
      durationMs: ns !== undefined && ns >= 0 ? ns / 1e6 : undefined,
      sessionId: first(msg, o.sessionFields, str),
      serverVersion: first(msg, o.serverVersionFields, str),
      errorType: first(msg, o.errorTypeFields, str),
    });
  },
});
