// The Datadog target: log monitors (and, per detector on request, Cloud SIEM threshold rules) on
// the configured site or base URL, with keys from the environment only. The keys live in Secret
// objects and are revealed exactly once, into the client's auth configuration.
import { client, v1, v2 } from '@datadog/datadog-api-client';
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

export class DatadogTarget implements ProvisionTarget {
  readonly name = 'datadog';
  readonly endpoint: string;
  private readonly monitors: DatadogMonitors;
  private readonly siem: SiemRules;

  constructor(private readonly opts: DatadogTargetOptions) {
    this.endpoint = datadogBaseUrl(opts.settings);
    const configuration = client.createConfiguration({
      baseServer: new client.BaseServerConfiguration(this.endpoint, {}),
      authMethods: { apiKeyAuth: opts.apiKey.reveal(), appKeyAuth: opts.appKey.reveal() },
      httpApi: new DatadogHttp({ timeoutMs: opts.settings.timeout, secrets: [opts.apiKey, opts.appKey], fetch: opts.fetch }),
      enableRetry: false,
    });
    const retry = opts.retry ?? DEFAULT_RETRY;
    this.monitors = new DatadogMonitors(new v1.MonitorsApi(configuration), opts.settings, retry);
    this.siem = new SiemRules(new v2.SecurityMonitoringApi(configuration), opts.settings, retry);
  }

  async discover(): Promise<Discovery> {
    const live: LiveObject[] = await this.monitors.list();
    const notes: string[] = [];
    const rules = await this.siem.list(this.opts.settings.siem.length > 0);
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
    if (d.kind === 'siem-rule') await this.siem.create(d);
    else await this.monitors.create(d);
  }

  async update(d: DesiredObject, live: LiveObject): Promise<void> {
    if (d.kind === 'siem-rule') await this.siem.update(d, live);
    else await this.monitors.update(d, live);
  }

  async remove(live: LiveObject): Promise<void> {
    if (live.kind === 'siem-rule') await this.siem.remove(live);
    else await this.monitors.remove(live);
  }

  async close(): Promise<void> {
    // fetch keeps no connection state worth closing here.
  }
}
