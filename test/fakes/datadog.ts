// Contract fake for the Datadog v1 Monitors API as called by @datadog/datadog-api-client
// (MonitorsApi in node_modules/@datadog/datadog-api-client/dist/packages/datadog-api-client-v1/apis).
// See CONTRACTS.md, section Datadog.
//
//   const dd = await DatadogFake.start();
//   const conf = client.createConfiguration({
//     baseServer: new client.BaseServerConfiguration(dd.url, {}),
//     authMethods: { apiKeyAuth: dd.apiKey, appKeyAuth: dd.appKey },
//   });
//   const monitors = new v1.MonitorsApi(conf);
import {
  HttpFake,
  accept,
  charLength,
  header,
  isPlainObject,
  mediaType,
  reject,
  type HttpFakeOptions,
  type RateLimitFaultOptions,
  type RecordedRequest,
  type Reply,
  type Verdict,
} from './http-fake.js';

export const DATADOG_LIMITS = {
  /** Log alert `last()` window: #m between 1 and 2880, #h between 1 and 48. */
  windowMinutesMax: 2880,
  windowHoursMax: 48,
  listPageSizeDefault: 100,
  listPageSizeMax: 1000,
  searchPerPageDefault: 30,
  tagMax: 200,
} as const;

export const LOG_ROLLUPS = ['count', 'avg', 'cardinality'] as const;
export const COMPARATORS = ['<=', '>=', '==', '!=', '<', '>'] as const;
export type Comparator = (typeof COMPARATORS)[number];

export interface ParsedLogQuery {
  search: string;
  index: string | undefined;
  rollup: (typeof LOG_ROLLUPS)[number];
  measure: string | undefined;
  by: string[];
  window: string;
  windowMinutes: number;
  comparator: Comparator;
  threshold: number;
}

export interface StoredMonitor {
  id: number;
  org_id: number;
  type: string;
  query: string;
  name: string;
  message: string;
  tags: string[];
  options: Record<string, unknown>;
  multi: boolean;
  priority: number | null;
  restricted_roles: string[] | null;
  created: string;
  created_at: number;
  modified: string;
  deleted: null;
  overall_state: string;
  overall_state_modified: string | null;
  creator: { email: string; handle: string; name: string };
}

/** A Security Monitoring rule as GET /api/v2/security_monitoring/rules/{id} returns it (camelCase on the wire). */
export interface StoredRule {
  id: string;
  type: string;
  name: string;
  message: string;
  isEnabled: boolean;
  tags: string[];
  queries: Record<string, unknown>[];
  cases: Record<string, unknown>[];
  options: Record<string, unknown>;
  filters: unknown[];
  hasExtendedTitle: boolean;
  groupSignalsBy: string[];
  isDefault: boolean;
  isDeleted: boolean;
  createdAt: number;
  updatedAt: number;
  creationAuthorId: number;
  updateAuthorId: number;
  version: number;
}

/** Enum values from the client's v2 models (SecurityMonitoringRule*). */
export const RULE_DURATIONS = [0, 60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400] as const;
export const RULE_SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export const RULE_AGGREGATIONS = ['count', 'cardinality', 'sum', 'max', 'new_value', 'geo_data', 'event_count', 'none'] as const;
export const RULE_DATA_SOURCES = ['logs', 'audit', 'app_sec_spans', 'spans', 'security_runtime', 'network', 'events', 'security_signals'] as const;
const RULE_KEYS = new Set(['type', 'name', 'message', 'isEnabled', 'tags', 'queries', 'cases', 'options', 'filters', 'hasExtendedTitle', 'groupSignalsBy',
  'calculatedFields', 'referenceTables', 'schedulingOptions', 'thirdPartyCases', 'customMessage', 'customName', 'version']);
const RULE_QUERY_KEYS = new Set(['query', 'aggregation', 'dataSource', 'distinctFields', 'groupByFields', 'hasOptionalGroupByFields', 'index', 'indexes', 'metric', 'metrics', 'name', 'customQueryExtension']);
const RULE_CASE_KEYS = new Set(['name', 'status', 'condition', 'notifications', 'actions']);
const RULE_OPTION_KEYS = new Set(['detectionMethod', 'evaluationWindow', 'keepAlive', 'maxSignalDuration', 'decreaseCriticalityBasedOnEnv', 'newValueOptions',
  'anomalyDetectionOptions', 'impossibleTravelOptions', 'hardcodedEvaluatorType', 'sequenceDetectionOptions', 'thirdPartyRuleOptions', 'complianceRuleOptions']);

export interface DatadogRateLimitOptions {
  /** Requests allowed per period (X-RateLimit-Limit). */
  limit: number;
  /** Period in seconds, calendar aligned (X-RateLimit-Period). */
  periodSeconds: number;
  /** X-RateLimit-Name (default 'monitors'). */
  name?: string;
}

export interface DatadogFakeOptions extends HttpFakeOptions {
  apiKeys?: string[];
  appKeys?: string[];
  /** Monitor types the fake models (default: only 'log alert', the one auditwatch provisions). */
  allowedTypes?: string[];
  /** Enforce a request budget with Datadog's X-RateLimit-* headers (off by default). */
  rateLimit?: DatadogRateLimitOptions;
  /** Require lower-case `key:value` tags (Datadog lower-cases tags; default true). */
  strictTags?: boolean;
}

const OPTION_KEYS = new Set([
  'aggregation', 'device_ids', 'enable_logs_sample', 'enable_samples', 'escalation_message', 'evaluation_delay',
  'group_retention_duration', 'groupby_simple_monitor', 'include_tags', 'locked', 'min_failure_duration',
  'min_location_failed', 'new_group_delay', 'new_host_delay', 'no_data_timeframe', 'notification_preset_name',
  'notify_audit', 'notify_by', 'notify_no_data', 'on_missing_data', 'renotify_interval', 'renotify_occurrences',
  'renotify_statuses', 'require_full_window', 'scheduling_options', 'silenced', 'synthetics_check_id',
  'threshold_windows', 'thresholds', 'timeout_h', 'variables',
]);
const BOOLEAN_OPTIONS = ['enable_logs_sample', 'enable_samples', 'groupby_simple_monitor', 'include_tags', 'locked', 'notify_audit', 'notify_no_data', 'require_full_window'];
const NUMBER_OR_NULL_OPTIONS = ['evaluation_delay', 'new_group_delay', 'new_host_delay', 'no_data_timeframe', 'renotify_interval', 'renotify_occurrences', 'timeout_h', 'min_failure_duration'];
const LOG_THRESHOLD_KEYS = new Set(['critical', 'warning', 'critical_recovery', 'warning_recovery']);
const MONITOR_KEYS = new Set(['type', 'query', 'name', 'message', 'tags', 'options', 'priority', 'restricted_roles', 'draft_status', 'assets',
  // read-only fields a client may echo back; ignored
  'id', 'created', 'modified', 'creator', 'deleted', 'overall_state', 'multi', 'state', 'matching_downtimes', 'org_id', 'created_at', 'overall_state_modified']);

const LIST_PARAMS = new Set(['group_states', 'name', 'tags', 'monitor_tags', 'with_downtimes', 'id_offset', 'page', 'page_size']);
const GET_PARAMS = new Set(['group_states', 'with_downtimes', 'with_assets']);
const SEARCH_PARAMS = new Set(['query', 'page', 'per_page', 'sort']);

export class DatadogFake extends HttpFake {
  readonly apiKey: string;
  readonly appKey: string;
  private readonly apiKeys: Set<string>;
  private readonly appKeys: Set<string>;
  private readonly allowedTypes: Set<string>;
  private readonly strictTags: boolean;
  private readonly budget: Required<DatadogRateLimitOptions> | undefined;
  private budgetWindow = { start: 0, used: 0 };
  private readonly store = new Map<number, StoredMonitor>();
  private nextId = 1_000_001;
  private readonly ruleStore = new Map<string, StoredRule>();
  private nextRule = 46_656; // 'a00' in base 36: ids look like 'a00-a00-xyz'

  private constructor(options: DatadogFakeOptions) {
    super(options);
    const apiKeys = options.apiKeys ?? ['fake-dd-api-key-0000000000000000'];
    const appKeys = options.appKeys ?? ['fake-dd-app-key-00000000000000000000000'];
    const [apiKey] = apiKeys;
    const [appKey] = appKeys;
    if (apiKey === undefined || appKey === undefined) throw new Error('DatadogFake needs at least one API key and one application key');
    this.apiKey = apiKey;
    this.appKey = appKey;
    this.apiKeys = new Set(apiKeys);
    this.appKeys = new Set(appKeys);
    this.allowedTypes = new Set(options.allowedTypes ?? ['log alert']);
    this.strictTags = options.strictTags ?? true;
    this.budget = options.rateLimit ? { name: 'monitors', ...options.rateLimit } : undefined;
  }

  static async start(options: DatadogFakeOptions = {}): Promise<DatadogFake> {
    return new DatadogFake(options).listen();
  }

  /** Monitors currently stored (not deleted). */
  monitors(): StoredMonitor[] {
    return [...this.store.values()];
  }

  monitor(id: number): StoredMonitor | undefined {
    return this.store.get(id);
  }

  /** Security Monitoring rules currently stored (not deleted). */
  securityRules(): StoredRule[] {
    return [...this.ruleStore.values()];
  }

  /** Put a monitor in the store directly (as if someone made it in the UI). Validates like create. */
  seed(body: Record<string, unknown>): StoredMonitor {
    const errors = this.validateMonitor(body);
    if (errors.length > 0) throw new Error(`seed: ${errors.join('; ')}`);
    return this.create(body);
  }

  /** Change a monitor's overall_state (e.g. to see what auditwatch does with 'Alert'). */
  setOverallState(id: number, state: 'OK' | 'Alert' | 'Warn' | 'No Data' | 'Ignored' | 'Skipped' | 'Unknown'): void {
    const m = this.store.get(id);
    if (m === undefined) throw new Error(`no monitor ${id}`);
    m.overall_state = state;
    m.overall_state_modified = new Date(this.now()).toISOString();
  }

  protected override rateLimitReply(retryAfterSeconds: number, options: RateLimitFaultOptions): Reply {
    const headers: Record<string, string> = {
      'X-RateLimit-Limit': String(this.budget?.limit ?? 100),
      'X-RateLimit-Period': String(this.budget?.periodSeconds ?? 60),
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': String(retryAfterSeconds),
      'X-RateLimit-Name': this.budget?.name ?? 'monitors',
    };
    if (!options.omitRetryAfter) headers['Retry-After'] = String(retryAfterSeconds);
    return { status: 429, headers, body: { errors: ['Too many requests'] } };
  }

  protected override serverErrorReply(status: number): Reply {
    return { status, body: { errors: ['Internal Server Error'] } };
  }

  protected handle(req: RecordedRequest): Verdict {
    const apiKey = header(req.headers, 'DD-API-KEY');
    const appKey = header(req.headers, 'DD-APPLICATION-KEY');
    if (apiKey === undefined || !this.apiKeys.has(apiKey)) return reject(403, `DD-API-KEY ${apiKey === undefined ? 'missing' : 'wrong'}`, { errors: ['Forbidden'] });
    if (appKey === undefined || !this.appKeys.has(appKey)) return reject(403, `DD-APPLICATION-KEY ${appKey === undefined ? 'missing' : 'wrong'}`, { errors: ['Forbidden'] });

    let rateHeaders: Record<string, string> = {};
    if (this.budget !== undefined) {
      const b = this.budget;
      const nowS = req.receivedAt / 1000;
      const start = Math.floor(nowS / b.periodSeconds) * b.periodSeconds;
      if (start !== this.budgetWindow.start) this.budgetWindow = { start, used: 0 };
      const reset = Math.max(1, Math.ceil(start + b.periodSeconds - nowS));
      const over = this.budgetWindow.used >= b.limit;
      if (!over) this.budgetWindow.used += 1;
      rateHeaders = {
        'X-RateLimit-Limit': String(b.limit),
        'X-RateLimit-Period': String(b.periodSeconds),
        'X-RateLimit-Remaining': String(Math.max(0, b.limit - this.budgetWindow.used)),
        'X-RateLimit-Reset': String(reset),
        'X-RateLimit-Name': b.name,
      };
      if (over) return reject(429, `rate limit '${b.name}' exhausted (${b.limit}/${b.periodSeconds}s)`, { errors: ['Too many requests'] }, rateHeaders);
    }
    const verdict = this.route(req);
    verdict.headers = { ...rateHeaders, ...(verdict.headers ?? {}) };
    return verdict;
  }

  private route(req: RecordedRequest): Verdict {
    const p = req.path;
    const m = req.method;
    if (p === '/api/v1/monitor' && m === 'GET') return this.list(req);
    if (p === '/api/v1/monitor' && m === 'POST') return this.withBody(req, (body) => this.createFromRequest(body));
    if (p === '/api/v1/monitor/search' && m === 'GET') return this.search(req);
    if (p === '/api/v1/monitor/validate' && m === 'POST') return this.withBody(req, (body) => this.validateOnly(body, undefined));
    if (p === '/api/v1/monitor/can_delete' && m === 'GET') return this.canDelete(req);
    if (p.startsWith('/api/v2/security_monitoring/rules')) return this.routeRules(req);
    const idMatch = /^\/api\/v1\/monitor\/(\d+)(\/validate)?$/.exec(p);
    if (idMatch !== null && idMatch[1] !== undefined) {
      const id = Number(idMatch[1]);
      if (idMatch[2] !== undefined) {
        if (m !== 'POST') return notFound(req);
        const existing = this.store.get(id);
        if (existing === undefined) return monitorNotFound(id);
        return this.withBody(req, (body) => this.validateOnly(body, existing));
      }
      if (m === 'GET') return this.get(req, id);
      if (m === 'PUT') return this.withBody(req, (body) => this.update(id, body));
      if (m === 'DELETE') return this.remove(req, id);
    }
    return notFound(req);
  }

  private withBody(req: RecordedRequest, fn: (body: Record<string, unknown>) => Verdict): Verdict {
    if (mediaType(req.headers) !== 'application/json') {
      return reject(415, `content-type ${String(req.headers['content-type'])} is not application/json`, { errors: ['Unsupported Media Type'] });
    }
    if (req.jsonError !== undefined || !isPlainObject(req.json)) return reject(400, 'body is not a JSON object', { errors: ['Invalid JSON'] });
    return fn(req.json);
  }

  private createFromRequest(body: Record<string, unknown>): Verdict {
    const errors = this.validateMonitor(body);
    if (errors.length > 0) return bad(errors);
    return accept(200, this.create(body));
  }

  private create(body: Record<string, unknown>): StoredMonitor {
    const now = new Date(this.now()).toISOString();
    const query = body.query as string;
    const monitor: StoredMonitor = {
      id: this.nextId++,
      org_id: 4242,
      type: body.type as string,
      query,
      name: body.name as string,
      message: body.message as string,
      tags: Array.isArray(body.tags) ? (body.tags as string[]) : [],
      options: withDefaultOptions(isPlainObject(body.options) ? body.options : {}),
      multi: /\.by\(/.test(query),
      priority: typeof body.priority === 'number' ? body.priority : null,
      restricted_roles: Array.isArray(body.restricted_roles) ? (body.restricted_roles as string[]) : null,
      created: now,
      created_at: this.now(),
      modified: now,
      deleted: null,
      overall_state: 'No Data',
      overall_state_modified: null,
      creator: { email: 'contract-fake@example.com', handle: 'contract-fake@example.com', name: 'Contract Fake' },
    };
    this.store.set(monitor.id, monitor);
    return monitor;
  }

  private validateOnly(body: Record<string, unknown>, existing: StoredMonitor | undefined): Verdict {
    const errors = this.validateMonitor(body);
    if (existing !== undefined && body.type !== existing.type) errors.push(`The value provided for parameter 'type' is invalid: monitor ${existing.id} is a '${existing.type}'`);
    if (errors.length > 0) return bad(errors);
    return accept(200, {});
  }

  private get(req: RecordedRequest, id: number): Verdict {
    const unknown = unknownParams(req, GET_PARAMS);
    if (unknown.length > 0) return bad([`unknown query parameter(s): ${unknown.join(', ')}`]);
    const monitor = this.store.get(id);
    if (monitor === undefined) return monitorNotFound(id);
    const out: Record<string, unknown> = { ...monitor };
    if (req.query.get('with_downtimes') === 'true') out.matching_downtimes = [];
    return accept(200, out);
  }

  private update(id: number, body: Record<string, unknown>): Verdict {
    const existing = this.store.get(id);
    if (existing === undefined) return monitorNotFound(id);
    if ('id' in body && body.id !== id) return bad([`The value provided for parameter 'id' is invalid: body id ${String(body.id)} does not match ${id}`]);
    if ('type' in body && body.type !== existing.type) return bad([`The value provided for parameter 'type' is invalid: cannot change a '${existing.type}' monitor into '${String(body.type)}'`]);
    const merged: Record<string, unknown> = {
      type: existing.type,
      query: 'query' in body ? body.query : existing.query,
      name: 'name' in body ? body.name : existing.name,
      message: 'message' in body ? body.message : existing.message,
      tags: 'tags' in body ? body.tags : existing.tags,
      options: 'options' in body ? body.options : existing.options,
      priority: 'priority' in body ? body.priority : existing.priority,
      restricted_roles: 'restricted_roles' in body ? body.restricted_roles : existing.restricted_roles,
    };
    for (const k of Object.keys(body)) if (!MONITOR_KEYS.has(k)) return bad([`unknown field '${k}'`]);
    const errors = this.validateMonitor(merged);
    if (errors.length > 0) return bad(errors);
    const query = merged.query as string;
    existing.query = query;
    existing.name = merged.name as string;
    existing.message = merged.message as string;
    existing.tags = Array.isArray(merged.tags) ? (merged.tags as string[]) : [];
    existing.options = withDefaultOptions(isPlainObject(merged.options) ? merged.options : {});
    existing.priority = typeof merged.priority === 'number' ? merged.priority : null;
    existing.restricted_roles = Array.isArray(merged.restricted_roles) ? (merged.restricted_roles as string[]) : null;
    existing.multi = /\.by\(/.test(query);
    existing.modified = new Date(this.now()).toISOString();
    return accept(200, existing);
  }

  private remove(req: RecordedRequest, id: number): Verdict {
    const unknown = unknownParams(req, new Set(['force']));
    if (unknown.length > 0) return bad([`unknown query parameter(s): ${unknown.join(', ')}`]);
    if (!this.store.delete(id)) return monitorNotFound(id);
    return accept(200, { deleted_monitor_id: id });
  }

  private canDelete(req: RecordedRequest): Verdict {
    const raw = req.query.get('monitor_ids');
    if (raw === null || raw === '') return bad(["The value provided for parameter 'monitor_ids' is invalid"]);
    const ids = raw.split(',').map((s) => Number(s));
    if (ids.some((n) => !Number.isInteger(n))) return bad(["The value provided for parameter 'monitor_ids' is invalid"]);
    return accept(200, { data: { ok: ids.filter((i) => this.store.has(i)) }, errors: null });
  }

  private list(req: RecordedRequest): Verdict {
    const unknown = unknownParams(req, LIST_PARAMS);
    if (unknown.length > 0) return bad([`unknown query parameter(s): ${unknown.join(', ')} (known: ${[...LIST_PARAMS].join(', ')})`]);
    const q = req.query;
    let result = [...this.store.values()].sort((a, b) => a.id - b.id);
    const name = q.get('name');
    if (name !== null) result = result.filter((m) => m.name.toLowerCase().includes(name.toLowerCase()));
    const monitorTags = splitCsv(q.get('monitor_tags'));
    if (monitorTags.length > 0) result = result.filter((m) => monitorTags.every((t) => m.tags.includes(t)));
    const scopeTags = splitCsv(q.get('tags'));
    if (scopeTags.length > 0) result = result.filter((m) => scopeTags.every((t) => m.query.includes(t)));
    const idOffset = q.get('id_offset');
    if (idOffset !== null) {
      const off = Number(idOffset);
      if (!Number.isInteger(off) || off < 0) return bad(["The value provided for parameter 'id_offset' is invalid"]);
      result = result.filter((m) => m.id > off);
    }
    const page = q.get('page');
    const pageSizeRaw = q.get('page_size');
    // Documented: without `page` every monitor is returned and page_size has no effect.
    if (page !== null) {
      const p = Number(page);
      const size = pageSizeRaw === null ? DATADOG_LIMITS.listPageSizeDefault : Number(pageSizeRaw);
      if (!Number.isInteger(p) || p < 0) return bad(["The value provided for parameter 'page' is invalid"]);
      if (!Number.isInteger(size) || size < 1 || size > DATADOG_LIMITS.listPageSizeMax) {
        return bad([`The value provided for parameter 'page_size' is invalid: must be between 1 and ${DATADOG_LIMITS.listPageSizeMax}`]);
      }
      result = result.slice(p * size, p * size + size);
    }
    const withDowntimes = q.get('with_downtimes') === 'true';
    return accept(200, result.map((m) => (withDowntimes ? { ...m, matching_downtimes: [] } : m)));
  }

  private search(req: RecordedRequest): Verdict {
    const unknown = unknownParams(req, SEARCH_PARAMS);
    if (unknown.length > 0) return bad([`unknown query parameter(s): ${unknown.join(', ')}`]);
    const q = req.query;
    const page = q.get('page') === null ? 0 : Number(q.get('page'));
    const perPage = q.get('per_page') === null ? DATADOG_LIMITS.searchPerPageDefault : Number(q.get('per_page'));
    if (!Number.isInteger(page) || page < 0) return bad(["The value provided for parameter 'page' is invalid"]);
    if (!Number.isInteger(perPage) || perPage < 1) return bad(["The value provided for parameter 'per_page' is invalid"]);
    const filter = parseSearchQuery(q.get('query') ?? '');
    if (typeof filter === 'string') return bad([filter]);
    const result = [...this.store.values()].filter(filter);
    const sort = q.get('sort');
    if (sort !== null) {
      const [field, dir = 'asc'] = sort.split(',');
      if (field !== 'name' && field !== 'status' && field !== 'tags') return bad([`The value provided for parameter 'sort' is invalid: field '${String(field)}'`]);
      if (dir !== 'asc' && dir !== 'desc') return bad([`The value provided for parameter 'sort' is invalid: direction '${dir}'`]);
      const key = (m: StoredMonitor): string => (field === 'name' ? m.name : field === 'status' ? m.overall_state : m.tags.join(','));
      result.sort((a, b) => key(a).localeCompare(key(b)) * (dir === 'asc' ? 1 : -1));
    } else {
      result.sort((a, b) => a.id - b.id);
    }
    const total = result.length;
    const pageItems = result.slice(page * perPage, page * perPage + perPage);
    const countBy = (f: (m: StoredMonitor) => string[]): { name: string; count: number }[] => {
      const counts = new Map<string, number>();
      for (const m of result) for (const k of f(m)) counts.set(k, (counts.get(k) ?? 0) + 1);
      return [...counts].map(([n, count]) => ({ name: n, count }));
    };
    return accept(200, {
      counts: {
        status: countBy((m) => [m.overall_state.toLowerCase()]),
        tag: countBy((m) => m.tags),
        type: countBy((m) => [classification(m.type)]),
        muted: [],
      },
      metadata: { page, page_count: Math.ceil(total / perPage), per_page: perPage, total_count: total },
      monitors: pageItems.map((m) => ({
        id: m.id,
        name: m.name,
        query: m.query,
        type: m.type,
        tags: m.tags,
        status: m.overall_state,
        org_id: m.org_id,
        classification: classification(m.type),
        creator: { ...m.creator, id: 1 },
        scopes: [],
        metrics: [],
        notifications: [],
        last_triggered_ts: null,
        quality_issues: [],
      })),
    });
  }

  // -------------------------------------------------------------- Security Monitoring rules (v2)

  private routeRules(req: RecordedRequest): Verdict {
    const p = req.path;
    const m = req.method;
    if (p === '/api/v2/security_monitoring/rules' && m === 'GET') return this.listRules(req);
    if (p === '/api/v2/security_monitoring/rules' && m === 'POST') {
      return this.withBody(req, (body) => {
        const errors = this.validateRule(body);
        if (errors.length > 0) return bad(errors);
        return accept(200, this.createRule(body));
      });
    }
    if (p === '/api/v2/security_monitoring/rules/validation' && m === 'POST') {
      return this.withBody(req, (body) => {
        const errors = this.validateRule(body);
        return errors.length > 0 ? bad(errors) : accept(204);
      });
    }
    const idMatch = /^\/api\/v2\/security_monitoring\/rules\/([A-Za-z0-9-]+)$/.exec(p);
    const id = idMatch?.[1];
    if (id === undefined) return notFound(req);
    const rule = this.ruleStore.get(id);
    if (m === 'GET') return rule === undefined ? ruleNotFound(id) : accept(200, rule);
    if (m === 'DELETE') {
      if (!this.ruleStore.delete(id)) return ruleNotFound(id);
      return accept(204);
    }
    if (m === 'PUT') {
      if (rule === undefined) return ruleNotFound(id);
      return this.withBody(req, (body) => this.updateRule(rule, body));
    }
    return notFound(req);
  }

  /** The editable part of a rule, with the defaults Datadog fills in. */
  private ruleContent(body: Record<string, unknown>): Pick<StoredRule, 'name' | 'message' | 'isEnabled' | 'tags' | 'queries' | 'cases' | 'options' | 'filters' | 'hasExtendedTitle' | 'groupSignalsBy'> {
    return {
      name: body.name as string,
      message: body.message as string,
      isEnabled: body.isEnabled as boolean,
      tags: Array.isArray(body.tags) ? (body.tags as string[]) : [],
      queries: (body.queries as Record<string, unknown>[]).map((q) => ({ aggregation: 'count', dataSource: 'logs', groupByFields: [], distinctFields: [], ...q })),
      cases: (body.cases as Record<string, unknown>[]).map((c) => ({ name: '', notifications: [], ...c })),
      options: { detectionMethod: 'threshold', ...(body.options as Record<string, unknown>) },
      filters: Array.isArray(body.filters) ? (body.filters as unknown[]) : [],
      hasExtendedTitle: body.hasExtendedTitle === true,
      groupSignalsBy: Array.isArray(body.groupSignalsBy) ? (body.groupSignalsBy as string[]) : [],
    };
  }

  private createRule(body: Record<string, unknown>): StoredRule {
    const now = this.now();
    const n = this.nextRule++;
    const part = (k: number): string => (k % 46_656).toString(36).padStart(3, '0');
    const rule: StoredRule = {
      id: `${part(n)}-${part(n * 7 + 11)}-${part(n * 13 + 5)}`,
      type: typeof body.type === 'string' ? body.type : 'log_detection',
      ...this.ruleContent(body),
      isDefault: false,
      isDeleted: false,
      createdAt: now,
      updatedAt: now,
      creationAuthorId: 1,
      updateAuthorId: 1,
      version: 1,
    };
    this.ruleStore.set(rule.id, rule);
    return rule;
  }

  private updateRule(rule: StoredRule, body: Record<string, unknown>): Verdict {
    for (const k of Object.keys(body)) if (!RULE_KEYS.has(k)) return bad([`unknown field '${k}'`]);
    if ('type' in body && body.type !== rule.type) return bad([`cannot change rule type from '${rule.type}'`]);
    const merged: Record<string, unknown> = { type: rule.type };
    for (const k of ['name', 'message', 'isEnabled', 'tags', 'queries', 'cases', 'options', 'filters', 'hasExtendedTitle', 'groupSignalsBy'] as const) {
      merged[k] = k in body ? body[k] : rule[k];
    }
    const errors = this.validateRule(merged);
    if (errors.length > 0) return bad(errors);
    Object.assign(rule, this.ruleContent(merged), { updatedAt: this.now(), version: rule.version + 1 });
    return accept(200, rule);
  }

  private listRules(req: RecordedRequest): Verdict {
    const unknown = unknownParams(req, new Set(['page[size]', 'page[number]', 'query', 'sort']));
    if (unknown.length > 0) return bad([`unknown query parameter(s): ${unknown.join(', ')}`]);
    const size = req.query.get('page[size]') === null ? 10 : Number(req.query.get('page[size]'));
    const number = req.query.get('page[number]') === null ? 0 : Number(req.query.get('page[number]'));
    if (!Number.isInteger(size) || size < 1 || size > 100) return bad(["The value provided for parameter 'page[size]' is invalid: must be between 1 and 100"]);
    if (!Number.isInteger(number) || number < 0) return bad(["The value provided for parameter 'page[number]' is invalid"]);
    const text = (req.query.get('query') ?? '').trim().toLowerCase();
    const all = [...this.ruleStore.values()];
    const filtered = text === '' ? all : all.filter((r) => r.name.toLowerCase().includes(text) || r.tags.some((t) => t.includes(text)));
    return accept(200, {
      data: filtered.slice(number * size, number * size + size),
      meta: { page: { total_count: all.length, total_filtered_count: filtered.length } },
    });
  }

  /** Every contract problem in a Security Monitoring (log detection) rule create/validate body. */
  validateRule(body: Record<string, unknown>): string[] {
    const errors: string[] = [];
    for (const k of Object.keys(body)) if (!RULE_KEYS.has(k)) errors.push(`unknown field '${k}'`);
    if ('type' in body && body.type !== 'log_detection') errors.push(`rule type ${JSON.stringify(body.type)} is not modelled by this fake (log_detection)`);
    if (typeof body.name !== 'string' || body.name.trim() === '') errors.push("'name' is required");
    if (typeof body.message !== 'string' || body.message.trim() === '') errors.push("'message' is required");
    if (typeof body.isEnabled !== 'boolean') errors.push("'isEnabled' is required and must be a boolean");
    if ('tags' in body) errors.push(...checkTags(body.tags, this.strictTags));
    if ('hasExtendedTitle' in body && typeof body.hasExtendedTitle !== 'boolean') errors.push("'hasExtendedTitle' must be a boolean");

    const queryNames: string[] = [];
    if (!Array.isArray(body.queries) || body.queries.length === 0) errors.push("'queries' must be a non-empty array");
    else {
      body.queries.forEach((q, i) => {
        const at = `queries[${i}]`;
        queryNames.push(isPlainObject(q) && typeof q.name === 'string' && q.name !== '' ? q.name : String.fromCharCode(97 + i));
        if (!isPlainObject(q)) {
          errors.push(`${at} must be an object`);
          return;
        }
        for (const k of Object.keys(q)) if (!RULE_QUERY_KEYS.has(k)) errors.push(`${at}: unknown field '${k}'`);
        if (typeof q.query !== 'string' || q.query.trim() === '') errors.push(`${at}.query is required`);
        if ('aggregation' in q && !(RULE_AGGREGATIONS as readonly unknown[]).includes(q.aggregation)) errors.push(`${at}.aggregation ${JSON.stringify(q.aggregation)} is not one of ${RULE_AGGREGATIONS.join(', ')}`);
        if ('dataSource' in q && !(RULE_DATA_SOURCES as readonly unknown[]).includes(q.dataSource)) errors.push(`${at}.dataSource ${JSON.stringify(q.dataSource)} is not one of ${RULE_DATA_SOURCES.join(', ')}`);
        for (const k of ['groupByFields', 'distinctFields'] as const) {
          if (k in q && !(Array.isArray(q[k]) && (q[k] as unknown[]).every((f) => typeof f === 'string' && f !== ''))) errors.push(`${at}.${k} must be an array of non-empty strings`);
        }
        if ((q.aggregation === 'cardinality' || q.aggregation === 'sum' || q.aggregation === 'max') && !(Array.isArray(q.distinctFields) && q.distinctFields.length > 0) && typeof q.metric !== 'string' && !Array.isArray(q.metrics)) {
          errors.push(`${at}: aggregation '${String(q.aggregation)}' needs distinctFields or metric(s)`);
        }
      });
      if (new Set(queryNames).size !== queryNames.length) errors.push('query names must be unique');
    }

    if (!Array.isArray(body.cases) || body.cases.length === 0) errors.push("'cases' must be a non-empty array");
    else {
      body.cases.forEach((c, i) => {
        const at = `cases[${i}]`;
        if (!isPlainObject(c)) {
          errors.push(`${at} must be an object`);
          return;
        }
        for (const k of Object.keys(c)) if (!RULE_CASE_KEYS.has(k)) errors.push(`${at}: unknown field '${k}'`);
        if (!(RULE_SEVERITIES as readonly unknown[]).includes(c.status)) errors.push(`${at}.status ${JSON.stringify(c.status)} is not one of ${RULE_SEVERITIES.join(', ')}`);
        if ('notifications' in c && !(Array.isArray(c.notifications) && c.notifications.every((x) => typeof x === 'string'))) errors.push(`${at}.notifications must be an array of strings`);
        if ('name' in c && typeof c.name !== 'string') errors.push(`${at}.name must be a string`);
        if (typeof c.condition !== 'string' || c.condition.trim() === '') errors.push(`${at}.condition is required for threshold rules (e.g. "a > 5")`);
        else {
          if (!/^[A-Za-z_][A-Za-z0-9_]*\s*(>=|<=|==|!=|>|<)\s*-?\d+(\.\d+)?(\s*(&&|\|\|)\s*[A-Za-z_][A-Za-z0-9_]*\s*(>=|<=|==|!=|>|<)\s*-?\d+(\.\d+)?)*$/.test(c.condition.trim())) {
            errors.push(`${at}.condition ${JSON.stringify(c.condition)} is not "<query> <op> <number>" joined by && or ||`);
          }
          for (const ident of c.condition.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []) {
            if (!queryNames.includes(ident)) errors.push(`${at}.condition refers to '${ident}', which is not a query name (${queryNames.join(', ')})`);
          }
        }
      });
    }

    const o = body.options;
    if (!isPlainObject(o)) errors.push("'options' is required");
    else {
      for (const k of Object.keys(o)) if (!RULE_OPTION_KEYS.has(k)) errors.push(`options: unknown field '${k}'`);
      const method = o.detectionMethod ?? 'threshold';
      if (method !== 'threshold') errors.push(`options.detectionMethod ${JSON.stringify(method)} is not modelled by this fake (threshold)`);
      for (const k of ['evaluationWindow', 'keepAlive', 'maxSignalDuration'] as const) {
        if (!(k in o)) errors.push(`options.${k} is required for threshold rules`);
        else if (!(RULE_DURATIONS as readonly unknown[]).includes(o[k])) errors.push(`options.${k} ${JSON.stringify(o[k])} is not one of ${RULE_DURATIONS.join(', ')} (seconds)`);
      }
    }
    return errors;
  }

  /** Every contract problem in a monitor create/validate body (empty when valid). */
  validateMonitor(body: Record<string, unknown>): string[] {
    const errors: string[] = [];
    for (const k of Object.keys(body)) if (!MONITOR_KEYS.has(k)) errors.push(`unknown field '${k}'`);
    const type = body.type;
    if (typeof type !== 'string') {
      errors.push("The value provided for parameter 'type' is invalid: missing");
      return errors;
    }
    if (!this.allowedTypes.has(type)) {
      errors.push(`monitor type '${type}' is not modelled by this fake (models: ${[...this.allowedTypes].join(', ')})`);
      return errors;
    }
    if (typeof body.name !== 'string' || body.name.trim() === '') errors.push("The value provided for parameter 'name' is invalid: name is required");
    if (typeof body.message !== 'string' || body.message.trim() === '') errors.push("The value provided for parameter 'message' is invalid: message is required");
    if ('priority' in body && body.priority !== null && !(Number.isInteger(body.priority) && (body.priority as number) >= 1 && (body.priority as number) <= 5)) {
      errors.push("The value provided for parameter 'priority' is invalid: must be an integer from 1 to 5 or null");
    }
    if ('tags' in body) errors.push(...checkTags(body.tags, this.strictTags));

    let parsed: ParsedLogQuery | undefined;
    if (typeof body.query !== 'string') errors.push("The value provided for parameter 'query' is invalid: query is required");
    else if (type === 'log alert') {
      const r = parseLogAlertQuery(body.query);
      if (typeof r === 'string') errors.push(`The value provided for parameter 'query' is invalid: ${r}`);
      else parsed = r;
    }

    const options = body.options;
    if (options !== undefined && !isPlainObject(options)) errors.push("The value provided for parameter 'options' is invalid: must be an object");
    const opts = isPlainObject(options) ? options : {};
    for (const k of Object.keys(opts)) if (!OPTION_KEYS.has(k)) errors.push(`unknown option '${k}'`);
    for (const k of BOOLEAN_OPTIONS) if (k in opts && typeof opts[k] !== 'boolean') errors.push(`option '${k}' must be a boolean`);
    for (const k of NUMBER_OR_NULL_OPTIONS) if (k in opts && opts[k] !== null && typeof opts[k] !== 'number') errors.push(`option '${k}' must be a number or null`);
    if (type === 'log alert') errors.push(...checkThresholds(opts.thresholds, parsed));
    return errors;
  }
}

// ------------------------------------------------------------------ log alert grammar

/**
 * Parse `logs("<search>")[.index("<idx>")].rollup("<method>"[, "<measure>"])[.by("<facets>")].last("<window>") <op> <number>`.
 * Returns the parts, or a string saying what is wrong.
 */
export function parseLogAlertQuery(query: string): ParsedLogQuery | string {
  let i = 0;
  const fail = (what: string): string => `${what} at offset ${i} of ${JSON.stringify(query)}`;
  const readString = (): string | undefined => {
    if (query[i] !== '"') return undefined;
    i++;
    let out = '';
    while (i < query.length) {
      const c = query[i];
      if (c === '\\') {
        const next = query[i + 1];
        if (next === undefined) return undefined;
        out += next;
        i += 2;
        continue;
      }
      if (c === '"') {
        i++;
        return out;
      }
      out += c;
      i++;
    }
    return undefined;
  };
  const readCall = (name: string): string[] | string => {
    if (!query.startsWith(`${name}(`, i)) return fail(`expected ${name}(`);
    i += name.length + 1;
    const args: string[] = [];
    for (;;) {
      const s = readString();
      if (s === undefined) return fail(`expected a double-quoted string argument to ${name}()`);
      args.push(s);
      if (query[i] === ',') {
        i++;
        if (query[i] === ' ') i++;
        continue;
      }
      if (query[i] === ')') {
        i++;
        return args;
      }
      return fail(`expected , or ) in ${name}()`);
    }
  };
  const nextMethod = (): string | undefined => {
    const m = /^\.([a-z_]+)\(/.exec(query.slice(i));
    return m?.[1];
  };

  const logsArgs = readCall('logs');
  if (typeof logsArgs === 'string') return logsArgs;
  if (logsArgs.length !== 1 || (logsArgs[0] ?? '').trim() === '') return 'logs() takes one non-empty search string';
  const search = logsArgs[0] ?? '';

  let index: string | undefined;
  if (nextMethod() === 'index') {
    i++;
    const a = readCall('index');
    if (typeof a === 'string') return a;
    if (a.length !== 1 || (a[0] ?? '') === '') return 'index() takes one non-empty index name';
    index = a[0];
  }

  if (nextMethod() !== 'rollup') return fail('expected .rollup(...) after logs()/index()');
  i++;
  const r = readCall('rollup');
  if (typeof r === 'string') return r;
  const rollup = r[0];
  if (rollup === undefined || !(LOG_ROLLUPS as readonly string[]).includes(rollup)) return `rollup method ${JSON.stringify(rollup)} is not one of ${LOG_ROLLUPS.join(', ')}`;
  if (rollup === 'count' && r.length !== 1) return 'rollup("count") takes no measure';
  if (rollup !== 'count' && (r.length !== 2 || (r[1] ?? '') === '')) return `rollup("${rollup}") needs a measure: rollup("${rollup}", "@facet")`;
  const measure = r[1];

  let by: string[] = [];
  if (nextMethod() === 'by') {
    i++;
    const b = readCall('by');
    if (typeof b === 'string') return b;
    if (b.length !== 1) return 'by() takes one comma-separated string of facets';
    by = (b[0] ?? '').split(',').map((s) => s.trim());
    if (by.some((f) => f === '')) return `by() has an empty facet in ${JSON.stringify(b[0])}`;
  }

  if (nextMethod() !== 'last') return fail('expected .last("<window>")');
  i++;
  const l = readCall('last');
  if (typeof l === 'string') return l;
  if (l.length !== 1) return 'last() takes one window';
  const window = l[0] ?? '';
  const w = /^([1-9]\d*)([mh])$/.exec(window);
  if (w === null || w[1] === undefined) return `window ${JSON.stringify(window)} must be #m (1-2880) or #h (1-48)`;
  const n = Number(w[1]);
  const unit = w[2];
  if (unit === 'm' && n > DATADOG_LIMITS.windowMinutesMax) return `window ${window} is longer than ${DATADOG_LIMITS.windowMinutesMax}m`;
  if (unit === 'h' && n > DATADOG_LIMITS.windowHoursMax) return `window ${window} is longer than ${DATADOG_LIMITS.windowHoursMax}h`;

  const rest = /^ (<=|>=|==|!=|<|>) (-?\d+(?:\.\d+)?)$/.exec(query.slice(i));
  if (rest === null || rest[1] === undefined || rest[2] === undefined) {
    return fail('expected " <operator> <number>" at the end (operators <, <=, >, >=, ==, !=)');
  }
  return {
    search,
    index,
    rollup: rollup as ParsedLogQuery['rollup'],
    measure,
    by,
    window,
    windowMinutes: unit === 'h' ? n * 60 : n,
    comparator: rest[1] as Comparator,
    threshold: Number(rest[2]),
  };
}

function checkThresholds(value: unknown, parsed: ParsedLogQuery | undefined): string[] {
  if (!isPlainObject(value)) return ["The value provided for parameter 'options.thresholds' is invalid: log monitors need options.thresholds.critical"];
  const errors: string[] = [];
  for (const k of Object.keys(value)) if (!LOG_THRESHOLD_KEYS.has(k)) errors.push(`threshold '${k}' is not used by log monitors`);
  for (const [k, v] of Object.entries(value)) if (v !== null && typeof v !== 'number') errors.push(`threshold '${k}' must be a number`);
  const critical = value.critical;
  if (typeof critical !== 'number') {
    errors.push('options.thresholds.critical is required');
    return errors;
  }
  if (parsed === undefined) return errors;
  if (critical !== parsed.threshold) {
    errors.push(`critical threshold (${critical}) does not match that used in the query (${parsed.threshold})`);
  }
  const above = parsed.comparator === '>' || parsed.comparator === '>=';
  const below = parsed.comparator === '<' || parsed.comparator === '<=';
  const ordered = (name: string, v: unknown, ref: number, refName: string): void => {
    if (typeof v !== 'number') return;
    if (above && !(v < ref)) errors.push(`${name} (${v}) must be below ${refName} (${ref}) for a '${parsed.comparator}' monitor`);
    if (below && !(v > ref)) errors.push(`${name} (${v}) must be above ${refName} (${ref}) for a '${parsed.comparator}' monitor`);
  };
  ordered('warning threshold', value.warning, critical, 'the critical threshold');
  ordered('critical recovery threshold', value.critical_recovery, critical, 'the critical threshold');
  if (typeof value.warning === 'number') ordered('warning recovery threshold', value.warning_recovery, value.warning, 'the warning threshold');
  else if ('warning_recovery' in value && value.warning_recovery !== null) errors.push('warning_recovery needs a warning threshold');
  return errors;
}

function checkTags(tags: unknown, strict: boolean): string[] {
  if (!Array.isArray(tags)) return ["The value provided for parameter 'tags' is invalid: must be an array of strings"];
  const errors: string[] = [];
  tags.forEach((t, i) => {
    if (typeof t !== 'string') {
      errors.push(`tags[${i}] must be a string`);
      return;
    }
    if (charLength(t) > DATADOG_LIMITS.tagMax) errors.push(`tags[${i}] is longer than ${DATADOG_LIMITS.tagMax} characters`);
    if (!/^[A-Za-z]/.test(t)) errors.push(`tags[${i}] '${t}' must start with a letter`);
    if (strict) {
      const colon = t.indexOf(':');
      if (colon <= 0 || colon === t.length - 1) errors.push(`tags[${i}] '${t}' is not key:value`);
      if (t !== t.toLowerCase()) errors.push(`tags[${i}] '${t}' has upper-case letters (Datadog lower-cases tags)`);
      if (/\s/.test(t)) errors.push(`tags[${i}] '${t}' contains whitespace`);
    }
  });
  return errors;
}

function withDefaultOptions(options: Record<string, unknown>): Record<string, unknown> {
  return { notify_no_data: false, notify_audit: false, include_tags: true, ...options };
}

function classification(type: string): string {
  return type === 'log alert' ? 'log' : type.replace(/ alert$/, '');
}

/** `tag:"env:prod" type:log status:alert free text` -> predicate, or an error string. */
export function parseSearchQuery(query: string): ((m: StoredMonitor) => boolean) | string {
  const tokens = query.match(/[a-z_]+:"[^"]*"|"[^"]*"|\S+/g) ?? [];
  const preds: ((m: StoredMonitor) => boolean)[] = [];
  for (const token of tokens) {
    const m = /^([a-z_]+):(.*)$/.exec(token);
    const unquote = (s: string): string => (s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s);
    if (m === null || m[1] === undefined || m[2] === undefined) {
      const text = unquote(token).toLowerCase();
      preds.push((mon) => mon.name.toLowerCase().includes(text));
      continue;
    }
    const key = m[1];
    const value = unquote(m[2]);
    switch (key) {
      case 'tag':
        preds.push((mon) => mon.tags.includes(value));
        break;
      case 'type':
        preds.push((mon) => classification(mon.type) === value || mon.type === value);
        break;
      case 'status':
        preds.push((mon) => mon.overall_state.toLowerCase() === value.toLowerCase());
        break;
      case 'id':
        preds.push((mon) => String(mon.id) === value);
        break;
      case 'title':
        preds.push((mon) => mon.name.toLowerCase().includes(value.toLowerCase()));
        break;
      default:
        return `search attribute '${key}' is not modelled by this fake (tag, type, status, id, title, free text)`;
    }
  }
  return (mon) => preds.every((p) => p(mon));
}

function splitCsv(value: string | null): string[] {
  if (value === null) return [];
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function unknownParams(req: RecordedRequest, known: ReadonlySet<string>): string[] {
  return [...new Set(req.query.keys())].filter((k) => !known.has(k));
}

function bad(errors: string[]): Verdict {
  return reject(400, errors.join('; '), { errors });
}

function monitorNotFound(id: number): Verdict {
  return reject(404, `monitor ${id} not found`, { errors: ['Monitor not found'] });
}

function ruleNotFound(id: string): Verdict {
  return reject(404, `rule ${id} not found`, { errors: ['Not found'] });
}

function notFound(req: RecordedRequest): Verdict {
  return reject(404, `no route ${req.method} ${req.path} in this fake`, { errors: ['Not found'] });
}
