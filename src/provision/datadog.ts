// The Datadog target: log monitors (and, per detector on request, Cloud SIEM threshold rules) on
// the configured site or base URL, with keys from the environment only. The keys live in Secret
// objects and are revealed exactly once, into the client's auth configuration.
//
// @datadog/datadog-api-client is imported on first use, not with this module: it loads tens of
// thousands of models (seconds of startup) that every other auditwatch command would pay for.
import type { DetectorDef } from '../config/detectors.js';
import { DATADOG_SITES, type DatadogSettings } from '../config/sections/provision.js';
import type { Secret } from '../text/secret.js';
import { compileDatadogMonitors } from './compile-datadog.js';
import { compileSiemRules } from './compile-siem.js';
import { DatadogHttp } from './datadog-http.js';
import { DatadogMonitors } from './datadog-monitors.js';
import { SiemRules } from './datadog-siem.js';
import type { CompileResult, DesiredObject, LiveObject } from './model.js';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.js';
import type { Discovery, ProvisionTarget } from './target.js';

export interface DatadogTargetOptions {
  readonly settings: DatadogSettings;
  readonly apiKey: Secret;
  readonly appKey: Secret;
  readonly streakWindowMs: number;
  readonly handles: (detector: string, severity: DetectorDef['severity']) => readonly string[];
  readonly retry?: RetryPolicy;
  readonly fetch?: typeof fetch;
}

export function datadogBaseUrl(settings: DatadogSettings): string {
  return (settings.baseUrl ?? `https://api.${DATADOG_SITES[settings.site]}`).replace(/\/+$/, '');
}

interface Apis {
  readonly monitors: DatadogMonitors;
  readonly siem: SiemRules;
}

export class DatadogTarget implements ProvisionTarget {
  readonly name = 'datadog';
  readonly endpoint: string;
  private apis: Promise<Apis> | undefined;

  constructor(private readonly opts: DatadogTargetOptions) {
    this.endpoint = datadogBaseUrl(opts.settings);
  }

  private load(): Promise<Apis> {
    this.apis ??= import('@datadog/datadog-api-client').then(({ client, v1, v2 }) => {
      const { opts } = this;
      const configuration = client.createConfiguration({
        baseServer: new client.BaseServerConfiguration(this.endpoint, {}),
        authMethods: { apiKeyAuth: opts.apiKey.reveal(), appKeyAuth: opts.appKey.reveal() },
        httpApi: new DatadogHttp({ responseContext: client.ResponseContext, timeoutMs: opts.settings.timeout, secrets: [opts.apiKey, opts.appKey], fetch: opts.fetch }),
        enableRetry: false,
      });
      const retry = opts.retry ?? DEFAULT_RETRY;
      return { monitors: new DatadogMonitors(new v1.MonitorsApi(configuration), opts.settings, retry), siem: new SiemRules(new v2.SecurityMonitoringApi(configuration), opts.settings, retry) };
    });
    return this.apis;
  }

  async discover(): Promise<Discovery> {
    const { monitors, siem } = await this.load();
    const live: LiveObject[] = await monitors.list();
    const notes: string[] = [];
    const rules = await siem.list(this.opts.settings.siem.length > 0);
    if ('unavailable' in rules) notes.push(rules.unavailable);
    else live.push(...rules.live);
    return { live, notes };
  }

  compile(defs: readonly DetectorDef[]): CompileResult {
    const input = { defs, settings: this.opts.settings, streakWindowMs: this.opts.streakWindowMs, handles: this.opts.handles };
    const monitors = compileDatadogMonitors(input);
    const rules = compileSiemRules(input);
    return {
      objects: [...monitors.objects, ...rules.objects],
      skipped: [...monitors.skipped, ...rules.skipped],
      problems: [...monitors.problems, ...rules.problems],
    };
  }

  async create(d: DesiredObject): Promise<void> {
    const { monitors, siem } = await this.load();
    if (d.kind === 'siem-rule') await siem.create(d);
    else await monitors.create(d);
  }

  async update(d: DesiredObject, live: LiveObject): Promise<void> {
    const { monitors, siem } = await this.load();
    if (d.kind === 'siem-rule') await siem.update(d, live);
    else await monitors.update(d, live);
  }

  async remove(live: LiveObject): Promise<void> {
    const { monitors, siem } = await this.load();
    if (live.kind === 'siem-rule') await siem.remove(live);
    else await monitors.remove(live);
  }

  async close(): Promise<void> {
    // fetch keeps no connection state worth closing here.
  }
}
