// Log monitors through @datadog/datadog-api-client's v1 MonitorsApi. Monitors are found by tags
// (managed_by:auditwatch + auditwatch_detector:<id>), never by name. validateMonitor runs before
// every create and update; a failed create lists again before any retry, so a create that reached
// Datadog but whose answer was lost is adopted instead of being made twice.
import type { v1 } from '@datadog/datadog-api-client';
import { z } from 'zod';
import { AuditwatchError, isAuditwatchError } from '../errors.js';
import type { DatadogSettings } from '../config/sections/provision.js';
import { toJson } from './canonical.js';
import { DETECTOR_TAG, MANAGED_TAG, REVISION_TAG, isOwnedTag } from './compile-datadog.js';
import type { DesiredObject, JsonObject, LiveObject } from './model.js';
import { withRetry, type RetryPolicy } from './retry.js';

const PAGE_SIZE = 1000;

// What auditwatch relies on in a monitor the client returns (camelCase model objects).
const liveMonitor = z.looseObject({
  id: z.number().int(),
  type: z.string(),
  name: z.string(),
  query: z.string(),
  message: z.string(),
  tags: z.array(z.string()).default([]),
  priority: z.number().int().nullable().optional(),
  options: z
    .looseObject({
      thresholds: z
        .looseObject({
          critical: z.number().optional(),
          criticalRecovery: z.number().optional(),
          warning: z.number().optional(),
          warningRecovery: z.number().optional(),
          ok: z.number().optional(),
          unknown: z.number().optional(),
        })
        .optional(),
      notifyNoData: z.boolean().optional(),
      includeTags: z.boolean().optional(),
      enableLogsSample: z.boolean().optional(),
    })
    .optional(),
});
type LiveMonitor = z.infer<typeof liveMonitor>;

// The owned fields of a compiled monitor (compile-datadog.ts), read back as typed data.
const ownedMonitor = z.strictObject({
  type: z.literal('log alert'),
  name: z.string(),
  query: z.string(),
  message: z.string(),
  priority: z.number().int(),
  tags: z.array(z.string()),
  options: z.strictObject({
    thresholds: z.strictObject({ critical: z.number() }),
    notify_no_data: z.boolean(),
    include_tags: z.boolean(),
    enable_logs_sample: z.boolean(),
  }),
});

function thresholds(t: NonNullable<NonNullable<LiveMonitor['options']>['thresholds']>): JsonObject {
  const out: Record<string, number> = {};
  const pairs: [string, number | undefined][] = [
    ['critical', t.critical],
    ['critical_recovery', t.criticalRecovery],
    ['warning', t.warning],
    ['warning_recovery', t.warningRecovery],
    ['ok', t.ok],
    ['unknown', t.unknown],
  ];
  for (const [k, v] of pairs) if (v !== undefined) out[k] = v;
  return out;
}

/** A live monitor projected to the fields compile-datadog owns, in the API's field names. */
export function projectMonitor(m: LiveMonitor, settings: DatadogSettings): JsonObject {
  const o = m.options ?? {};
  const options: Record<string, JsonObject | boolean> = {};
  if (o.thresholds !== undefined) options.thresholds = thresholds(o.thresholds);
  if (o.notifyNoData !== undefined) options.notify_no_data = o.notifyNoData;
  if (o.includeTags !== undefined) options.include_tags = o.includeTags;
  if (o.enableLogsSample !== undefined) options.enable_logs_sample = o.enableLogsSample;
  const out: Record<string, unknown> = {
    type: m.type,
    name: m.name,
    query: m.query,
    message: m.message,
    tags: m.tags.filter((t) => isOwnedTag(t, settings)).sort(),
    options,
  };
  if (m.priority !== null && m.priority !== undefined) out.priority = m.priority;
  return toJson(out) as JsonObject;
}

function detectorOf(tags: readonly string[]): string {
  return tags.find((t) => t.startsWith(DETECTOR_TAG))?.slice(DETECTOR_TAG.length) ?? '';
}

export class DatadogMonitors {
  /** The full live monitor per id, for updates that must keep fields auditwatch does not own. */
  private readonly raw = new Map<string, LiveMonitor>();

  constructor(
    private readonly api: v1.MonitorsApi,
    private readonly settings: DatadogSettings,
    private readonly retry: RetryPolicy,
  ) {}

  private parse(value: unknown, what: string): LiveMonitor {
    const r = liveMonitor.safeParse(value);
    if (!r.success) throw new AuditwatchError('PROVISION', `Datadog ${what}: unexpected monitor shape: ${r.error.issues[0]?.path.join('.') ?? ''} ${r.error.issues[0]?.message ?? ''}`, { target: 'datadog' });
    return r.data;
  }

  /** Every monitor tagged managed_by:auditwatch (all pages). */
  async list(): Promise<LiveObject[]> {
    const out: LiveObject[] = [];
    for (let page = 0; ; page++) {
      const batch = await withRetry(() => this.api.listMonitors({ monitorTags: MANAGED_TAG, page, pageSize: PAGE_SIZE }), this.retry);
      if (!Array.isArray(batch)) throw new AuditwatchError('PROVISION', 'Datadog GET /api/v1/monitor: expected a list of monitors', { target: 'datadog' });
      for (const item of batch) {
        const m = this.parse(item, 'GET /api/v1/monitor');
        if (!m.tags.includes(MANAGED_TAG)) continue; // never trust a filter with what may be deleted
        this.raw.set(String(m.id), m);
        out.push({ target: 'datadog', kind: 'monitor', key: detectorOf(m.tags), id: String(m.id), title: m.name, owned: projectMonitor(m, this.settings) });
      }
      if (batch.length < PAGE_SIZE) return out;
    }
  }

  private body(d: DesiredObject, live: LiveMonitor | undefined): v1.Monitor {
    const o = ownedMonitor.parse(d.owned);
    const userTags = live === undefined ? [] : live.tags.filter((t) => !isOwnedTag(t, this.settings));
    const liveOptions = (live?.options ?? {}) as v1.MonitorOptions;
    return {
      type: o.type,
      name: o.name,
      query: o.query,
      message: o.message,
      priority: o.priority,
      tags: [...o.tags, ...userTags],
      options: {
        ...liveOptions,
        thresholds: { critical: o.options.thresholds.critical },
        notifyNoData: o.options.notify_no_data,
        includeTags: o.options.include_tags,
        enableLogsSample: o.options.enable_logs_sample,
      },
    };
  }

  private async validate(d: DesiredObject, body: v1.Monitor, id: number | undefined): Promise<void> {
    try {
      await withRetry(() => (id === undefined ? this.api.validateMonitor({ body }) : this.api.validateExistingMonitor({ monitorId: id, body })), this.retry);
    } catch (err) {
      if (isAuditwatchError(err)) {
        throw new AuditwatchError('PROVISION', `detector ${d.key}: Datadog refused the compiled monitor: ${err.message}`, { ...err.context, detector: d.key }, { cause: err });
      }
      throw err;
    }
  }

  /** The monitor for this detector at this revision, if one exists (a create that did happen). */
  private async findCreated(d: DesiredObject): Promise<string | undefined> {
    const tags = [MANAGED_TAG, `${DETECTOR_TAG}${d.key}`, `${REVISION_TAG}${d.revision}`].join(',');
    const found = await withRetry(() => this.api.listMonitors({ monitorTags: tags, page: 0, pageSize: PAGE_SIZE }), this.retry);
    const hit = Array.isArray(found) ? found.map((m) => this.parse(m, 'GET /api/v1/monitor')).find((m) => m.tags.includes(`${DETECTOR_TAG}${d.key}`)) : undefined;
    return hit === undefined ? undefined : String(hit.id);
  }

  async create(d: DesiredObject): Promise<string> {
    const body = this.body(d, undefined);
    await this.validate(d, body, undefined);
    const created = await withRetry(
      async () => String(this.parse(await this.api.createMonitor({ body }), 'POST /api/v1/monitor').id),
      this.retry,
      () => this.findCreated(d),
    );
    return created;
  }

  async update(d: DesiredObject, live: LiveObject): Promise<void> {
    const id = Number(live.id);
    const body = this.body(d, this.raw.get(live.id));
    await this.validate(d, body, id);
    await withRetry(() => this.api.updateMonitor({ monitorId: id, body }), this.retry);
  }

  /** Deletes only after reading the monitor again and seeing auditwatch's tag on it. */
  async remove(live: LiveObject): Promise<void> {
    const id = Number(live.id);
    let current: LiveMonitor;
    try {
      current = this.parse(await withRetry(() => this.api.getMonitor({ monitorId: id }), this.retry), `GET /api/v1/monitor/${id}`);
    } catch (err) {
      if (isAuditwatchError(err) && err.context.status === 404) return;
      throw err;
    }
    if (!current.tags.includes(MANAGED_TAG)) {
      throw new AuditwatchError('PROVISION', `Datadog monitor ${id} no longer carries ${MANAGED_TAG}: not deleting it`, { target: 'datadog', id });
    }
    try {
      await withRetry(() => this.api.deleteMonitor({ monitorId: id }), this.retry);
    } catch (err) {
      if (isAuditwatchError(err) && err.context.status === 404) return;
      throw err;
    }
  }
}
