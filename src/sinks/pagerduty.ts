// PagerDuty Events API v2 (developer.pagerduty.com/docs/events-api-v2/trigger-events): `trigger`
// on fire, `resolve` on resolve, one `dedup_key` per detector and key (from alertKeyId), so one
// incident is one page and a trigger resent after a crash is deduplicated by PagerDuty itself.
// Limits: summary 1024 characters, dedup_key 255, payload 512 KB; about 120 events per minute
// per integration key (developer.pagerduty.com/docs/events-api-v2/overview#api-limits).
import { createHash } from 'node:crypto';
import type { AlertItem, Notification } from '../alerts/notification.js';
import type { Severity } from '../config/detectors.js';
import { formatDuration } from '../config/duration.js';
import { resolveSecret } from '../config/secret-ref.js';
import type { PagerDutySinkConfig } from '../config/sink-schemas.js';
import { bound } from '../text/bound.js';
import { Secret } from '../text/secret.js';
import { countText, isoTime, keyText, POSSIBLE_REPEAT_TEXT, undeliveredText } from './format.js';
import { classify, HttpClient } from './http.js';
import { screenStrings } from './screen.js';
import type { SendContext, Sink, SinkDeps } from './sink.js';
import type { Verdict } from './verdict.js';

export const PAGERDUTY_ENDPOINTS = {
  us: 'https://events.pagerduty.com/v2/enqueue',
  eu: 'https://events.eu.pagerduty.com/v2/enqueue',
} as const;

/** 120 events/minute per integration key; a burst of 10 keeps well inside the 60 s window. */
export const PAGERDUTY_DEFAULT_RATE = { perSecond: 2, burst: 10 } as const;
export const SUMMARY_MAX = 1024;

type PdSeverity = 'critical' | 'error' | 'warning' | 'info';
const SEVERITY = new Map<Severity, PdSeverity>([
  ['critical', 'critical'],
  ['warning', 'warning'],
  ['info', 'info'],
]);

/** One PagerDuty alert per detector and key: the same key re-firing after a resolve opens a new one. */
export function dedupKey(alertKeyId: string): string {
  return `auditwatch-${alertKeyId}`;
}

interface PdLink {
  href: string;
  text: string;
}

export interface PdEvent {
  routing_key?: string;
  event_action: 'trigger' | 'resolve';
  dedup_key: string;
  client: string;
  payload?: {
    summary: string;
    source: string;
    severity: PdSeverity;
    timestamp: string;
    component: string;
    class: string;
    group: string;
    custom_details: Record<string, unknown>;
  };
  links?: PdLink[];
}

function details(a: AlertItem, description: string | undefined, ctx: SendContext): Record<string, unknown> {
  const d: Record<string, unknown> = {
    detector: a.detector,
    key: Object.fromEntries(a.key.map(([f, v]) => [f, v])),
    firedAt: isoTime(a.firedAt),
    incident: a.incidentId,
  };
  if (description !== undefined) d.description = bound(description, { max: 500 });
  if (a.count !== undefined) d.count = a.count;
  if (a.threshold !== undefined) d.threshold = a.threshold;
  if (a.windowMs !== undefined) {
    d.window = formatDuration(a.windowMs);
    d.windowStart = isoTime(a.firedAt - a.windowMs);
    d.windowEnd = isoTime(a.firedAt);
  }
  if (a.evidence !== undefined) d.evidence = { path: a.evidence.path, rule: a.evidence.rule };
  if (ctx.possibleRepeat) d.possibleRepeat = POSSIBLE_REPEAT_TEXT;
  if (ctx.undelivered !== undefined) d.undelivered = undeliveredText(ctx.undelivered);
  return d;
}

/** The Events API v2 body (without routing_key, added at send time). */
export function renderPagerDuty(n: Notification, ctx: SendContext, source: string, links: (detector: string) => PdLink[]): PdEvent {
  const b = n.body;
  if (b.type === 'operator') {
    return {
      event_action: 'trigger',
      dedup_key: `auditwatch-operator-${createHash('sha256').update(b.title).digest('hex').slice(0, 32)}`,
      client: 'auditwatch',
      payload: {
        summary: bound(`auditwatch: ${b.title}`, { max: SUMMARY_MAX }),
        source,
        severity: 'error',
        timestamp: isoTime(n.createdAt),
        component: 'auditwatch',
        class: 'operator',
        group: 'auditwatch',
        custom_details: { detail: bound(b.detail, { max: 4000 }), ...(ctx.undelivered === undefined ? {} : { undelivered: undeliveredText(ctx.undelivered) }) },
      },
    };
  }
  if (b.type === 'group') throw new Error('PagerDuty takes one event per alert, not group messages');
  const a = b.alert;
  if (b.status === 'resolved') return { event_action: 'resolve', dedup_key: dedupKey(a.alertKeyId), client: 'auditwatch' };
  const count = countText(a);
  const summary = bound(`[${a.severity.toUpperCase()}] ${a.detector}: ${keyText(a.key, 200)}${count === '' ? '' : ` — ${count}`}`, { max: SUMMARY_MAX });
  const l = links(a.detector);
  return {
    event_action: 'trigger',
    dedup_key: dedupKey(a.alertKeyId),
    client: 'auditwatch',
    payload: {
      summary,
      source,
      severity: SEVERITY.get(a.severity) ?? 'warning',
      timestamp: isoTime(a.firedAt),
      component: a.detector,
      class: a.detector,
      group: 'auditwatch',
      custom_details: details(a, b.detector.description, ctx),
    },
    ...(l.length > 0 ? { links: l } : {}),
  };
}

export function createPagerDutySink(name: string, config: PagerDutySinkConfig, deps: SinkDeps): Sink {
  const owner = `sink "${name}"`;
  const key = resolveSecret(config.routingKey, { owner, what: 'PagerDuty integration (routing) key' }, deps.env);
  if (key.reveal().length !== 32) {
    throw new TypeError(`${owner}: the PagerDuty routing key must be 32 characters (the integration key of an Events API v2 integration)`);
  }
  const endpoint = config.endpoint ?? PAGERDUTY_ENDPOINTS[config.region];
  const concurrency = config.concurrency ?? 4;
  const client = new HttpClient(new Secret(endpoint), {
    owner,
    what: 'PagerDuty endpoint',
    timeoutMs: config.timeout,
    maxSockets: concurrency,
  });
  const links = (detector: string): PdLink[] => {
    const out: PdLink[] = [];
    for (const [text, cfg] of [['Datadog', deps.links?.datadog], ['Kibana', deps.links?.kibana]] as const) {
      if (cfg !== undefined) out.push({ href: `${cfg.baseUrl.replace(/\/$/, '')}/${encodeURIComponent(`${cfg.idPrefix}${detector}`)}`, text });
    }
    return out;
  };
  return {
    name,
    kind: 'pagerduty',
    mode: 'alert',
    durable: true,
    rateLimit: config.rateLimit ?? PAGERDUTY_DEFAULT_RATE,
    concurrency,
    async send(n: Notification, ctx: SendContext): Promise<Verdict> {
      const event = screenStrings(renderPagerDuty(n, ctx, config.source, links), (rule, c) => deps.onRedact?.(name, rule, c), 'pagerduty');
      // The routing key is added after the screen (it would be redacted) and never logged.
      const body = JSON.stringify({ routing_key: key.reveal(), ...event });
      const outcome = await client.post(body, { 'content-type': 'application/json' });
      return classify(outcome, deps.now());
    },
    close(): Promise<void> {
      client.close();
      return Promise.resolve();
    },
  };
}
