// Wires the delivery half of auditwatch: transitions → alert pipeline → outbox → sinks. Used by
// `auditwatch run` on a file and meant for the Kafka source too (one Alerting per process; the
// pipeline is pure, the outbox owns I/O). Group flushes run on a timer of the injected clock.
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { AlertPipeline, type PipelineOutput, type SinkMode } from '../alerts/pipeline.js';
import type { DetectorInfo, Routed } from '../alerts/notification.js';
import type { DetectorDef } from '../config/detectors.js';
import { checkRouteDetectors, loadRoutes, resolveRouteSinks, type RouteDef } from '../config/routes.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { loadSilences } from '../config/silences.js';
import type { Transition } from '../engine/transition.js';
import { systemClock, type Clock, type TimerHandle } from '../outbox/clock.js';
import { Outbox, type OpenReport } from '../outbox/deliver.js';
import { FileStore } from '../outbox/file-store.js';
import { MemoryStore, type OutboxStore } from '../outbox/store.js';
import type { Sink } from '../sinks/sink.js';
import { alertsFile, CONSOLE_SINK, createSinks, sinkConfigs, WELL_KNOWN_SINKS } from './alerting-config.js';
import { deliveryLog, lineLogger, safeError, type Logger } from './delivery-log.js';

export interface AlertingOptions {
  readonly config: RuntimeConfig;
  readonly env: NodeJS.ProcessEnv;
  readonly defs: readonly DetectorDef[];
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly color: boolean;
  readonly clock?: Clock;
  readonly log?: Logger;
  /** Overrides the store chosen from the config (tests, benchmarks). */
  readonly store?: OutboxStore;
  readonly random?: () => number;
}

export interface FinishReport {
  /** Notifications still pending after the drain timeout (they stay in the outbox file). */
  readonly pending: number;
  readonly dropped: number;
  readonly gaveUp: number;
}

const SILENCE_CHECK_MS = 1_000;

export class Alerting {
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;
  private silencesMtime = 0;
  private silencesCheckedAt = -Infinity;
  private failure: unknown;
  private readonly goneReported = new Set<string>();
  private readonly unroutedReported = new Set<string>();

  private constructor(
    readonly pipeline: AlertPipeline,
    readonly outbox: Outbox,
    readonly sinks: ReadonlyMap<string, Sink>,
    readonly routes: readonly RouteDef[],
    readonly openReport: OpenReport,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly silencesFile: string,
    private readonly storeDescription: string,
    private readonly unconfigured: ReadonlySet<string>,
  ) {}

  static async start(opts: AlertingOptions): Promise<Alerting> {
    const clock = opts.clock ?? systemClock;
    const log = opts.log ?? lineLogger(opts.stderr);
    const section = opts.config.alerting;
    const detectorWidth = Math.max(16, ...opts.defs.map((d) => d.id.length));
    // Sinks first: a missing secret is the most likely startup error and names its variable.
    const sinks = createSinks(sinkConfigs(section, opts.env), {
      env: opts.env,
      now: () => clock.now(),
      stdout: opts.stdout,
      color: opts.color,
      links: section?.links,
      detectorWidth,
      onRedact: (sink, rule, count) => log.log('info', `redacted ${count} ${rule} value${count === 1 ? '' : 's'} from a message to ${sink}`),
    });
    const routesFile = alertsFile('routes.yaml', section?.routes, opts.config.alerts);
    const loaded = loadRoutes(routesFile);
    checkRouteDetectors(loaded, new Set(opts.defs.map((d) => d.id)));
    const { routes, skipped } = resolveRouteSinks(loaded, new Set(sinks.keys()), new Set([...WELL_KNOWN_SINKS].filter((s) => !sinks.has(s))), CONSOLE_SINK);

    const silencesFile = alertsFile('silences.yaml', section?.silences, opts.config.alerts);
    const modes = new Map<string, SinkMode>([...sinks].map(([n, s]) => [n, s.mode]));
    const detectors = new Map<string, DetectorInfo>(
      opts.defs.map((d) => [d.id, { id: d.id, ...(d.description === undefined ? {} : { description: d.description }), ...(d.runbook === undefined ? {} : { runbook: d.runbook }) }]),
    );
    const pipeline = new AlertPipeline({ routes, sinkModes: modes, detectors, silences: loadSilences(silencesFile) });

    const outboxCfg = section?.outbox;
    const durable = [...sinks.values()].some((s) => s.durable);
    const store = opts.store ?? (durable ? new FileStore(outboxCfg?.path ?? '.auditwatch/outbox.jsonl', { fsync: outboxCfg?.fsync ?? true }) : new MemoryStore());
    // The observer needs the Alerting that is built from the outbox it observes.
    const ref: { self?: Alerting } = {};
    const { outbox, report } = await Outbox.open({
      store,
      sinks,
      clock,
      maxAgeMs: outboxCfg?.maxAge,
      retainMs: outboxCfg?.retain,
      random: opts.random,
      observer: deliveryLog(log, (sink, reason) => ref.self?.sinkGone(sink, reason)),
    });
    const self = new Alerting(pipeline, outbox, sinks, routes, report, clock, log, silencesFile, store.description, skipped);
    ref.self = self;
    self.silencesMtime = mtime(silencesFile);
    if (report.recovered > 0) {
      log.log('info', `resuming ${report.recovered} undelivered notification${report.recovered === 1 ? '' : 's'} from ${store.description}${report.possibleRepeats > 0 ? ` (${report.possibleRepeats} possibly sent already: marked as possible repeats)` : ''}`);
    }
    if (report.skippedLines > 0) log.log('warn', `${report.skippedLines} unreadable line(s) in ${store.description} were skipped`);
    if (report.orphaned > 0) log.log('warn', `${report.orphaned} undelivered notification(s) were for sinks no longer configured and are given up`);
    return self;
  }

  /** One line for startup: where alerts go. */
  describe(): string {
    const names = [...this.sinks.values()].filter((s) => s.name !== CONSOLE_SINK || this.routes.some((r) => r.sinks.includes(CONSOLE_SINK)));
    const hints = [...this.unconfigured].map((s) => (s === 'slack' ? 'SLACK_WEBHOOK_URL' : s === 'pagerduty' ? 'PAGERDUTY_ROUTING_KEY' : s));
    const hint = hints.length > 0 ? ` (set ${hints.join(' / ')} to send to ${[...this.unconfigured].join(' / ')})` : '';
    return `alerts to ${names.map((s) => (s.name === s.kind ? s.name : `${s.name} (${s.kind})`)).join(', ')}${hint}; outbox ${this.storeDescription}`;
  }

  /** Takes one batch of transitions; returns once their notifications are durable, never waits for delivery. */
  async accept(ts: readonly Transition[]): Promise<PipelineOutput> {
    if (this.failure !== undefined) throw this.failure;
    const now = this.clock.now();
    this.reloadSilences(now);
    const out = this.pipeline.ingest(ts, now);
    for (const m of out.muted) {
      // Once per detector: a routing gap must be visible, not flood the log.
      if (m.reason === 'unrouted' && !this.unroutedReported.has(m.transition.detector)) {
        this.unroutedReported.add(m.transition.detector);
        this.log.log('warn', `no route matches detector ${m.transition.detector} (severity ${m.transition.severity}): its alerts are not sent (counted as unrouted)`);
      }
    }
    await this.outbox.enqueue(out.routed);
    this.arm();
    return out;
  }

  private reloadSilences(now: number): void {
    if (now - this.silencesCheckedAt < SILENCE_CHECK_MS) return;
    this.silencesCheckedAt = now;
    const m = mtime(this.silencesFile);
    if (m === this.silencesMtime) return;
    this.silencesMtime = m;
    try {
      this.pipeline.setSilences(loadSilences(this.silencesFile));
      this.log.log('info', `silences reloaded from ${this.silencesFile}`);
    } catch (err) {
      this.log.log('error', `silences file not reloaded, keeping the previous silences: ${safeError(err)}`);
    }
  }

  /** Arms the timer for the next group flush. */
  private arm(): void {
    const due = this.pipeline.nextDueAt();
    if (due === undefined || (this.timer !== undefined && this.timerAt <= due)) return;
    this.timer?.cancel();
    this.timerAt = due;
    this.timer = this.clock.at(due, () => {
      this.timer = undefined;
      this.timerAt = Infinity;
      const now = this.clock.now();
      this.reloadSilences(now);
      this.send(this.pipeline.tick(now));
      this.arm();
    });
  }

  private send(routed: readonly Routed[]): void {
    if (routed.length === 0) return;
    this.outbox.enqueue(routed).catch((err: unknown) => {
      this.failure ??= err;
      this.log.log('error', `cannot record notifications: ${safeError(err)}`);
    });
  }

  /** A sink answered 404/410: tell the operator through every other sink, once per sink per hour. */
  private sinkGone(sink: string, reason: string): void {
    const now = this.clock.now();
    const hour = Math.floor(now / 3_600_000);
    if (this.goneReported.has(`${sink}/${hour}`)) return;
    this.goneReported.add(`${sink}/${hour}`);
    const others = [...this.sinks.keys()].filter((s) => s !== sink);
    if (others.length === 0) return;
    const id = `o-${createHash('sha256').update(`gone\u0000${sink}\u0000${hour}`).digest('hex').slice(0, 32)}`;
    this.send([
      {
        notification: {
          id,
          orderKey: `o-${sink}`,
          createdAt: now,
          severity: 'critical',
          body: { type: 'operator', title: `alerts cannot reach sink "${sink}"`, detail: `The receiver says the endpoint is gone (${reason}). Alerts routed to "${sink}" are being dropped until its configuration is fixed.` },
        },
        sinks: others,
      },
    ]);
  }

  /**
   * The end of a file input: flush every group now (no point waiting for groupWait), then wait
   * for the outbox to empty, at most `drainTimeoutMs`.
   */
  async finish(drainTimeoutMs: number): Promise<FinishReport> {
    this.timer?.cancel();
    this.timer = undefined;
    if (this.failure !== undefined) throw this.failure;
    await this.outbox.enqueue(this.pipeline.flushAll(this.clock.now()));
    const pending = await this.outbox.drain(drainTimeoutMs);
    let dropped = 0;
    let gaveUp = 0;
    for (const s of this.outbox.stats().values()) {
      dropped += s.dropped;
      gaveUp += s.gaveUp;
    }
    return { pending, dropped, gaveUp };
  }

  async close(): Promise<void> {
    this.timer?.cancel();
    await this.outbox.close();
  }
}

function mtime(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
