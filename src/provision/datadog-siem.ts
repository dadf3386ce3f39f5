// Cloud SIEM threshold rules through the v2 SecurityMonitoringApi, for the detectors listed in
// provision.datadog.siem. Same identity rules as monitors: found by tags, validated before every
// write, re-listed after a failed create, deleted only after reading auditwatch's tag again.
import type { v2 } from '@datadog/datadog-api-client';
import { z } from 'zod';
import type { DatadogSettings } from '../config/sections/provision.js';
import { AuditwatchError, isAuditwatchError } from '../errors.js';
import { toJson } from './canonical.js';
import { DETECTOR_TAG, MANAGED_TAG, REVISION_TAG, isOwnedTag } from './compile-datadog.js';
import type { DesiredObject, JsonObject, LiveObject } from './model.js';
import { withRetry, type RetryPolicy } from './retry.js';

const PAGE_SIZE = 100;

const liveRule = z.looseObject({
  id: z.string(),
  name: z.string(),
  type: z.string().optional(),
  isEnabled: z.boolean().optional(),
  message: z.string().optional(),
  tags: z.array(z.string()).default([]),
  queries: z.array(z.looseObject({ name: z.string().optional(), query: z.string().optional(), aggregation: z.string().optional(), groupByFields: z.array(z.string()).optional(), distinctFields: z.array(z.string()).optional() })).default([]),
  cases: z.array(z.looseObject({ name: z.string().optional(), status: z.string(), condition: z.string().optional(), notifications: z.array(z.string()).optional() })).default([]),
  options: z.looseObject({ detectionMethod: z.string().optional(), evaluationWindow: z.number().optional(), keepAlive: z.number().optional(), maxSignalDuration: z.number().optional() }).default({}),
});
type LiveRule = z.infer<typeof liveRule>;

const listAnswer = z.looseObject({ data: z.array(z.unknown()).default([]) });

const QUERY_KEYS = ['name', 'query', 'aggregation', 'groupByFields', 'distinctFields'] as const;
const CASE_KEYS = ['name', 'status', 'condition', 'notifications'] as const;
const OPTION_KEYS = ['detectionMethod', 'evaluationWindow', 'keepAlive', 'maxSignalDuration'] as const;

function pick<T extends Record<string, unknown>>(o: T, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

export function projectRule(r: LiveRule, settings: DatadogSettings): JsonObject {
  return toJson({
    name: r.name,
    type: r.type,
    isEnabled: r.isEnabled,
    message: r.message,
    tags: r.tags.filter((t) => isOwnedTag(t, settings)).sort(),
    queries: r.queries.map((q) => pick(q, QUERY_KEYS)),
    cases: r.cases.map((c) => pick(c, CASE_KEYS)),
    options: pick(r.options, OPTION_KEYS),
  }) as JsonObject;
}

export class SiemRules {
  private readonly raw = new Map<string, LiveRule>();

  constructor(
    private readonly api: v2.SecurityMonitoringApi,
    private readonly settings: DatadogSettings,
    private readonly retry: RetryPolicy,
  ) {}

  private parse(value: unknown, what: string): LiveRule {
    const r = liveRule.safeParse(value);
    if (!r.success) throw new AuditwatchError('PROVISION', `Datadog ${what}: unexpected rule shape: ${r.error.issues[0]?.path.join('.') ?? ''} ${r.error.issues[0]?.message ?? ''}`, { target: 'datadog' });
    return r.data;
  }

  private async listAll(): Promise<LiveRule[]> {
    const out: LiveRule[] = [];
    for (let pageNumber = 0; ; pageNumber++) {
      const page = listAnswer.parse(await withRetry(() => this.api.listSecurityMonitoringRules({ pageSize: PAGE_SIZE, pageNumber }), this.retry));
      for (const item of page.data) {
        const r = this.parse(item, 'GET /api/v2/security_monitoring/rules');
        if (r.tags.includes(MANAGED_TAG)) out.push(r);
      }
      if (page.data.length < PAGE_SIZE) return out;
    }
  }

  /**
   * The managed rules. When no detector asks for a rule, an organisation without Cloud SIEM
   * (403/404) is not an error: there is nothing to manage there.
   */
  async list(required: boolean): Promise<{ live: LiveObject[] } | { unavailable: string }> {
    let rules: LiveRule[];
    try {
      rules = await this.listAll();
    } catch (err) {
      const status = isAuditwatchError(err) ? err.context.status : undefined;
      if (!required && (status === 403 || status === 404)) return { unavailable: `Cloud SIEM rules not listed (HTTP ${status}); no detector asks for one` };
      throw err;
    }
    const live = rules.map((r): LiveObject => {
      this.raw.set(r.id, r);
      const key = r.tags.find((t) => t.startsWith(DETECTOR_TAG))?.slice(DETECTOR_TAG.length) ?? '';
      return { target: 'datadog', kind: 'siem-rule', key, id: r.id, title: r.name, owned: projectRule(r, this.settings) };
    });
    return { live };
  }

  private body(d: DesiredObject, live: LiveRule | undefined): v2.SecurityMonitoringStandardRuleCreatePayload {
    const o = d.owned as unknown as v2.SecurityMonitoringStandardRuleCreatePayload;
    const userTags = live === undefined ? [] : live.tags.filter((t) => !isOwnedTag(t, this.settings));
    return { ...o, tags: [...(o.tags ?? []), ...userTags] };
  }

  private async findCreated(d: DesiredObject): Promise<string | undefined> {
    const rules = await this.listAll();
    return rules.find((r) => r.tags.includes(`${DETECTOR_TAG}${d.key}`) && r.tags.includes(`${REVISION_TAG}${d.revision}`))?.id;
  }

  private async validate(d: DesiredObject, body: v2.SecurityMonitoringStandardRuleCreatePayload): Promise<void> {
    try {
      await withRetry(() => this.api.validateSecurityMonitoringRule({ body }), this.retry);
    } catch (err) {
      if (isAuditwatchError(err)) throw new AuditwatchError('PROVISION', `detector ${d.key}: Datadog refused the compiled Cloud SIEM rule: ${err.message}`, { ...err.context, detector: d.key }, { cause: err });
      throw err;
    }
  }

  async create(d: DesiredObject): Promise<string> {
    const body = this.body(d, undefined);
    await this.validate(d, body);
    return withRetry(
      async () => this.parse(await this.api.createSecurityMonitoringRule({ body }), 'POST /api/v2/security_monitoring/rules').id,
      this.retry,
      () => this.findCreated(d),
    );
  }

  async update(d: DesiredObject, live: LiveObject): Promise<void> {
    const body = this.body(d, this.raw.get(live.id));
    await this.validate(d, body);
    await withRetry(() => this.api.updateSecurityMonitoringRule({ ruleId: live.id, body }), this.retry);
  }

  async remove(live: LiveObject): Promise<void> {
    let current: LiveRule;
    try {
      current = this.parse(await withRetry(() => this.api.getSecurityMonitoringRule({ ruleId: live.id }), this.retry), `GET /api/v2/security_monitoring/rules/${live.id}`);
    } catch (err) {
      if (isAuditwatchError(err) && err.context.status === 404) return;
      throw err;
    }
    if (!current.tags.includes(MANAGED_TAG)) throw new AuditwatchError('PROVISION', `Cloud SIEM rule ${live.id} no longer carries ${MANAGED_TAG}: not deleting it`, { target: 'datadog', id: live.id });
    try {
      await withRetry(() => this.api.deleteSecurityMonitoringRule({ ruleId: live.id }), this.retry);
    } catch (err) {
      if (!(isAuditwatchError(err) && err.context.status === 404)) throw err;
    }
  }
}
