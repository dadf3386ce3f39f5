// The Elasticsearch target: the audit index template, one stored search template per detector and,
// where the license and the cluster allow it, one Watcher watch per detector. Objects are named
// `auditwatch-…` and carry auditwatch's marker (`_meta` / `metadata.managed_by`, or the query's
// `_name` for templates); nothing else is ever listed as managed, updated or deleted. Every write is
// a PUT by name, so a retried create cannot make a twin.
import { z } from 'zod';
import type { DetectorDef } from '../config/detectors.js';
import type { ElasticsearchSettings } from '../config/sections/provision.js';
import { AuditwatchError } from '../errors.js';
import { toJson } from './canonical.js';
import { compileElasticsearch, ES_PREFIX, INDEX_TEMPLATE_NAME, MANAGED_BY, scriptId, templateSourceText, type EsCapabilities } from './compile-elasticsearch.js';
import { isNotFound, type EsApi } from './es-api.js';
import type { CompileResult, DesiredObject, Json, JsonObject, LiveObject } from './model.js';
import type { Discovery, ProvisionTarget } from './target.js';

/** Licenses that include Watcher (elastic.co/subscriptions: Alerting with Watcher, Gold and up). */
const WATCHER_LICENSES = new Set(['gold', 'platinum', 'enterprise', 'trial']);
const TEMPLATE_MARKER = '"_name":"auditwatch:';

const licenseAnswer = z.looseObject({ license: z.looseObject({ type: z.string(), status: z.string() }) });
const languagesAnswer = z.looseObject({ language_contexts: z.array(z.looseObject({ language: z.string() })).default([]) });
const indexTemplateAnswer = z.looseObject({
  index_templates: z.array(z.looseObject({ name: z.string(), index_template: z.looseObject({ index_patterns: z.array(z.string()), priority: z.number().optional(), template: z.looseObject({ mappings: z.unknown().optional() }).optional(), _meta: z.record(z.string(), z.unknown()).optional() }) })),
});
const storedScriptsAnswer = z.looseObject({ metadata: z.looseObject({ stored_scripts: z.record(z.string(), z.looseObject({ lang: z.string(), source: z.unknown() })).default({}) }).optional() });
const watchSearchRequest = z.looseObject({ indices: z.array(z.string()).optional(), template: z.looseObject({ id: z.string().optional(), params: z.unknown().optional() }).optional() });
const watchBody = z.looseObject({
  trigger: z.unknown().optional(),
  input: z.looseObject({ search: z.looseObject({ request: watchSearchRequest }).optional() }).optional(),
  condition: z.unknown().optional(),
  actions: z.unknown().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
const queryWatchesAnswer = z.looseObject({ count: z.number(), watches: z.array(z.looseObject({ _id: z.string(), watch: watchBody })).default([]) });

/** A 400/404/405/500 from a feature endpoint means "not there"; credentials and outages stay errors. */
function isMissingFeature(err: AuditwatchError): boolean {
  const status = err.context.status;
  return typeof status === 'number' && status !== 0 && status !== 401 && status !== 429 && status !== 503 && !(status === 403 && !err.message.includes('license'));
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new AuditwatchError('PROVISION', `Elasticsearch ${what}: unexpected answer: ${r.error.issues[0]?.path.join('.') ?? ''} ${r.error.issues[0]?.message ?? ''}`, { target: 'elasticsearch' });
  return r.data;
}

function sourceJson(source: unknown): Json {
  if (typeof source !== 'string') return toJson(source);
  try {
    return toJson(JSON.parse(source));
  } catch {
    return source;
  }
}

/** A watch projected to the fields compile-elasticsearch owns (Elasticsearch adds defaults to the request). */
export function projectWatch(w: z.infer<typeof watchBody>): JsonObject {
  const request = w.input?.search?.request;
  return toJson({
    trigger: w.trigger,
    input: request === undefined ? w.input : { search: { request: { indices: request.indices, template: request.template === undefined ? undefined : { id: request.template.id, params: request.template.params ?? {} } } } },
    condition: w.condition,
    actions: w.actions,
    metadata: w.metadata,
  }) as JsonObject;
}

export interface ElasticsearchTargetOptions {
  readonly settings: ElasticsearchSettings;
  readonly api: EsApi;
  readonly streakWindowMs: number;
}

export class ElasticsearchTarget implements ProvisionTarget {
  readonly name = 'elasticsearch';
  readonly endpoint: string;
  private capabilities: EsCapabilities | undefined;

  constructor(private readonly opts: ElasticsearchTargetOptions) {
    this.endpoint = opts.api.endpoint;
  }

  private async mustache(): Promise<string | undefined> {
    try {
      const langs = parse(languagesAnswer, await this.opts.api.request('GET', '/_script_language'), 'GET /_script_language');
      return langs.language_contexts.some((l) => l.language === 'mustache') ? undefined : 'the cluster has no mustache script language (GET /_script_language), so no search templates';
    } catch (err) {
      if (err instanceof AuditwatchError && isMissingFeature(err)) return `cannot list script languages (${err.message})`;
      throw err;
    }
  }

  private async watcher(): Promise<string | undefined> {
    const lic = parse(licenseAnswer, await this.opts.api.request('GET', '/_license'), 'GET /_license');
    const type = lic.license.type.toLowerCase();
    if (lic.license.status !== 'active' || !WATCHER_LICENSES.has(type)) return `license ${type} (${lic.license.status}) does not include Watcher (gold or higher, or trial)`;
    try {
      await this.opts.api.request('GET', '/_watcher/stats');
      return undefined;
    } catch (err) {
      if (err instanceof AuditwatchError && isMissingFeature(err)) return `Watcher is not available on the cluster (${err.message})`;
      throw err;
    }
  }

  async discover(): Promise<Discovery> {
    const [mustache, watcher] = [await this.mustache(), await this.watcher()];
    this.capabilities = { mustache, watcher };
    const live: LiveObject[] = [];
    const tpl = await this.indexTemplate();
    if (tpl !== undefined) live.push(tpl);
    if (mustache === undefined) live.push(...(await this.templates()));
    if (mustache === undefined && watcher === undefined) live.push(...(await this.watches()));
    const notes = [mustache, watcher].filter((n): n is string => n !== undefined);
    return { live, notes };
  }

  private async indexTemplate(): Promise<LiveObject | undefined> {
    let answer: unknown;
    try {
      answer = await this.opts.api.request('GET', `/_index_template/${INDEX_TEMPLATE_NAME}`);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const t = parse(indexTemplateAnswer, answer, `GET /_index_template/${INDEX_TEMPLATE_NAME}`).index_templates.find((x) => x.name === INDEX_TEMPLATE_NAME);
    if (t === undefined) return undefined;
    const it = t.index_template;
    const owned = toJson({ index_patterns: it.index_patterns, priority: it.priority, template: { mappings: it.template?.mappings }, _meta: it._meta }) as JsonObject;
    return { target: 'elasticsearch', kind: 'index-template', key: INDEX_TEMPLATE_NAME, id: INDEX_TEMPLATE_NAME, title: INDEX_TEMPLATE_NAME, owned };
  }

  /** Stored scripts named auditwatch-… whose source carries auditwatch's query name. */
  private async templates(): Promise<LiveObject[]> {
    const answer = await this.opts.api.request('GET', '/_cluster/state/metadata', undefined, { filter_path: 'metadata.stored_scripts' });
    const scripts = parse(storedScriptsAnswer, answer, 'GET /_cluster/state/metadata').metadata?.stored_scripts ?? {};
    const out: LiveObject[] = [];
    for (const [id, s] of Object.entries(scripts)) {
      const text = typeof s.source === 'string' ? s.source : JSON.stringify(s.source);
      if (!id.startsWith(ES_PREFIX) || !text.replace(/\s+/g, '').includes(TEMPLATE_MARKER)) continue;
      out.push({ target: 'elasticsearch', kind: 'search-template', key: id.slice(ES_PREFIX.length), id, title: id, owned: { lang: s.lang, source: sourceJson(s.source) } });
    }
    return out;
  }

  /** Watches named auditwatch-… with metadata.managed_by = auditwatch. */
  private async watches(): Promise<LiveObject[]> {
    const out: LiveObject[] = [];
    for (let from = 0; ; ) {
      const page = parse(queryWatchesAnswer, await this.opts.api.request('POST', '/_watcher/_query/watches', { from, size: 100 }), 'POST /_watcher/_query/watches');
      for (const w of page.watches) {
        if (!w._id.startsWith(ES_PREFIX) || w.watch.metadata?.managed_by !== MANAGED_BY) continue;
        out.push({ target: 'elasticsearch', kind: 'watch', key: w._id.slice(ES_PREFIX.length), id: w._id, title: w._id, owned: projectWatch(w.watch) });
      }
      from += page.watches.length;
      if (page.watches.length === 0 || from >= page.count) return out;
    }
  }

  compile(defs: readonly DetectorDef[]): CompileResult {
    if (this.capabilities === undefined) throw new AuditwatchError('INTERNAL', 'ElasticsearchTarget.compile before discover', { target: 'elasticsearch' });
    return compileElasticsearch({ defs, settings: this.opts.settings, streakWindowMs: this.opts.streakWindowMs, capabilities: this.capabilities });
  }

  private async put(d: DesiredObject): Promise<void> {
    switch (d.kind) {
      case 'index-template':
        await this.opts.api.request('PUT', `/_index_template/${INDEX_TEMPLATE_NAME}`, d.owned);
        return;
      case 'search-template':
        await this.opts.api.request('PUT', `/_scripts/${scriptId(d.key)}`, { script: { lang: 'mustache', source: templateSourceText(d.owned) } });
        return;
      case 'watch':
        await this.opts.api.request('PUT', `/_watcher/watch/${scriptId(d.key)}`, d.owned, { active: 'true' });
        return;
      default:
        throw new AuditwatchError('INTERNAL', `Elasticsearch has no ${d.kind} objects`, { target: 'elasticsearch' });
    }
  }

  async create(d: DesiredObject): Promise<void> {
    await this.put(d);
  }

  async update(d: DesiredObject): Promise<void> {
    await this.put(d);
  }

  /** Reads the object again and deletes it only if it is still auditwatch's. */
  async remove(live: LiveObject): Promise<void> {
    const current =
      live.kind === 'index-template' ? await this.indexTemplate() : live.kind === 'search-template' ? (await this.templates()).find((t) => t.id === live.id) : (await this.watches()).find((w) => w.id === live.id);
    if (current === undefined) return;
    const path = live.kind === 'index-template' ? `/_index_template/${live.id}` : live.kind === 'search-template' ? `/_scripts/${live.id}` : `/_watcher/watch/${live.id}`;
    if (live.kind === 'index-template' && (current.owned._meta as JsonObject | undefined)?.managed_by !== MANAGED_BY) {
      throw new AuditwatchError('PROVISION', `index template ${live.id} is not marked _meta.managed_by=${MANAGED_BY}: not deleting it`, { target: 'elasticsearch' });
    }
    try {
      await this.opts.api.request('DELETE', path);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async close(): Promise<void> {
    await this.opts.api.close();
  }
}
