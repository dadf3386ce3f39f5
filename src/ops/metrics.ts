// Every metric auditwatch exports, declared in this one file (prom-client, a registry of our own,
// names prefixed `auditwatch_`). Stages never touch prom-client: they call the typed recording
// methods of `Metrics` (`metrics.eventRejected(reason)`), and app/ wires them.
//
// Label cardinality stays bounded by construction: no label value is ever taken from an event.
// Each label has a closed set of values: rejection reasons and secret rules come from fixed
// tables, detectors, sinks, sources, targets and jobs from the configuration (declared at
// startup; anything else is counted as `other`), partitions are small integers. A callerId, a
// tool or any other event string is never a label, whatever a caller passes in.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { BUILTIN_DETECTORS } from '../config/routes.js';
import { auditEventSchema } from '../events/audit-event.js';
import { REDACTION_RULE_NAMES } from '../text/secrets.js';

export const METRIC_PREFIX = 'auditwatch_';
/** The value a label takes when what was passed is not one of its declared values. */
export const OTHER = 'other';

/** Rejection reasons (src/events/rejection.ts); `missing-field` and `bad-field` keep a canonical field suffix. */
export const REJECTION_REASON_LABELS = ['too-large', 'too-deep', 'not-json', 'not-object', 'unknown-format', 'missing-field', 'bad-field', 'bad-timestamp'] as const;
const FIELD_REASONS = new Set(['missing-field', 'bad-field']);
const CANONICAL_FIELDS = new Set(Object.keys(auditEventSchema.shape));
const REASONS = new Set<string>(REJECTION_REASON_LABELS);
const RULES = new Set<string>(REDACTION_RULE_NAMES);
/**
 * Where the secret screen redacted a value: `notification` (event values, screened once when the
 * notification is built, before routing), `log` (auditwatch's own log lines), or the kind of sink
 * whose rendered payload the last-line screen caught it in (`sink` when the sink did not say).
 */
export const REDACTION_WHERE_LABELS = ['notification', 'log', 'slack', 'pagerduty', 'webhook', 'console', 'sink'] as const;
const WHERE = new Set<string>(REDACTION_WHERE_LABELS);
const MAX_PARTITION = 9_999;

export type FailureKind = 'dropped' | 'gave_up';
export type JobOutcome = 'ok' | 'failed' | 'skipped_overlap' | 'skipped_not_leader';

/** `bad-field:outcome` stays as it is; `bad-field:<anything else>` becomes `bad-field`; unknown reasons become `other`. */
export function reasonLabel(reason: string): string {
  const colon = reason.indexOf(':');
  const head = colon < 0 ? reason : reason.slice(0, colon);
  if (!REASONS.has(head)) return OTHER;
  if (colon < 0) return head;
  const field = reason.slice(colon + 1);
  return FIELD_REASONS.has(head) && CANONICAL_FIELDS.has(field) ? `${head}:${field}` : head;
}

export function ruleLabel(rule: string): string {
  return RULES.has(rule) ? rule : OTHER;
}

export function whereLabel(where: string): string {
  return WHERE.has(where) ? where : OTHER;
}

export function partitionLabel(partition: number): string {
  return Number.isSafeInteger(partition) && partition >= 0 && partition <= MAX_PARTITION ? String(partition) : OTHER;
}

/** The configured names a label may take; everything else is `other`. */
class Vocabulary {
  private readonly names = new Set<string>();
  constructor(initial: readonly string[] = []) {
    this.add(initial);
  }
  add(names: readonly string[]): void {
    for (const n of names) if (n.length > 0 && n.length <= 128) this.names.add(n);
  }
  label(name: string): string {
    return this.names.has(name) ? name : OTHER;
  }
}

/** What waits in the outbox for one sink, at the moment of a scrape. */
export interface OutboxSample {
  readonly depth: number;
  /** Age of the oldest waiting notification, in seconds; 0 or undefined when none waits. */
  readonly oldestAgeSeconds: number | undefined;
}

export interface MetricsOptions {
  /** Node's process metrics (CPU, memory, event loop lag, GC) as `auditwatch_process_*` etc. Default true. */
  readonly processMetrics?: boolean;
}

/** The names a label may take, from the configuration. Safe to call again as more are known. */
export interface Declarations {
  readonly detectors?: readonly string[];
  readonly sinks?: readonly string[];
  readonly sources?: readonly string[];
  readonly targets?: readonly string[];
  readonly jobs?: readonly string[];
}

export class Metrics {
  readonly registry = new Registry();
  private readonly detectors = new Vocabulary(BUILTIN_DETECTORS);
  private readonly sinks = new Vocabulary();
  private readonly sources = new Vocabulary();
  private readonly targets = new Vocabulary();
  private readonly jobs = new Vocabulary();
  private readonly beforeScrape: (() => void)[] = [];
  private outboxSampler: (() => Iterable<readonly [string, OutboxSample]>) | undefined;

  private readonly c = (name: string, help: string, labelNames: readonly string[] = []) =>
    new Counter({ name: METRIC_PREFIX + name, help, labelNames, registers: [this.registry] });
  private readonly g = (name: string, help: string, labelNames: readonly string[] = []) =>
    new Gauge({ name: METRIC_PREFIX + name, help, labelNames, registers: [this.registry] });

  // ---- input ----------------------------------------------------------------------------------
  private readonly read = this.c('events_read_total', 'Messages or lines read from the sources (blank lines included).');
  private readonly accepted = this.c('events_accepted_total', 'Valid events accepted by detection.');
  private readonly rejected = this.c('events_rejected_total', 'Messages rejected as invalid, by reason (a fixed list).', ['reason']);
  private readonly late = this.c('events_late_total', 'Valid events dropped as later than the allowed lateness.');
  private readonly deadLetters = this.c('dead_letters_total', 'Rejected messages written to the dead-letter topic.');
  private readonly lag = this.g('partition_lag', 'Consumer lag of a detection partition, in messages.', ['partition']);
  private readonly watermarkDelaySeconds = this.g('watermark_delay_seconds', 'Wall-clock time minus the watermark (newest event time minus lateness) of a partition.', ['partition']);
  private readonly lastEvent = this.g('source_last_event_timestamp_seconds', 'When an event last arrived from a source (wall clock, Unix seconds).', ['source']);
  private readonly silent = this.g('source_silent', '1 while the dead-man switch holds the source silent (audit-stream-silent firing).', ['source']);

  // ---- alerts and delivery ----------------------------------------------------------------------
  private readonly fired = this.c('alerts_fired_total', 'Alert transitions to firing, by detector.', ['detector']);
  private readonly resolved = this.c('alerts_resolved_total', 'Alert transitions to resolved, by detector.', ['detector']);
  private readonly sent = this.c('notifications_sent_total', 'Notifications a sink accepted.', ['sink']);
  private readonly failed = this.c('notifications_failed_total', 'Notifications a sink refused for good (dropped) or that were given up after the maximum age.', ['sink', 'kind']);
  private readonly retried = this.c('notifications_retried_total', 'Delivery attempts that will be retried (network errors, 5xx, 429).', ['sink']);
  private readonly silenced = this.c('notifications_silenced_total', 'Alert transitions held back by a silence, by detector (silences apply before routing).', ['detector']);
  // Sampled when they are collected (a scrape), from the outbox itself: see sampleOutbox.
  private readonly outboxDepthG: Gauge = new Gauge({
    name: `${METRIC_PREFIX}outbox_depth`,
    help: 'Notifications waiting in the outbox (queued, being sent or waiting to retry), per sink, at the scrape.',
    labelNames: ['sink'],
    registers: [this.registry],
    collect: (): void => this.collectOutbox(this.outboxDepthG, (s) => s.depth, (a, b) => a + b),
  });
  private readonly outboxAge: Gauge = new Gauge({
    name: `${METRIC_PREFIX}outbox_oldest_age_seconds`,
    help: 'Age of the oldest notification waiting in the outbox, per sink, at the scrape (0 when none).',
    labelNames: ['sink'],
    registers: [this.registry],
    collect: (): void => this.collectOutbox(this.outboxAge, (s) => Math.max(0, s.oldestAgeSeconds ?? 0), Math.max),
  });
  private readonly redactionsC = this.c('redactions_total', 'Values replaced by the secret screen, by rule (a fixed list) and where: notification (event values), log, or the sink kind of a rendered payload.', ['rule', 'where']);

  // ---- state, provisioning, jobs --------------------------------------------------------------
  private readonly checkpointSeconds = new Histogram({
    name: `${METRIC_PREFIX}checkpoint_duration_seconds`,
    help: 'Time to write a partition checkpoint (state and offsets).',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly checkpointBytes = new Histogram({
    name: `${METRIC_PREFIX}checkpoint_size_bytes`,
    help: 'Size of a partition checkpoint.',
    buckets: [1e3, 1e4, 1e5, 1e6, 4e6, 1.6e7, 6.4e7, 2.56e8],
    registers: [this.registry],
  });
  private readonly drift = this.g('provisioning_drift', 'Provisioned objects that differ from the detector definitions, per target, at the last check.', ['target']);
  private readonly driftChecked = this.g('provisioning_drift_checked_timestamp_seconds', 'When the drift of a target was last checked (Unix seconds).', ['target']);
  private readonly jobRuns = this.c('job_runs_total', 'Scheduled job ticks by outcome: ok, failed, skipped_overlap, skipped_not_leader.', ['job', 'outcome']);
  private readonly jobSeconds = new Histogram({
    name: `${METRIC_PREFIX}job_duration_seconds`,
    help: 'Run time of a scheduled job.',
    labelNames: ['job'],
    buckets: [0.01, 0.1, 0.5, 1, 5, 15, 60, 300],
    registers: [this.registry],
  });
  private readonly readyG = this.g('ready', '1 when /readyz answers ready.');

  constructor(opts: MetricsOptions = {}) {
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
  }

  declare(d: Declarations): void {
    this.detectors.add(d.detectors ?? []);
    this.sinks.add(d.sinks ?? []);
    this.sources.add(d.sources ?? []);
    this.targets.add(d.targets ?? []);
    this.jobs.add(d.jobs ?? []);
  }

  /** Runs before each scrape: for bridges that copy cumulative stats into the metrics. */
  onScrape(fn: () => void): void {
    this.beforeScrape.push(fn);
  }

  eventsRead(n = 1): void {
    if (n > 0) this.read.inc(n);
  }
  eventsAccepted(n = 1): void {
    if (n > 0) this.accepted.inc(n);
  }
  eventRejected(reason: string, n = 1): void {
    if (n > 0) this.rejected.inc({ reason: reasonLabel(reason) }, n);
  }
  eventsLate(n = 1): void {
    if (n > 0) this.late.inc(n);
  }
  deadLettered(n = 1): void {
    if (n > 0) this.deadLetters.inc(n);
  }
  partitionLag(partition: number, lag: number): void {
    this.lag.set({ partition: partitionLabel(partition) }, lag);
  }
  watermarkDelay(partition: number, seconds: number): void {
    this.watermarkDelaySeconds.set({ partition: partitionLabel(partition) }, seconds);
  }
  /** The partition moved to another instance: stop exporting its gauges. */
  partitionRevoked(partition: number): void {
    const labels = { partition: partitionLabel(partition) };
    this.lag.remove(labels);
    this.watermarkDelaySeconds.remove(labels);
  }
  sourceLastEvent(source: string, epochMs: number): void {
    this.lastEvent.set({ source: this.sources.label(source) }, epochMs / 1000);
  }
  sourceSilent(source: string, isSilent: boolean): void {
    this.silent.set({ source: this.sources.label(source) }, isSilent ? 1 : 0);
  }

  alertFired(detector: string, n = 1): void {
    if (n > 0) this.fired.inc({ detector: this.detectors.label(detector) }, n);
  }
  alertResolved(detector: string, n = 1): void {
    if (n > 0) this.resolved.inc({ detector: this.detectors.label(detector) }, n);
  }
  notificationsSent(sink: string, n = 1): void {
    if (n > 0) this.sent.inc({ sink: this.sinks.label(sink) }, n);
  }
  notificationsFailed(sink: string, kind: FailureKind, n = 1): void {
    if (n > 0) this.failed.inc({ sink: this.sinks.label(sink), kind }, n);
  }
  notificationsRetried(sink: string, n = 1): void {
    if (n > 0) this.retried.inc({ sink: this.sinks.label(sink) }, n);
  }
  notificationsSilenced(detector: string, n = 1): void {
    if (n > 0) this.silenced.inc({ detector: this.detectors.label(detector) }, n);
  }
  /**
   * Where the outbox gauges come from: called at each collection (scrape) of either gauge, it
   * lists every sink with what waits for it. Replaces an earlier sampler. Sinks that fall into
   * `other` are added up (depth) or maxed (age).
   */
  sampleOutbox(sampler: () => Iterable<readonly [string, OutboxSample]>): void {
    this.outboxSampler = sampler;
  }
  private collectOutbox(gauge: Gauge, value: (s: OutboxSample) => number, merge: (a: number, b: number) => number): void {
    const sampler = this.outboxSampler;
    if (sampler === undefined) return;
    const byLabel = new Map<string, number>();
    for (const [sink, sample] of sampler()) {
      const label = this.sinks.label(sink);
      const v = value(sample);
      const prev = byLabel.get(label);
      byLabel.set(label, prev === undefined ? v : merge(prev, v));
    }
    gauge.reset();
    for (const [sink, v] of byLabel) gauge.set({ sink }, v);
  }
  redacted(rule: string, where: string, n = 1): void {
    if (n > 0) this.redactionsC.inc({ rule: ruleLabel(rule), where: whereLabel(where) }, n);
  }

  checkpoint(durationMs: number, bytes: number): void {
    this.checkpointSeconds.observe(durationMs / 1000);
    this.checkpointBytes.observe(bytes);
  }
  provisioningDrift(target: string, drifted: number, checkedAtMs: number): void {
    const labels = { target: this.targets.label(target) };
    this.drift.set(labels, drifted);
    this.driftChecked.set(labels, checkedAtMs / 1000);
  }
  jobRun(job: string, outcome: JobOutcome, durationMs?: number): void {
    const name = this.jobs.label(job);
    this.jobRuns.inc({ job: name, outcome });
    if (durationMs !== undefined) this.jobSeconds.observe({ job: name }, durationMs / 1000);
  }
  ready(isReady: boolean): void {
    this.readyG.set(isReady ? 1 : 0);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition, after the scrape hooks ran. */
  async render(): Promise<string> {
    for (const fn of this.beforeScrape) fn();
    return this.registry.metrics();
  }
}
