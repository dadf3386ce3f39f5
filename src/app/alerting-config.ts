// Which sinks exist, from auditwatch.yaml or, without an `alerting.sinks` section, from the
// environment: SLACK_WEBHOOK_URL (or SLACK_WEBHOOK_URL_FILE) makes a `slack` sink,
// PAGERDUTY_ROUTING_KEY (or PAGERDUTY_ROUTING_KEY_FILE) a `pagerduty` sink; `console` always
// exists and takes whatever no configured sink can.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AuditwatchError } from '../errors.js';
import type { AlertingSection } from '../config/sections/alerting.js';
import type { SecretRef } from '../config/secret-ref.js';
import { consoleSinkSchema, pagerDutySinkSchema, slackSinkSchema, type SinkConfig } from '../config/sink-schemas.js';
import { createSink, type Sink, type SinkDeps } from '../sinks/sink.js';
import { packageRoot } from './paths.js';

export const CONSOLE_SINK = 'console';
/** Names the shipped routes use; a route may name them without them being configured. */
export const WELL_KNOWN_SINKS: ReadonlySet<string> = new Set(['slack', 'pagerduty']);

function envRef(env: NodeJS.ProcessEnv, name: string): SecretRef | undefined {
  if ((env[name] ?? '').trim() !== '') return { env: name };
  const file = env[`${name}_FILE`];
  if (file !== undefined && file.trim() !== '') return { file };
  return undefined;
}

/** The sink configurations in effect: declared ones, or the ones the environment implies. */
export function sinkConfigs(section: AlertingSection | undefined, env: NodeJS.ProcessEnv): Map<string, SinkConfig> {
  const out = new Map<string, SinkConfig>();
  if (section?.sinks !== undefined) {
    for (const [name, cfg] of Object.entries(section.sinks)) out.set(name, cfg);
  } else {
    const slack = envRef(env, 'SLACK_WEBHOOK_URL');
    if (slack !== undefined) out.set('slack', slackSinkSchema.parse({ kind: 'slack', webhookUrl: slack }));
    const pd = envRef(env, 'PAGERDUTY_ROUTING_KEY');
    if (pd !== undefined) {
      // PAGERDUTY_REGION=eu for EU accounts; PAGERDUTY_EVENTS_URL for a relay (or a test receiver).
      const endpoint = env.PAGERDUTY_EVENTS_URL;
      const region = env.PAGERDUTY_REGION;
      const res = pagerDutySinkSchema.safeParse({ kind: 'pagerduty', routingKey: pd, ...(endpoint ? { endpoint } : {}), ...(region ? { region } : {}) });
      if (!res.success) {
        const issue = res.error.issues[0];
        throw new AuditwatchError('CONFIG_INVALID', `PAGERDUTY_${issue?.path[0] === 'region' ? 'REGION' : 'EVENTS_URL'}: ${issue?.message ?? 'invalid'}`);
      }
      out.set('pagerduty', res.data);
    }
  }
  if (!out.has(CONSOLE_SINK)) out.set(CONSOLE_SINK, consoleSinkSchema.parse({ kind: 'console' }));
  return out;
}

/** Creates every sink; a missing secret or a bad URL stops startup with the sink's name. */
export function createSinks(configs: ReadonlyMap<string, SinkConfig>, deps: SinkDeps): Map<string, Sink> {
  const sinks = new Map<string, Sink>();
  for (const [name, cfg] of configs) {
    try {
      sinks.set(name, createSink(name, cfg, deps));
    } catch (err) {
      // A bad URL or key shape is a configuration error; its message never holds the value.
      if (err instanceof TypeError) throw new AuditwatchError('CONFIG_INVALID', err.message, { sink: name });
      throw err;
    }
  }
  return sinks;
}

/**
 * A file of the alerts folder: the configured path, else <alerts dir from auditwatch.yaml>/name,
 * else ./alerts/name when it exists, else the one shipped with the package.
 */
export function alertsFile(name: 'routes.yaml' | 'silences.yaml', explicit: string | undefined, alertsDir: string | undefined): string {
  if (explicit !== undefined) return resolve(explicit);
  if (alertsDir !== undefined) return resolve(alertsDir, name);
  const local = resolve('alerts', name);
  return existsSync(local) ? local : join(packageRoot(), 'alerts', name);
}

/** Where `auditwatch silence add` writes: never into the installed package. */
export function writableSilencesFile(explicit: string | undefined, alertsDir: string | undefined): string {
  if (explicit !== undefined) return resolve(explicit);
  return resolve(alertsDir ?? 'alerts', 'silences.yaml');
}
