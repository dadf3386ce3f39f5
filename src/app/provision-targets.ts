// Builds the provisioning targets from auditwatch.yaml and the environment: keys come from the
// environment variables the config names (never from the file), wrapped in Secret at once.
// Datadog notification handles come from alerts/routes.yaml: the sinks a detector's alerts are
// routed to, each mapped to Datadog handles by provision.datadog.handles.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DetectorDef, Severity } from '../config/detectors.js';
import { loadRoutes, type RouteDef } from '../config/routes.js';
import { resolveSecret } from '../config/secret-ref.js';
import { datadogSettings, elasticsearchSettings, type ProvisionSection } from '../config/sections/provision.js';
import { DatadogTarget } from '../provision/datadog.js';
import { ElasticsearchTarget } from '../provision/elasticsearch.js';
import { EsApi } from '../provision/es-api.js';
import type { TargetName } from '../provision/model.js';
import type { RetryPolicy } from '../provision/retry.js';
import type { ProvisionTarget } from '../provision/target.js';

export interface TargetDeps {
  readonly env: NodeJS.ProcessEnv;
  /** Tests: no real waiting between retries. */
  readonly retry?: RetryPolicy;
  readonly fetch?: typeof fetch;
}

/** Sinks a detector's alerts go to, by the routes' rules: first match wins unless it says continue. */
export function routedSinks(routes: readonly RouteDef[], detector: string, severity: Severity): string[] {
  const sinks: string[] = [];
  for (const r of routes) {
    if (r.detectors !== undefined && !r.detectors.has(detector)) continue;
    if (r.severities !== undefined && !r.severities.has(severity)) continue;
    sinks.push(...r.sinks);
    if (!r.continue) break;
  }
  return [...new Set(sinks)];
}

export interface Handles {
  readonly lookup: (detector: string, severity: Severity) => readonly string[];
  /** Said in the plan: where handles came from, or why there are none. */
  readonly note: string | undefined;
}

export function datadogHandles(routesFile: string | undefined, section: ProvisionSection): Handles {
  const map = datadogSettings(section).handles;
  if (routesFile === undefined || !existsSync(routesFile)) {
    return { lookup: () => [], note: `no routes file${routesFile === undefined ? '' : ` at ${routesFile}`}: monitors notify no one until alerts/routes.yaml routes them` };
  }
  const routes = loadRoutes(routesFile);
  const unmapped = new Set<string>();
  const lookup = (detector: string, severity: Severity): string[] => {
    const out: string[] = [];
    for (const sink of routedSinks(routes, detector, severity)) {
      const h = map[sink];
      if (h === undefined) unmapped.add(sink);
      else out.push(...h);
    }
    return [...new Set(out)];
  };
  return {
    lookup,
    get note() {
      return unmapped.size === 0 ? undefined : `route sinks without a Datadog handle (provision.datadog.handles): ${[...unmapped].sort().join(', ')}`;
    },
  };
}

export function routesFileFor(alertsDir: string, routesOverride: string | undefined): string {
  return routesOverride ?? join(alertsDir, 'routes.yaml');
}

export interface BuildTargetsInput {
  readonly names: readonly TargetName[];
  readonly section: ProvisionSection;
  readonly handles: Handles;
  readonly deps: TargetDeps;
}

export function buildTargets(input: BuildTargetsInput): ProvisionTarget[] {
  const { section, deps } = input;
  return input.names.map((name): ProvisionTarget => {
    if (name === 'datadog') {
      const settings = datadogSettings(section);
      return new DatadogTarget({
        settings,
        apiKey: resolveSecret(settings.apiKey, { owner: 'provision.datadog', what: 'Datadog API key' }, deps.env),
        appKey: resolveSecret(settings.appKey, { owner: 'provision.datadog', what: 'Datadog application key' }, deps.env),
        streakWindowMs: section.streakWindow,
        handles: (d: string, s: DetectorDef['severity']) => input.handles.lookup(d, s),
        retry: deps.retry,
        fetch: deps.fetch,
      });
    }
    const settings = elasticsearchSettings(section);
    const credentials = {
      apiKey: settings.apiKey === undefined ? undefined : resolveSecret(settings.apiKey, { owner: 'provision.elasticsearch', what: 'Elasticsearch API key' }, deps.env),
      username: settings.username,
      password: settings.password === undefined ? undefined : resolveSecret(settings.password, { owner: 'provision.elasticsearch', what: 'Elasticsearch password' }, deps.env),
    };
    return new ElasticsearchTarget({ settings, api: new EsApi(settings, credentials, deps.retry), streakWindowMs: section.streakWindow });
  });
}

/** --target wins; else provision.targets; else the targets configured in the section; else both. */
export function chooseTargets(flag: 'datadog' | 'elasticsearch' | 'all' | undefined, section: ProvisionSection): TargetName[] {
  if (flag === 'datadog' || flag === 'elasticsearch') return [flag];
  if (flag === 'all') return ['datadog', 'elasticsearch'];
  if (section.targets !== undefined) return [...section.targets];
  const configured: TargetName[] = [];
  if (section.datadog !== undefined) configured.push('datadog');
  if (section.elasticsearch !== undefined) configured.push('elasticsearch');
  return configured.length > 0 ? configured : ['datadog', 'elasticsearch'];
}
