// Starts what operates auditwatch beside detection: the log, the metrics, the health/metrics
// HTTP listener, the scheduler with the dead-man's switch and the daily digest. `auditwatch run`
// calls `Ops.start` once, hands it the stages it wires (`watchIngest`, `attachAlerting`,
// `transitions`), and `stop()`s it at the end. The stages never import prom-client or pino:
// cumulative stats they already keep are copied into the metrics before each scrape (bridges),
// and the typed recording methods of ops/metrics.ts are there for whatever is not kept.
import type { Writable } from 'node:stream';
import type { RuntimeConfig } from '../config/runtime.js';
import { LOG_FORMATS, LOG_LEVELS, opsSettings, type LogFormat, type LogLevelName, type OpsSection } from '../config/sections/ops.js';
import type { Transition } from '../engine/transition.js';
import { AuditwatchError } from '../errors.js';
import { HealthServer, StaticReadiness, type ReadinessSource } from '../ops/health.js';
import { createLogger, lineLog, type LineLevel, type OpsLogger } from '../ops/log.js';
import { Metrics } from '../ops/metrics.js';
import { Scheduler, type CronFactory, type JobSpec } from '../ops/schedule.js';
import { observeRedactions } from '../sinks/screen.js';
import { describeError, Secret } from '../text/secret.js';
import type { Alerting } from './alerting.js';
import { DEADMAN_DETECTOR, DeadmanSwitch } from './deadman.js';
import { DigestCollector, digestNotification } from './digest.js';

export interface OpsFlags {
  readonly logFormat?: LogFormat;
  readonly logLevel?: LogLevelName;
  readonly healthPort?: number;
  readonly healthHost?: string;
}

export interface OpsStartOptions {
  readonly config: RuntimeConfig;
  readonly env: NodeJS.ProcessEnv;
  readonly stderr: Writable;
  readonly flags?: OpsFlags;
  /** `file`: read to its end and exit; `stream`: runs until stopped (standard input, Kafka). */
  readonly lifetime: 'file' | 'stream';
  readonly detectors: readonly string[];
  /** One instance of several runs the leader-only jobs; default: always this one. */
  readonly isLeader?: () => boolean;
  /** Wall clock (tests). */
  readonly now?: () => number;
  /** Cron timers (tests drive the jobs by hand). */
  readonly timers?: CronFactory;
  /** Node's process metrics; default true. */
  readonly processMetrics?: boolean;
  readonly color?: boolean;
}

/** Cumulative input counts, as the file ingest (IngestCounters) and the Kafka runtime keep them. */
export interface IngestSnapshot {
  readonly read: number;
  readonly accepted: number;
  readonly late: number;
  readonly rejectedByReason: ReadonlyMap<string, number>;
  readonly deadLettered?: number;
}

/** The counters the Kafka runtime keeps (app/kafka/counters.ts), by shape. */
export interface KafkaCountsLike {
  readonly records: number;
  readonly accepted: number;
  readonly late: number;
  readonly rejectedByReason: ReadonlyMap<string, number>;
  readonly deadLettered: number;
}

/** For `watchIngest` in Kafka mode: records taken for detection count as read. */
export function kafkaSnapshot(c: KafkaCountsLike): () => IngestSnapshot {
  return () => ({ read: c.records, accepted: c.accepted, late: c.late, rejectedByReason: c.rejectedByReason, deadLettered: c.deadLettered });
}

/** For `isLeader` in Kafka mode: this instance owns partition 0 of the detection topic. */
export function ownsPartitionZero(assigned: () => readonly number[]): () => boolean {
  return () => assigned().includes(0);
}

export const DEADMAN_JOB = 'deadman';
export const DIGEST_JOB = 'digest';

/** Environment variables whose values are secrets by their name: never printed in a log line. */
const SECRET_ENV = /(?:WEBHOOK|ROUTING_KEY|TOKEN|SECRET|PASSWORD|PASSPHRASE|API_KEY|APP_KEY|CREDENTIAL)/i;

export function secretsFromEnv(env: NodeJS.ProcessEnv): Secret[] {
  const out: Secret[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value.length >= 8 && SECRET_ENV.test(name) && !name.endsWith('_FILE')) out.push(new Secret(value));
  }
  return out;
}

function pick<T extends string>(value: string | undefined, allowed: readonly T[], what: string): T | undefined {
  if (value === undefined || value === '') return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new AuditwatchError('USAGE', `${what} must be one of ${allowed.join(', ')} (got "${value.slice(0, 40)}")`);
}

function envPort(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new AuditwatchError('USAGE', `AUDITWATCH_HEALTH_PORT must be a port number (got "${value.slice(0, 20)}")`);
  return n;
}

/** Flags win over the environment (AUDITWATCH_LOG_FORMAT, ...), which wins over auditwatch.yaml. */
export function effectiveOps(section: OpsSection | undefined, env: NodeJS.ProcessEnv, flags: OpsFlags = {}): OpsSection & { healthForced: boolean } {
  const s = opsSettings(section);
  const port = flags.healthPort ?? envPort(env.AUDITWATCH_HEALTH_PORT);
  return {
    ...s,
    log: {
      level: flags.logLevel ?? pick(env.AUDITWATCH_LOG_LEVEL, LOG_LEVELS, 'AUDITWATCH_LOG_LEVEL') ?? s.log.level,
      format: flags.logFormat ?? pick(env.AUDITWATCH_LOG_FORMAT, LOG_FORMATS, 'AUDITWATCH_LOG_FORMAT') ?? s.log.format,
    },
    health: { ...s.health, host: flags.healthHost ?? (env.AUDITWATCH_HEALTH_HOST || undefined) ?? s.health.host, port: port ?? s.health.port },
    healthForced: port !== undefined,
  };
}

export class Ops {
  readonly readiness = new StaticReadiness('starting');
  private readonly bridges: (() => void)[] = [];
  private readonly arrivals = new Map<string, () => number | Promise<number>>();
  private readonly deadman: DeadmanSwitch | undefined;
  private readonly digest = new DigestCollector();
  private alerting: Alerting | undefined;
  private health: HealthServer | undefined;
  private stopped = false;
  /** Stops counting the sinks' last-line redactions (a process-wide observer). */
  private readonly unobserveRedactions: () => void;

  private constructor(
    readonly logger: OpsLogger,
    readonly metrics: Metrics,
    readonly scheduler: Scheduler,
    readonly settings: OpsSection,
    private readonly now: () => number,
  ) {
    this.deadman = settings.deadman.enabled ? new DeadmanSwitch({ silenceMs: settings.deadman.silence, busyWindowMs: settings.deadman.busyWindow, busyEvents: settings.deadman.busyEvents }) : undefined;
    metrics.onScrape(() => this.sync());
    // Redactions in rendered sink payloads, by the sink's kind (src/sinks/screen.ts).
    this.unobserveRedactions = observeRedactions((where, rule, n) => metrics.redacted(rule, where, n));
  }

  static async start(o: OpsStartOptions): Promise<Ops> {
    const s = effectiveOps(o.config.ops, o.env, o.flags);
    const secrets = secretsFromEnv(o.env);
    const metrics = new Metrics({ processMetrics: o.processMetrics });
    const logger = createLogger({
      level: s.log.level,
      format: s.log.format,
      out: o.stderr,
      color: o.color,
      secrets: () => secrets,
      base: { service: 'auditwatch' },
      onRedact: (rule, n) => metrics.redacted(rule, 'log', n),
    });
    metrics.declare({ detectors: o.detectors });
    const now = o.now ?? Date.now;
    const scheduler = new Scheduler({ isLeader: o.isLeader ?? (() => true), log: logger.child({ component: 'scheduler' }), metrics, now, timers: o.timers });
    const ops = new Ops(logger, metrics, scheduler, s, now);
    ops.addJobs();
    const enabled = s.health.enabled === true || s.healthForced || (s.health.enabled === 'auto' && o.lifetime === 'stream');
    if (enabled) {
      await ops.startHealth(s.healthForced || s.health.enabled === true).catch((err: unknown) => {
        ops.unobserveRedactions();
        throw err;
      });
    }
    scheduler.start();
    return ops;
  }

  private async startHealth(required: boolean): Promise<void> {
    const { host, port } = this.settings.health;
    try {
      this.health = await HealthServer.start({ host, port, metrics: this.metrics, readiness: this.readiness });
      this.logger.info({ component: 'health', host: this.health.host, port: this.health.port }, `health and metrics on http://${host.includes(':') ? `[${host}]` : host}:${this.health.port} (/healthz, /readyz, /metrics)`);
    } catch (err) {
      const message = `cannot serve health and metrics on ${host}:${port}: ${describeError(err)}`;
      if (required) throw new AuditwatchError('CONFIG_INVALID', message, { host, port }, { cause: err });
      this.logger.warn({ component: 'health' }, `${message}; running without them`);
    }
  }

  private addJobs(): void {
    const d = this.settings.deadman;
    if (this.deadman !== undefined) {
      this.scheduler.add({ name: DEADMAN_JOB, cron: d.check, run: (ctx) => this.deadmanTick(ctx.now) });
    }
  }

  /** The port the health server listens on, if it runs. */
  get healthPort(): number | undefined {
    return this.health?.port;
  }

  /** A `log(level, message)` logger for the stages that take one (delivery, Kafka runtime). */
  lineLog(component: string): { log(level: LineLevel, message: string): void } {
    return lineLog(this.logger, component);
  }

  /** /readyz from now on follows `r` (the Kafka runtime's readiness). */
  setReadiness(r: ReadinessSource): void {
    this.health?.setReadiness(r);
  }

  ready(detail: string): void {
    this.readiness.set(true, detail);
  }

  /** Copies cumulative input counts into the metrics, and feeds the dead-man switch with arrivals. */
  watchIngest(source: string, snapshot: () => IngestSnapshot): void {
    this.metrics.declare({ sources: [source] });
    this.deadman?.watch(source);
    let last: IngestSnapshot = { read: 0, accepted: 0, late: 0, rejectedByReason: new Map(), deadLettered: 0 };
    this.bridges.push(() => {
      const cur = snapshot();
      this.metrics.eventsRead(cur.read - last.read);
      this.metrics.eventsAccepted(cur.accepted - last.accepted);
      this.metrics.eventsLate(cur.late - last.late);
      this.metrics.deadLettered((cur.deadLettered ?? 0) - (last.deadLettered ?? 0));
      for (const [reason, n] of cur.rejectedByReason) this.metrics.eventRejected(reason, n - (last.rejectedByReason.get(reason) ?? 0));
      last = { ...cur, rejectedByReason: new Map(cur.rejectedByReason) };
    });
    this.arrivals.set(source, () => {
      const cur = snapshot();
      let rejected = 0;
      for (const n of cur.rejectedByReason.values()) rejected += n;
      return cur.accepted + cur.late + rejected;
    });
  }

  /**
   * What the dead-man's switch counts as arrivals of `source`: a cumulative total. `watchIngest`
   * counts what this instance read; with several instances the leader (which runs the job) should
   * count topic-wide instead, e.g. the sum of the input topic's end offsets.
   */
  watchArrivals(source: string, total: () => number | Promise<number>): void {
    this.metrics.declare({ sources: [source] });
    this.deadman?.watch(source);
    this.arrivals.set(source, total);
  }

  /** Delivery: notification metrics from the outbox, silences and redactions from the pipeline; the dead-man and the digest send through it. */
  attachAlerting(alerting: Alerting): void {
    this.alerting = alerting;
    this.metrics.declare({ sinks: [...alerting.sinks.keys()] });
    const seen = new Map<string, { delivered: number; retries: number; dropped: number; gaveUp: number }>();
    const silenced = new Map<string, number>();
    const redactions = new Map<string, number>();
    // Outbox depth and oldest age, sampled from the outbox when the gauges are collected.
    this.metrics.sampleOutbox(() =>
      [...alerting.sinks.keys()].map((sink) => {
        const b = alerting.outbox.backlog(sink);
        return [sink, { depth: b.depth, oldestAgeSeconds: b.oldestEnqueuedAtMs === undefined ? 0 : Math.max(0, this.now() - b.oldestEnqueuedAtMs) / 1000 }] as const;
      }),
    );
    this.bridges.push(() => {
      const now = this.now();
      for (const [sink, st] of alerting.outbox.stats()) {
        const prev = seen.get(sink) ?? { delivered: 0, retries: 0, dropped: 0, gaveUp: 0 };
        this.metrics.notificationsSent(sink, st.delivered - prev.delivered);
        this.metrics.notificationsRetried(sink, st.retries - prev.retries);
        this.metrics.notificationsFailed(sink, 'dropped', st.dropped - prev.dropped);
        this.metrics.notificationsFailed(sink, 'gave_up', st.gaveUp - prev.gaveUp);
        this.digest.failed(sink, st.dropped - prev.dropped + (st.gaveUp - prev.gaveUp), now);
        seen.set(sink, { delivered: st.delivered, retries: st.retries, dropped: st.dropped, gaveUp: st.gaveUp });
      }
      const stats = alerting.pipeline.stats;
      for (const [detector, n] of stats.silencedByDetector) {
        this.metrics.notificationsSilenced(detector, n - (silenced.get(detector) ?? 0));
        silenced.set(detector, n);
      }
      // Event values screened once when their notification is built (before routing: no sink yet).
      for (const [rule, n] of stats.redactions) {
        this.metrics.redacted(rule, 'notification', n - (redactions.get(rule) ?? 0));
        redactions.set(rule, n);
      }
    });
    const g = this.settings.digest;
    if (!g.enabled) return;
    if (!alerting.sinks.has(g.sink)) {
      this.logger.warn({ component: 'digest' }, `ops.digest.sink "${g.sink}" is not a configured sink: no daily digest`);
      return;
    }
    const spec: JobSpec = { name: DIGEST_JOB, cron: g.schedule, timezone: g.timezone, run: (ctx) => this.digestTick(ctx.now) };
    if (this.scheduler.job(DIGEST_JOB) === undefined) this.scheduler.add(spec);
  }

  /** Transitions on their way to delivery: alert counters and the digest. */
  transitions(ts: readonly Transition[]): void {
    if (ts.length === 0) return;
    for (const t of ts) {
      if (t.type === 'fired') this.metrics.alertFired(t.detector);
      else this.metrics.alertResolved(t.detector);
    }
    this.digest.transitions(ts, this.now());
  }

  /** Runs the bridges (before a scrape, at each dead-man tick, at stop). */
  sync(): void {
    for (const b of this.bridges) b();
  }

  private async deadmanTick(now: number): Promise<string | void> {
    const dm = this.deadman;
    if (dm === undefined) return;
    this.sync();
    const out: Transition[] = [];
    for (const [source, total] of this.arrivals) {
      let n: number;
      try {
        n = await total();
      } catch (err) {
        this.logger.warn({ component: 'deadman', source }, `cannot count arrivals of ${source}: ${describeError(err)}`);
        continue;
      }
      out.push(...dm.observe(source, n, now));
    }
    out.push(...dm.check(now));
    for (const st of dm.status(now)) {
      if (st.lastArrival !== undefined) this.metrics.sourceLastEvent(st.source, st.lastArrival);
      this.metrics.sourceSilent(st.source, st.alerting);
    }
    if (out.length === 0) return;
    const log = this.logger.child({ component: 'deadman' });
    for (const t of out) {
      const source = t.key[0] ?? '';
      if (t.type === 'fired') log.warn({ source, silentMs: now - (t.at - this.settings.deadman.silence) }, `${DEADMAN_DETECTOR}: no event from ${source} since ${new Date(t.at - this.settings.deadman.silence).toISOString()} (it was busy: ${t.count} events in the ${this.settings.deadman.busyWindow / 60_000} minutes before)`);
      else log.info({ source }, `${DEADMAN_DETECTOR}: events from ${source} again; resolved`);
    }
    this.transitions(out);
    if (this.alerting === undefined) {
      log.error({}, `${DEADMAN_DETECTOR}: no alert delivery is attached; the transitions above were only logged`);
      return;
    }
    await this.alerting.accept(out);
    return `${out.filter((t) => t.type === 'fired').length} fired, ${out.filter((t) => t.type === 'resolved').length} resolved`;
  }

  private async digestTick(now: number): Promise<string> {
    const alerting = this.alerting;
    if (alerting === undefined) return 'no delivery attached';
    this.sync();
    const g = this.settings.digest;
    const summary = this.digest.summary(now, g.topCallers);
    await alerting.outbox.enqueue([digestNotification(summary, g.sink)]);
    return `sent to ${g.sink}: ${summary.fired} alerts, ${summary.topCallers.length} top callers, ${summary.failed.reduce((n, [, k]) => n + k, 0)} failed notifications`;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const clean = await this.scheduler.stop(10_000);
    if (!clean) this.logger.warn({ component: 'scheduler' }, 'a scheduled job was still running at shutdown');
    this.sync();
    this.readiness.set(false, 'stopping');
    await this.health?.close();
    this.unobserveRedactions();
    this.logger.flush();
  }
}
