// Contract server for the Elasticsearch APIs the integ-test distribution lacks (stored mustache
// templates, Watcher) plus the ones provisioning touches around them (index templates, license,
// script languages, cluster-state stored scripts). Request bodies are checked strictly; with
// `upstream` set, `_search/template` renders the stored template and runs the resulting plain
// body on a real node, so a template is proven by the same engine as the plain body.
//
// Sources (Elasticsearch 8.19 reference): index-templates / indices-put-template, create-stored-
// script-api, search-template (render and _search/template), get-license, get-script-languages-
// api, watcher-api-put-watch / get-watch / query-watches / delete-watch, watcher stats; every
// response carries X-elastic-product: Elasticsearch (checked by the 8.x client, and observed on
// the integ-test node). Fake choices are marked.
import { HttpFake, accept, header, isPlainObject, mediaType, reject, type HttpFakeOptions, type RecordedRequest, type Reply, type Verdict } from './http-fake.js';
import { checkSearchBody } from './es-dsl.js';
import { checkMustache, MustacheError, renderMustache } from './mustache.js';

export interface EsContractOptions extends HttpFakeOptions {
  /** License type reported by GET /_license (default platinum: Watcher allowed). */
  license?: string;
  /** Whether the mustache language exists (default true). */
  mustache?: boolean;
  /** Required API key (Authorization: ApiKey <key>), or basic credentials; none: no auth. */
  apiKey?: string;
  basic?: { username: string; password: string };
  /** A real node for _search/template after rendering. */
  upstream?: string;
}

export interface StoredWatch {
  body: Record<string, unknown>;
  active: boolean;
  version: number;
}

const PRODUCT = { 'X-elastic-product': 'Elasticsearch' };
const WATCHER_LICENSES = new Set(['gold', 'platinum', 'enterprise', 'trial']);
const TEMPLATE_KEYS = ['index_patterns', 'composed_of', 'template', 'priority', 'version', '_meta', 'data_stream', 'allow_auto_create', 'ignore_missing_component_templates', 'deprecated'];
const MAPPING_TYPES = new Set(['keyword', 'text', 'date', 'date_nanos', 'long', 'integer', 'double', 'float', 'boolean', 'object', 'ip']);
const WATCH_KEYS = ['trigger', 'input', 'condition', 'actions', 'metadata', 'throttle_period', 'throttle_period_in_millis', 'transform'];
const COMPARE_OPS = new Set(['eq', 'not_eq', 'gt', 'gte', 'lt', 'lte']);
const LOG_LEVELS = new Set(['error', 'warn', 'info', 'debug', 'trace']);
const ACTION_TYPES = new Set(['logging', 'index', 'webhook', 'email', 'slack', 'pagerduty']);

function esError(status: number, type: string, reason: string): Record<string, unknown> {
  return { error: { root_cause: [{ type, reason }], type, reason }, status };
}

export class ElasticsearchContract extends HttpFake {
  readonly indexTemplates = new Map<string, Record<string, unknown>>();
  readonly scripts = new Map<string, { lang: string; source: string }>();
  readonly watches = new Map<string, StoredWatch>();
  private readonly opts: EsContractOptions;

  private constructor(options: EsContractOptions) {
    super(options);
    this.opts = options;
  }

  static async start(options: EsContractOptions = {}): Promise<ElasticsearchContract> {
    return new ElasticsearchContract(options).listen();
  }

  private get watcherAllowed(): boolean {
    return WATCHER_LICENSES.has(this.opts.license ?? 'platinum');
  }

  protected override rateLimitReply(retryAfterSeconds: number): Reply {
    return { status: 429, headers: { ...PRODUCT, 'Retry-After': String(retryAfterSeconds) }, body: esError(429, 'es_rejected_execution_exception', 'rejected execution') };
  }

  protected override serverErrorReply(status: number): Reply {
    return { status, headers: PRODUCT, body: esError(status, 'internal_server_error', 'fake server error') };
  }

  protected async handle(req: RecordedRequest): Promise<Verdict> {
    const v = await this.route(req);
    v.headers = { ...PRODUCT, ...(v.headers ?? {}) };
    return v;
  }

  private authFailure(req: RecordedRequest): Verdict | undefined {
    const auth = header(req.headers, 'authorization');
    const fail = (why: string): Verdict =>
      reject(401, why, esError(401, 'security_exception', 'unable to authenticate user for REST request'), { 'WWW-Authenticate': 'ApiKey, Basic realm="security"' });
    if (this.opts.apiKey !== undefined && auth !== `ApiKey ${this.opts.apiKey}`) return fail(`Authorization ${auth === undefined ? 'missing' : 'is not the expected ApiKey'}`);
    if (this.opts.basic !== undefined) {
      const expected = `Basic ${Buffer.from(`${this.opts.basic.username}:${this.opts.basic.password}`).toString('base64')}`;
      if (auth !== expected) return fail(`Authorization ${auth === undefined ? 'missing' : 'is not the expected Basic credentials'}`);
    }
    return undefined;
  }

  /** The JSON object body, or the verdict refusing it. An empty body is {} when `optional`. */
  private body(req: RecordedRequest, optional = false): { value: Record<string, unknown> } | { verdict: Verdict } {
    if (optional && req.bodyText === '') return { value: {} };
    const type = mediaType(req.headers);
    if (type !== 'application/json' && type !== 'application/vnd.elasticsearch+json') return { verdict: reject(406, `content-type ${String(type)} is not JSON`, esError(406, 'media_type_header_exception', 'Invalid media-type value')) };
    if (req.jsonError !== undefined || !isPlainObject(req.json)) return { verdict: reject(400, 'body is not a JSON object', esError(400, 'parse_exception', 'request body is required and must be a JSON object')) };
    return { value: req.json };
  }

  private async route(req: RecordedRequest): Promise<Verdict> {
    const denied = this.authFailure(req);
    if (denied !== undefined) return denied;
    const { method: m, path: p } = req;
    if (p === '/_license' && m === 'GET') return accept(200, { license: { status: 'active', uid: 'fake', type: this.opts.license ?? 'platinum', issue_date_in_millis: 0, max_nodes: 1000, issued_to: 'contract-fake', issuer: 'elasticsearch', start_date_in_millis: -1 } });
    if (p === '/_script_language' && m === 'GET') {
      const contexts = this.opts.mustache === false ? [] : [{ language: 'mustache', contexts: ['search', 'template', 'watcher_template'] }];
      return accept(200, { types_allowed: ['inline', 'stored'], language_contexts: contexts });
    }
    if (p === '/_cluster/state/metadata' && m === 'GET') return this.clusterScripts(req);
    let match = /^\/_index_template\/([^/]+)$/.exec(p);
    if (match?.[1] !== undefined) return this.indexTemplate(req, decodeURIComponent(match[1]));
    match = /^\/_scripts\/([^/]+)$/.exec(p);
    if (match?.[1] !== undefined) return this.script(req, decodeURIComponent(match[1]));
    if (p === '/_render/template' || /^\/_render\/template\/[^/]+$/.test(p)) return this.renderRequest(req, p.split('/')[3]);
    match = /^\/([^/_][^/]*)\/_search\/template$/.exec(p);
    if (match?.[1] !== undefined && (m === 'POST' || m === 'GET')) return this.searchTemplate(req, decodeURIComponent(match[1]));
    if (p.startsWith('/_watcher')) return this.watcher(req);
    if (this.opts.upstream !== undefined) return this.proxy(req, this.opts.upstream);
    return reject(404, `no route ${m} ${p} in this fake`, esError(404, 'no_handler_found', `no handler found for uri [${p}] and method [${m}]`));
  }

  // ------------------------------------------------------------------ index templates

  private indexTemplate(req: RecordedRequest, name: string): Verdict {
    if (req.method === 'GET') {
      const t = this.indexTemplates.get(name);
      if (t === undefined) return reject(404, `no index template ${name}`, esError(404, 'resource_not_found_exception', `index template matching [${name}] not found`));
      return accept(200, { index_templates: [{ name, index_template: { composed_of: [], ...structuredClone(t) } }] });
    }
    if (req.method === 'DELETE') {
      if (!this.indexTemplates.delete(name)) return reject(404, `no index template ${name}`, esError(404, 'resource_not_found_exception', `index_template [${name}] missing`));
      return accept(200, { acknowledged: true });
    }
    if (req.method !== 'PUT' && req.method !== 'POST') return reject(405, 'method', esError(405, 'method_not_allowed', 'Incorrect HTTP method'));
    const parsed = this.body(req);
    if ('verdict' in parsed) return parsed.verdict;
    const problems: string[] = [];
    const b = parsed.value;
    for (const k of Object.keys(b)) if (!TEMPLATE_KEYS.includes(k)) problems.push(`unknown key [${k}]`);
    if (!Array.isArray(b.index_patterns) || b.index_patterns.length === 0 || b.index_patterns.some((x) => typeof x !== 'string')) problems.push('index_patterns must be a non-empty array of strings');
    if ('priority' in b && !(Number.isInteger(b.priority) && (b.priority as number) >= 0)) problems.push('priority must be a non-negative integer');
    if ('_meta' in b && !isPlainObject(b._meta)) problems.push('_meta must be an object');
    const mappings = isPlainObject(b.template) ? b.template.mappings : undefined;
    if (mappings !== undefined) {
      const props = isPlainObject(mappings) ? mappings.properties : undefined;
      if (!isPlainObject(props)) problems.push('template.mappings.properties must be an object');
      else for (const [f, def] of Object.entries(props)) if (!isPlainObject(def) || !MAPPING_TYPES.has(String(def.type))) problems.push(`mapping of [${f}] has no known type`);
    }
    if (problems.length > 0) return reject(400, problems.join('; '), esError(400, 'illegal_argument_exception', problems.join('; ')));
    this.indexTemplates.set(name, structuredClone(b));
    return accept(200, { acknowledged: true });
  }

  // ------------------------------------------------------------------ stored scripts and rendering

  private script(req: RecordedRequest, id: string): Verdict {
    if (req.method === 'GET') {
      const s = this.scripts.get(id);
      if (s === undefined) return reject(404, `no script ${id}`, { _id: id, found: false });
      return accept(200, { _id: id, found: true, script: { ...s } });
    }
    if (req.method === 'DELETE') {
      if (!this.scripts.delete(id)) return reject(404, `no script ${id}`, esError(404, 'resource_not_found_exception', `stored script [${id}] does not exist and cannot be deleted`));
      return accept(200, { acknowledged: true });
    }
    const parsed = this.body(req);
    if ('verdict' in parsed) return parsed.verdict;
    const script = parsed.value.script;
    if (!isPlainObject(script) || typeof script.lang !== 'string') return reject(400, 'script.lang is required', esError(400, 'illegal_argument_exception', 'must specify lang for stored script'));
    if (script.lang !== 'mustache') return reject(400, `lang ${script.lang} not modelled`, esError(400, 'illegal_argument_exception', `lang [${script.lang}] not modelled by this fake`));
    if (this.opts.mustache === false) return reject(400, 'mustache unavailable', esError(400, 'illegal_argument_exception', 'unsupported lang [mustache]'));
    const source = typeof script.source === 'string' ? script.source : isPlainObject(script.source) ? JSON.stringify(script.source) : undefined;
    if (source === undefined) return reject(400, 'script.source is required', esError(400, 'illegal_argument_exception', 'must specify source for stored script'));
    try {
      checkMustache(source);
    } catch (err) {
      return reject(400, `bad mustache: ${(err as Error).message}`, esError(400, 'general_script_exception', `Failed to compile stored script [${id}]`));
    }
    // Fake choice (Elasticsearch only compiles the template here): render it with and without the
    // parameters auditwatch's templates take and check the result is a valid search body.
    for (const params of [{ end: '2026-03-05T10:00:00.000Z' }, {}]) {
      const problems = this.renderedProblems(source, params);
      if (problems.length > 0) return reject(400, `template renders to an invalid search with ${JSON.stringify(params)}: ${problems.join('; ')}`, esError(400, 'x_content_parse_exception', problems.join('; ')));
    }
    this.scripts.set(id, { lang: 'mustache', source });
    return accept(200, { acknowledged: true });
  }

  private renderedProblems(source: string, params: Record<string, unknown>): string[] {
    let parsed: unknown;
    try {
      parsed = JSON.parse(renderMustache(source, params));
    } catch (err) {
      return [err instanceof MustacheError ? err.message : `rendered text is not JSON: ${(err as Error).message}`];
    }
    return checkSearchBody(parsed);
  }

  /** Renders a stored (id) or inline (source) template with params; a Verdict on failure. */
  render(body: Record<string, unknown>, pathId: string | undefined): { value: Record<string, unknown> } | { verdict: Verdict } {
    const id = pathId ?? (typeof body.id === 'string' ? body.id : undefined);
    const params = isPlainObject(body.params) ? body.params : {};
    const source = id !== undefined ? this.scripts.get(id)?.source : typeof body.source === 'string' ? body.source : isPlainObject(body.source) ? JSON.stringify(body.source) : undefined;
    if (source === undefined) return { verdict: reject(404, `no template ${String(id)}`, esError(404, 'resource_not_found_exception', `unable to find script [${String(id)}] in cluster state`)) };
    try {
      const rendered: unknown = JSON.parse(renderMustache(source, params));
      if (!isPlainObject(rendered)) return { verdict: reject(400, 'rendered template is not an object', esError(400, 'parse_exception', 'rendered template is not an object')) };
      return { value: rendered };
    } catch (err) {
      return { verdict: reject(400, `render failed: ${(err as Error).message}`, esError(400, 'general_script_exception', (err as Error).message)) };
    }
  }

  private renderRequest(req: RecordedRequest, pathId: string | undefined): Verdict {
    const parsed = this.body(req, true);
    if ('verdict' in parsed) return parsed.verdict;
    const out = this.render(parsed.value, pathId);
    if ('verdict' in out) return out.verdict;
    return accept(200, { template_output: out.value });
  }

  private async searchTemplate(req: RecordedRequest, index: string): Promise<Verdict> {
    const parsed = this.body(req);
    if ('verdict' in parsed) return parsed.verdict;
    const out = this.render(parsed.value, undefined);
    if ('verdict' in out) return out.verdict;
    const rendered = out.value;
    const problems = checkSearchBody(rendered);
    if (problems.length > 0) return reject(400, problems.join('; '), esError(400, 'x_content_parse_exception', problems.join('; ')));
    if (this.opts.upstream === undefined) return reject(501, 'no upstream node configured', esError(501, 'not_implemented', 'contract server without upstream'));
    const res = await fetch(`${this.opts.upstream}/${encodeURIComponent(index)}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rendered) });
    const answer: unknown = await res.json();
    return res.ok ? accept(200, answer as object) : reject(res.status, `upstream answered ${res.status}`, answer as object);
  }

  /** Fake choice: with an upstream node, every route not modelled here is passed through unchanged. */
  private async proxy(req: RecordedRequest, upstream: string): Promise<Verdict> {
    const headers: Record<string, string> = {};
    const type = header(req.headers, 'content-type');
    if (type !== undefined) headers['content-type'] = type.includes('x-ndjson') || req.path.endsWith('_bulk') || req.path.endsWith('_msearch') ? 'application/x-ndjson' : 'application/json';
    const res = await fetch(`${upstream}${req.url}`, { method: req.method, headers, body: req.rawBody.length > 0 ? req.rawBody : undefined });
    const text = await res.text();
    let body: object | string = text;
    try {
      body = JSON.parse(text) as object;
    } catch {
      // not JSON: pass the text through
    }
    return res.ok ? accept(res.status, body) : reject(res.status, `upstream answered ${res.status}`, body);
  }

  private clusterScripts(req: RecordedRequest): Verdict {
    const filter = req.query.get('filter_path');
    if (filter !== null && filter !== 'metadata.stored_scripts') return reject(400, `filter_path ${filter} not modelled`, esError(400, 'illegal_argument_exception', 'filter_path not modelled'));
    const stored = Object.fromEntries([...this.scripts].map(([id, s]) => [id, { lang: s.lang, source: s.source }]));
    // Like Elasticsearch's filter_path, an empty selection is an empty object.
    return accept(200, this.scripts.size === 0 ? {} : { metadata: { stored_scripts: stored } });
  }

  // ------------------------------------------------------------------ Watcher

  private watcher(req: RecordedRequest): Verdict {
    if (!this.watcherAllowed) {
      return reject(403, `license ${this.opts.license ?? ''} has no Watcher`, esError(403, 'security_exception', 'current license is non-compliant for [watcher]'));
    }
    const { method: m, path: p } = req;
    if (p === '/_watcher/stats' && m === 'GET') return accept(200, { _nodes: { total: 1, successful: 1, failed: 0 }, cluster_name: 'contract-fake', manually_stopped: false, stats: [{ node_id: 'fake', watcher_state: 'started', watch_count: this.watches.size, execution_thread_pool: { queue_size: 0, max_size: 1 } }] });
    if (p === '/_watcher/_query/watches' && (m === 'POST' || m === 'GET')) {
      const parsed = this.body(req, true);
      if ('verdict' in parsed) return parsed.verdict;
      const b = parsed.value;
      for (const k of Object.keys(b)) if (!['from', 'size', 'query', 'sort', 'search_after'].includes(k)) return reject(400, `unknown key ${k}`, esError(400, 'x_content_parse_exception', `unknown field [${k}]`));
      const from = typeof b.from === 'number' ? b.from : 0;
      const size = typeof b.size === 'number' ? b.size : 10;
      const all = [...this.watches].sort(([a], [c]) => a.localeCompare(c));
      return accept(200, { count: all.length, watches: all.slice(from, from + size).map(([id, w]) => ({ _id: id, watch: this.normalised(w.body), status: { state: { active: w.active }, version: w.version }, _seq_no: w.version, _primary_term: 1 })) });
    }
    const match = /^\/_watcher\/watch\/([^/]+)$/.exec(p);
    if (match?.[1] === undefined) return reject(404, `no route ${m} ${p}`, esError(404, 'no_handler_found', `no handler found for uri [${p}]`));
    const id = decodeURIComponent(match[1]);
    if (m === 'GET') {
      const w = this.watches.get(id);
      if (w === undefined) return reject(404, `no watch ${id}`, { found: false, _id: id });
      return accept(200, { found: true, _id: id, _version: w.version, status: { state: { active: w.active }, version: w.version }, watch: this.normalised(w.body) });
    }
    if (m === 'DELETE') {
      if (!this.watches.delete(id)) return reject(404, `no watch ${id}`, { found: false, _id: id, _version: 1 });
      return accept(200, { found: true, _id: id, _version: 1 });
    }
    if (m !== 'PUT' && m !== 'POST') return reject(405, 'method', esError(405, 'method_not_allowed', 'Incorrect HTTP method'));
    const parsed = this.body(req);
    if ('verdict' in parsed) return parsed.verdict;
    const body = parsed.value;
    const problems = this.watchProblems(body);
    if (problems.length > 0) return reject(400, problems.join('; '), esError(400, 'parse_exception', problems.join('; ')));
    const prev = this.watches.get(id);
    this.watches.set(id, { body: structuredClone(body), active: req.query.get('active') !== 'false', version: (prev?.version ?? 0) + 1 });
    return accept(prev === undefined ? 201 : 200, { _id: id, _version: (prev?.version ?? 0) + 1, _seq_no: 0, _primary_term: 1, created: prev === undefined });
  }

  /** What GET returns: Elasticsearch fills in defaults of the search request (fake: these two). */
  private normalised(body: Record<string, unknown>): Record<string, unknown> {
    const out = structuredClone(body);
    const input = out.input;
    if (isPlainObject(input) && isPlainObject(input.search) && isPlainObject(input.search.request)) {
      input.search.request = { search_type: 'query_then_fetch', rest_total_hits_as_int: true, ...input.search.request };
    }
    return out;
  }

  private watchProblems(b: Record<string, unknown>): string[] {
    const out: string[] = [];
    for (const k of Object.keys(b)) if (!WATCH_KEYS.includes(k)) out.push(`unknown watch field [${k}]`);
    const interval = isPlainObject(b.trigger) && isPlainObject(b.trigger.schedule) ? b.trigger.schedule.interval : undefined;
    if (typeof interval !== 'string' || !/^\d+(?:ms|s|m|h|d|w)$/.test(interval)) out.push('trigger.schedule.interval must be like 1m, 30s, 2h (fake: only interval schedules)');
    const request = isPlainObject(b.input) && isPlainObject(b.input.search) ? b.input.search.request : undefined;
    if (!isPlainObject(request)) out.push('input.search.request is required (fake: only search inputs)');
    else {
      if (!Array.isArray(request.indices) || request.indices.length === 0) out.push('input.search.request.indices must be a non-empty array');
      const template = request.template;
      if (!isPlainObject(template)) out.push('input.search.request.template is required (fake: auditwatch watches run stored templates)');
      else if (typeof template.id !== 'string' || !this.scripts.has(template.id)) out.push(`input.search.request.template.id ${JSON.stringify(template.id)} is not a stored script`);
      else if (template.params !== undefined && !isPlainObject(template.params)) out.push('template.params must be an object');
    }
    const compare = isPlainObject(b.condition) ? b.condition.compare : undefined;
    if (!isPlainObject(compare) || Object.keys(compare).length !== 1) out.push('condition.compare with one path is required (fake: only compare conditions)');
    else {
      const [path, test] = Object.entries(compare)[0] ?? ['', undefined];
      if (!path.startsWith('ctx.payload.')) out.push(`condition path ${path} must start with ctx.payload.`);
      if (!isPlainObject(test) || Object.keys(test).length !== 1 || !COMPARE_OPS.has(Object.keys(test)[0] ?? '')) out.push('condition.compare test must be {op: value}');
    }
    if (!isPlainObject(b.actions) || Object.keys(b.actions).length === 0) out.push('actions must be a non-empty object');
    else {
      for (const [name, a] of Object.entries(b.actions)) {
        const types = isPlainObject(a) ? Object.keys(a).filter((k) => ACTION_TYPES.has(k)) : [];
        if (types.length !== 1) out.push(`action ${name} must have exactly one action type`);
        const logging = isPlainObject(a) ? a.logging : undefined;
        if (logging !== undefined && (!isPlainObject(logging) || typeof logging.text !== 'string' || (logging.level !== undefined && !LOG_LEVELS.has(String(logging.level))))) out.push(`action ${name}.logging needs text and a known level`);
      }
    }
    if ('metadata' in b && !isPlainObject(b.metadata)) out.push('metadata must be an object');
    return out;
  }
}
