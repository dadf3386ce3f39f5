// Contract fake for the PagerDuty Events API v2 (see CONTRACTS.md, section PagerDuty).
// US and EU differ only in host (events.pagerduty.com / events.eu.pagerduty.com); the path is
// /v2/enqueue for both, so one fake serves either and records the Host header it was sent.
//
//   const pd = await PagerDutyFake.start();
//   await sendPage(`${pd.url}/v2/enqueue`, ...);
//   await pd.waitForRequests(1);
//   assert.equal(pd.incidents().length, 1);
import { randomUUID } from 'node:crypto';
import {
  HttpFake,
  accept,
  charLength,
  isPlainObject,
  mediaType,
  reject,
  type HttpFakeOptions,
  type RateLimitFaultOptions,
  type RecordedRequest,
  type Reply,
  type Verdict,
} from './http-fake.js';

export const PAGERDUTY_LIMITS = {
  routingKeyLength: 32,
  dedupKeyMax: 255,
  summaryMax: 1024,
  /** "Events API payloads are limited to 512 KB". */
  payloadBytesMax: 512 * 1024,
  /** "approximately 120 calls/minute per integration key", 60 s window looking back. */
  eventsPerMinutePerKey: 120,
} as const;

export const PAGERDUTY_SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
export const PAGERDUTY_ACTIONS = ['trigger', 'acknowledge', 'resolve'] as const;
export type PagerDutySeverity = (typeof PAGERDUTY_SEVERITIES)[number];
export type PagerDutyAction = (typeof PAGERDUTY_ACTIONS)[number];

export type AlertStatus = 'triggered' | 'acknowledged' | 'resolved';

/** One PagerDuty alert, i.e. what a dedup_key names while it is open. */
export interface PagerDutyAlert {
  routingKey: string;
  dedupKey: string;
  status: AlertStatus;
  summary: string;
  severity: PagerDutySeverity;
  source: string;
  /** Trigger events applied to this alert, the opening one included. */
  triggers: number;
  /** Triggers that landed on it while it was already open (deduplicated). */
  dedupedTriggers: number;
  acknowledges: number;
  openedAt: number;
  resolvedAt: number | undefined;
  /** Every accepted event body applied to this alert, in order. */
  events: Record<string, unknown>[];
}

export interface PagerDutyStats {
  events: number;
  triggers: number;
  dedupedTriggers: number;
  acknowledges: number;
  resolves: number;
  /** Acknowledge/resolve events that matched no open alert (PagerDuty drops them after 202). */
  dropped: number;
}

export interface PagerDutyFakeOptions extends HttpFakeOptions {
  /** When set, only these routing keys are accepted (others: 400). Default: any 32-char key. */
  routingKeys?: string[];
  /** Enforce ~120 events/minute per routing key (sliding 60 s window on the fake clock). */
  enforceRateLimit?: boolean;
  /** Events per minute per key when enforcing (default 120). */
  eventsPerMinute?: number;
}

const TOP_LEVEL_KEYS = new Set(['routing_key', 'event_action', 'dedup_key', 'payload', 'client', 'client_url', 'links', 'images']);
const PAYLOAD_KEYS = new Set(['summary', 'source', 'severity', 'timestamp', 'component', 'group', 'class', 'custom_details']);
// ISO 8601 date-time as PagerDuty's own examples use it (2015-07-17T08:42:58.315+0000) and RFC 3339.
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

export class PagerDutyFake extends HttpFake {
  private readonly routingKeys: Set<string> | undefined;
  private readonly enforceRate: boolean;
  private readonly perMinute: number;
  private readonly history = new Map<string, number[]>();
  private readonly alerts: PagerDutyAlert[] = [];
  private readonly counters: PagerDutyStats = { events: 0, triggers: 0, dedupedTriggers: 0, acknowledges: 0, resolves: 0, dropped: 0 };

  private constructor(options: PagerDutyFakeOptions) {
    super(options);
    this.routingKeys = options.routingKeys ? new Set(options.routingKeys) : undefined;
    this.enforceRate = options.enforceRateLimit ?? false;
    this.perMinute = options.eventsPerMinute ?? PAGERDUTY_LIMITS.eventsPerMinutePerKey;
  }

  static async start(options: PagerDutyFakeOptions = {}): Promise<PagerDutyFake> {
    return new PagerDutyFake(options).listen();
  }

  /** `${url}/v2/enqueue`. */
  get enqueueUrl(): string {
    return `${this.url}/v2/enqueue`;
  }

  /** Every alert ever opened, in order (a trigger after a resolve opens a new one). */
  incidents(): readonly PagerDutyAlert[] {
    return this.alerts;
  }

  /** The open (triggered or acknowledged) alert for a dedup key, if any. */
  openIncident(dedupKey: string, routingKey?: string): PagerDutyAlert | undefined {
    return this.alerts.find(
      (a) => a.dedupKey === dedupKey && a.status !== 'resolved' && (routingKey === undefined || a.routingKey === routingKey),
    );
  }

  /** All alerts (open and resolved) that used this dedup key. */
  incidentsFor(dedupKey: string): PagerDutyAlert[] {
    return this.alerts.filter((a) => a.dedupKey === dedupKey);
  }

  stats(): Readonly<PagerDutyStats> {
    return { ...this.counters };
  }

  protected override rateLimitReply(retryAfterSeconds: number, options: RateLimitFaultOptions): Reply {
    // PagerDuty documents the 429 status only; Retry-After is the generic hint (omit it with omitRetryAfter).
    const headers: Record<string, string> = {};
    if (!options.omitRetryAfter) headers['Retry-After'] = String(retryAfterSeconds);
    return { status: 429, headers, body: { status: 'throttle event', message: 'Request Limit Exceeded' } };
  }

  protected override serverErrorReply(status: number): Reply {
    return { status, body: { status: 'error', message: 'Internal Server Error', errors: ['the PagerDuty server experienced an error'] } };
  }

  protected handle(req: RecordedRequest): Verdict {
    if (req.path !== '/v2/enqueue') return reject(404, `unknown path ${req.path}`, { status: 'not found', message: 'Not Found' });
    if (req.method !== 'POST') return reject(405, `method ${req.method}`, { status: 'method not allowed', message: 'Use POST' });
    const unrecognized = (why: string): Verdict =>
      reject(400, why, { status: 'Unrecognized object', message: 'Event object format is unrecognized', errors: [why] });
    if (mediaType(req.headers) !== 'application/json') return unrecognized(`content-type ${String(req.headers['content-type'])} is not application/json`);
    if (req.rawBody.length > PAGERDUTY_LIMITS.payloadBytesMax) return unrecognized(`payload is ${req.rawBody.length} bytes (max 512 KB)`);
    if (req.jsonError !== undefined || !isPlainObject(req.json)) return unrecognized('JSON parse error');

    const ev = req.json;
    const errors = validateEvent(ev);
    const routingKey = typeof ev.routing_key === 'string' ? ev.routing_key : '';
    if (errors.length === 0 && this.routingKeys !== undefined && !this.routingKeys.has(routingKey)) {
      errors.push(`routing_key '${routingKey}' is not an integration key known to this fake`);
    }
    if (errors.length > 0) {
      return reject(400, errors.join('; '), { status: 'invalid event', message: 'Event object is invalid', errors });
    }

    if (this.enforceRate) {
      const times = (this.history.get(routingKey) ?? []).filter((t) => t > req.receivedAt - 60_000);
      if (times.length >= this.perMinute) {
        this.history.set(routingKey, times);
        const oldest = times[0] ?? req.receivedAt;
        const retryAfter = Math.max(1, Math.ceil((oldest + 60_000 - req.receivedAt) / 1000));
        return reject(429, `more than ${this.perMinute} events in 60 s for this routing key`, { status: 'throttle event', message: 'Request Limit Exceeded' }, { 'Retry-After': String(retryAfter) });
      }
      times.push(req.receivedAt);
      this.history.set(routingKey, times);
    }

    const action = ev.event_action as PagerDutyAction;
    const dedupKey = typeof ev.dedup_key === 'string' ? ev.dedup_key : randomUUID().replace(/-/g, '');
    this.counters.events += 1;
    this.apply(action, routingKey, dedupKey, ev, req.receivedAt);
    return accept(202, { status: 'success', message: 'Event processed', dedup_key: dedupKey });
  }

  private apply(action: PagerDutyAction, routingKey: string, dedupKey: string, ev: Record<string, unknown>, at: number): void {
    const open = this.openIncident(dedupKey, routingKey);
    if (action === 'trigger') {
      this.counters.triggers += 1;
      const payload = ev.payload as Record<string, unknown>;
      if (open !== undefined) {
        open.triggers += 1;
        open.dedupedTriggers += 1;
        open.events.push(ev);
        this.counters.dedupedTriggers += 1;
        return;
      }
      this.alerts.push({
        routingKey,
        dedupKey,
        status: 'triggered',
        summary: payload.summary as string,
        severity: payload.severity as PagerDutySeverity,
        source: payload.source as string,
        triggers: 1,
        dedupedTriggers: 0,
        acknowledges: 0,
        openedAt: at,
        resolvedAt: undefined,
        events: [ev],
      });
      return;
    }
    if (open === undefined) {
      this.counters.dropped += 1;
      return;
    }
    open.events.push(ev);
    if (action === 'acknowledge') {
      this.counters.acknowledges += 1;
      open.acknowledges += 1;
      open.status = 'acknowledged';
    } else {
      this.counters.resolves += 1;
      open.status = 'resolved';
      open.resolvedAt = at;
    }
  }
}

/** Every contract violation in an Events API v2 alert event (empty when valid). */
export function validateEvent(ev: Record<string, unknown>): string[] {
  const errors: string[] = [];
  for (const key of Object.keys(ev)) if (!TOP_LEVEL_KEYS.has(key)) errors.push(`unknown property '${key}'`);

  const rk = ev.routing_key;
  if (typeof rk !== 'string') errors.push("'routing_key' is missing or not a string");
  else if (rk.length !== PAGERDUTY_LIMITS.routingKeyLength) errors.push("Length of 'routing_key' is incorrect (should be 32 characters)");

  const action = ev.event_action;
  if (typeof action !== 'string' || !(PAGERDUTY_ACTIONS as readonly string[]).includes(action)) {
    errors.push(`'event_action' must be one of trigger, acknowledge, resolve (got ${JSON.stringify(action)})`);
  }

  if ('dedup_key' in ev) {
    const dk = ev.dedup_key;
    if (typeof dk !== 'string' || dk.length === 0) errors.push("'dedup_key' must be a non-empty string");
    else if (charLength(dk) > PAGERDUTY_LIMITS.dedupKeyMax) errors.push(`'dedup_key' is longer than ${PAGERDUTY_LIMITS.dedupKeyMax} characters`);
  } else if (action === 'acknowledge' || action === 'resolve') {
    errors.push(`'dedup_key' is required for ${action}`);
  }

  for (const key of ['client', 'client_url'] as const) {
    if (key in ev && typeof ev[key] !== 'string') errors.push(`'${key}' must be a string`);
  }
  if ('links' in ev) errors.push(...checkList(ev.links, 'links', 'href', ['href', 'text']));
  if ('images' in ev) errors.push(...checkList(ev.images, 'images', 'src', ['src', 'href', 'alt']));

  if (action === 'trigger') {
    const p = ev.payload;
    if (!isPlainObject(p)) {
      errors.push("'payload' is required for trigger and must be an object");
    } else {
      for (const key of Object.keys(p)) if (!PAYLOAD_KEYS.has(key)) errors.push(`unknown property 'payload.${key}'`);
      if (typeof p.summary !== 'string' || p.summary.length === 0) errors.push("'payload.summary' is required");
      else if (charLength(p.summary) > PAGERDUTY_LIMITS.summaryMax) errors.push(`'payload.summary' is longer than ${PAGERDUTY_LIMITS.summaryMax} characters`);
      if (typeof p.source !== 'string' || p.source.length === 0) errors.push("'payload.source' is required");
      if (typeof p.severity !== 'string' || !(PAGERDUTY_SEVERITIES as readonly string[]).includes(p.severity)) {
        errors.push(`'payload.severity' must be one of critical, error, warning, info (got ${JSON.stringify(p.severity)})`);
      }
      if ('timestamp' in p && (typeof p.timestamp !== 'string' || !ISO_8601.test(p.timestamp) || Number.isNaN(Date.parse(p.timestamp)))) {
        errors.push(`'payload.timestamp' must be an ISO 8601 date-time (got ${JSON.stringify(p.timestamp)})`);
      }
      for (const key of ['component', 'group', 'class'] as const) {
        if (key in p && typeof p[key] !== 'string') errors.push(`'payload.${key}' must be a string`);
      }
      if ('custom_details' in p && !isPlainObject(p.custom_details)) errors.push("'payload.custom_details' must be an object");
    }
  }
  return errors;
}

function checkList(value: unknown, name: string, required: string, allowed: string[]): string[] {
  if (!Array.isArray(value)) return [`'${name}' must be an array`];
  const errors: string[] = [];
  value.forEach((item, i) => {
    if (!isPlainObject(item)) {
      errors.push(`'${name}[${i}]' must be an object`);
      return;
    }
    if (typeof item[required] !== 'string') errors.push(`'${name}[${i}].${required}' is required`);
    for (const k of Object.keys(item)) {
      if (!allowed.includes(k)) errors.push(`unknown property '${name}[${i}].${k}'`);
      else if (typeof item[k] !== 'string') errors.push(`'${name}[${i}].${k}' must be a string`);
    }
  });
  return errors;
}
