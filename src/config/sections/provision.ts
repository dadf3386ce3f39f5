// The `provision` section of auditwatch.yaml: where `auditwatch provision` puts the compiled
// detectors (Datadog, Elasticsearch) and how the drift job runs. Credentials are never written
// here: the section names the environment variables that hold them (keys from the environment
// only, as the Datadog and Elastic docs recommend for automation).
import { validate as validCron } from 'node-cron';
import { z } from 'zod';
import { durationSchema } from '../duration-schema.js';

/** Datadog sites by their documented short names → API host (docs.datadoghq.com/getting_started/site). */
export const DATADOG_SITES = {
  US1: 'datadoghq.com',
  US3: 'us3.datadoghq.com',
  US5: 'us5.datadoghq.com',
  EU: 'datadoghq.eu',
  AP1: 'ap1.datadoghq.com',
  gov: 'ddog-gov.com',
} as const;
export type DatadogSite = keyof typeof DATADOG_SITES;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** Only environment variables: a key in a file or in this YAML is refused on purpose. */
export const envRefSchema = z.strictObject({ env: z.string().regex(ENV_NAME, 'env must be an environment variable name (letters, digits, _)') });
export type EnvRef = z.infer<typeof envRefSchema>;

const durationMs = (min: number, what: string) => durationSchema(min, { atLeast: what });

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const detectorId = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'a detector id');
// Datadog lower-cases tags and wants key:value; refusing other forms keeps drift detection exact.
const ddTag = z.string().regex(/^[a-z][a-z0-9_.\-/]*:[a-z0-9_.\-/:]+$/, 'tags are lowercase key:value (letters, digits, _ . - / :)').max(200);

export const datadogSettingsSchema = z.strictObject({
  site: z.enum(Object.keys(DATADOG_SITES) as [DatadogSite, ...DatadogSite[]]).default('US1'),
  /** Overrides `site`: a proxy, a private endpoint, or a test server. */
  baseUrl: httpUrl.optional(),
  apiKey: envRefSchema.default({ env: 'DD_API_KEY' }),
  appKey: envRefSchema.default({ env: 'DD_APP_KEY' }),
  /** Prefix of the facets the audit fields are indexed under: "@" gives @callerId, "@mcp." gives @mcp.callerId. */
  facetPrefix: z
    .string()
    .regex(/^@(?:[A-Za-z0-9_-]+\.)*$/, 'facetPrefix is "@" or "@path." (e.g. "@mcp.")')
    .default('@'),
  /** Added to every search as source:<value> / service:<value>, so other teams' logs never count. */
  source: z.string().regex(/^[A-Za-z0-9_.\-/]+$/, 'a Datadog source name').optional(),
  service: z.string().regex(/^[A-Za-z0-9_.\-/]+$/, 'a Datadog service name').optional(),
  /** Log index the monitors read (`*`: all indexes). */
  index: z.string().regex(/^(?:\*|[A-Za-z0-9_-]+)$/, 'an index name or *').default('*'),
  /** Extra tags on every monitor. */
  tags: z.array(ddTag).default([]),
  /** Route sink name (alerts/routes.yaml) → Datadog notification handles, e.g. slack: ["@slack-sec-alerts"]. */
  handles: z.record(z.string().min(1), z.array(z.string().regex(/^@[A-Za-z0-9_.\-/]+$/, 'a Datadog handle such as @slack-channel'))).default({}),
  /** Detectors that also get a Cloud SIEM threshold rule (for teams that use Cloud SIEM). */
  siem: z.array(detectorId).default([]),
  /** Time allowed for one HTTP request. */
  timeout: durationMs(1, '1ms').default(30_000),
});
export type DatadogSettings = z.infer<typeof datadogSettingsSchema>;

export const elasticsearchSettingsSchema = z
  .strictObject({
    url: httpUrl.default('http://localhost:9200'),
    apiKey: envRefSchema.optional(),
    username: z.string().min(1).optional(),
    password: envRefSchema.optional(),
    /** PEM file of the CA that signed the cluster's certificate. */
    caFile: z.string().min(1).optional(),
    /** Verify the server's certificate (on unless you really mean it). */
    tlsVerify: z.boolean().default(true),
    indexPattern: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_.\-*]*$/, 'an index pattern: lowercase, no spaces (e.g. mcp-audit-*)')
      .default('mcp-audit-*'),
    /** Priority of the index template over other templates matching the same pattern. */
    templatePriority: z.number().int().min(0).default(200),
    /** Buckets per group-by level of one evaluation: more keys above the threshold at once are cut (a declared limit). */
    maxKeys: z.number().int().min(1).max(65_536).default(1000),
    /** Terms per shard per level: counts are exact while each shard holds at most this many distinct keys in the window. */
    shardSize: z.number().int().min(1).max(1_000_000).default(10_000),
    /** How often the Watcher watches run. */
    watchInterval: durationMs(1000, '1s').default(60_000),
    timeout: durationMs(1, '1ms').default(30_000),
  })
  .refine((s) => s.apiKey === undefined || (s.username === undefined && s.password === undefined), {
    message: 'use either apiKey or username/password, not both',
  })
  .refine((s) => (s.username === undefined) === (s.password === undefined), { message: 'username and password go together' });
export type ElasticsearchSettings = z.infer<typeof elasticsearchSettingsSchema>;

export const driftSettingsSchema = z.strictObject({
  /** node-cron expression (5 or 6 fields); hourly by default. */
  schedule: z
    .string()
    .refine((s) => validCron(s), { message: 'not a cron expression (e.g. "0 * * * *" for hourly)' })
    .default('0 * * * *'),
  /** Apply the plan when drift is found (off: only report it). */
  apply: z.boolean().default(false),
  targets: z.array(z.enum(['datadog', 'elasticsearch'])).min(1).optional(),
});

export const provisionSectionSchema = z.strictObject({
  /** Targets `provision` uses when --target is not given (default: those configured here, else both). */
  targets: z.array(z.enum(['datadog', 'elasticsearch'])).min(1).optional(),
  datadog: datadogSettingsSchema.optional(),
  elasticsearch: elasticsearchSettingsSchema.optional(),
  /**
   * Window of the windowed count that approximates a streak on platforms without sequence
   * semantics (declared as an approximation in every plan).
   */
  streakWindow: durationMs(60_000, '1m').default(3_600_000),
  drift: driftSettingsSchema.default({ schedule: '0 * * * *', apply: false }),
});
export type ProvisionSection = z.infer<typeof provisionSectionSchema>;

/** The section with every default filled in, also when auditwatch.yaml has no `provision` at all. */
export function provisionSettings(section: ProvisionSection | undefined): ProvisionSection {
  return section ?? provisionSectionSchema.parse({});
}

export function datadogSettings(section: ProvisionSection): DatadogSettings {
  return section.datadog ?? datadogSettingsSchema.parse({});
}

export function elasticsearchSettings(section: ProvisionSection): ElasticsearchSettings {
  return section.elasticsearch ?? elasticsearchSettingsSchema.parse({});
}
