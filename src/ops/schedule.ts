// Scheduled jobs on node-cron, with the three rules a fleet of instances needs:
//   1. a job never overlaps itself: a tick that comes while the previous run is still going is
//      skipped (and counted), not queued;
//   2. a job runs on one instance only: each tick asks `isLeader()` (with Kafka, "this instance
//      owns partition 0 of the detection topic"; on a file, always true) and skips otherwise;
//      jobs that are about this instance itself (the dead-man switch over its own input) say
//      `everyInstance: true`;
//   3. every outcome is logged and counted (`auditwatch_job_runs_total{job,outcome}`).
// The cron timer is injected: tests call `tick()` instead of waiting for the wall clock.
import cron from 'node-cron';
import { describeError } from '../text/secret.js';
import type { JobOutcome, Metrics } from './metrics.js';

export interface JobContext {
  readonly name: string;
  /** Wall-clock time of the tick, epoch ms. */
  readonly now: number;
}

export interface JobSpec {
  readonly name: string;
  /** node-cron expression: 5 fields, or 6 with seconds first. */
  readonly cron: string;
  readonly timezone?: string;
  /** Run on every instance instead of the leader only. */
  readonly everyInstance?: boolean;
  /** Returns a one-line summary for the log, if there is something to say. */
  run(ctx: JobContext): Promise<string | void> | string | void;
}

export interface TickResult {
  readonly outcome: JobOutcome;
  readonly durationMs?: number;
  readonly summary?: string;
  readonly error?: string;
}

/** The part of pino's logger the scheduler uses. */
export interface JobLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** A started timer that calls `fire` on its schedule. */
export interface CronTimer {
  stop(): void;
}
export type CronFactory = (expression: string, fire: () => void, options: { name: string; timezone?: string }) => CronTimer;

/** node-cron: one task per job; its own overlap option is left off, the job guards itself. */
export const nodeCronFactory: CronFactory = (expression, fire, options) => {
  const task = cron.createTask(expression, () => fire(), { name: options.name, ...(options.timezone === undefined ? {} : { timezone: options.timezone }) });
  void task.start();
  return { stop: () => void task.destroy() };
};

export interface SchedulerOptions {
  readonly isLeader: () => boolean;
  readonly log: JobLog;
  readonly metrics?: Metrics;
  readonly now?: () => number;
  readonly timers?: CronFactory;
}

export class Job {
  private running: Promise<TickResult> | undefined;

  constructor(
    readonly spec: JobSpec,
    private readonly o: SchedulerOptions,
  ) {}

  get busy(): boolean {
    return this.running !== undefined;
  }

  /** One tick of the schedule; resolves when the run (if any) is over. */
  tick(): Promise<TickResult> {
    const { spec, o } = this;
    const now = (o.now ?? Date.now)();
    if (this.running !== undefined) {
      o.metrics?.jobRun(spec.name, 'skipped_overlap');
      o.log.warn({ job: spec.name }, `job ${spec.name}: previous run still going, this tick is skipped`);
      return Promise.resolve({ outcome: 'skipped_overlap' });
    }
    let leader: boolean;
    try {
      leader = spec.everyInstance === true || o.isLeader();
    } catch (err) {
      leader = false;
      o.log.warn({ job: spec.name }, `job ${spec.name}: cannot tell whether this instance leads (${describeError(err)}); skipped`);
    }
    if (!leader) {
      o.metrics?.jobRun(spec.name, 'skipped_not_leader');
      o.log.debug({ job: spec.name }, `job ${spec.name}: another instance runs it`);
      return Promise.resolve({ outcome: 'skipped_not_leader' });
    }
    const run = this.execute(now).finally(() => {
      this.running = undefined;
    });
    this.running = run;
    return run;
  }

  private async execute(now: number): Promise<TickResult> {
    const { spec, o } = this;
    const clock = o.now ?? Date.now;
    const started = clock();
    try {
      const summary = (await spec.run({ name: spec.name, now })) ?? undefined;
      const durationMs = clock() - started;
      o.metrics?.jobRun(spec.name, 'ok', durationMs);
      if (summary !== undefined && summary !== '') o.log.info({ job: spec.name, durationMs }, `job ${spec.name}: ${summary}`);
      else o.log.debug({ job: spec.name, durationMs }, `job ${spec.name}: done`);
      return { outcome: 'ok', durationMs, ...(summary === undefined ? {} : { summary }) };
    } catch (err) {
      const durationMs = clock() - started;
      const error = describeError(err);
      o.metrics?.jobRun(spec.name, 'failed', durationMs);
      o.log.error({ job: spec.name, durationMs }, `job ${spec.name} failed: ${error}`);
      return { outcome: 'failed', durationMs, error };
    }
  }

  /** The run in progress, if any (for a graceful stop). */
  settled(): Promise<unknown> {
    return this.running ?? Promise.resolve();
  }
}

export class Scheduler {
  private readonly jobs = new Map<string, Job>();
  private readonly timers: CronTimer[] = [];
  private started = false;

  constructor(private readonly o: SchedulerOptions) {}

  add(spec: JobSpec): Job {
    if (this.jobs.has(spec.name)) throw new Error(`job ${spec.name} is scheduled twice`);
    if (!cron.validate(spec.cron)) throw new Error(`job ${spec.name}: "${spec.cron}" is not a cron expression`);
    const job = new Job(spec, this.o);
    this.jobs.set(spec.name, job);
    this.o.metrics?.declare({ jobs: [spec.name] });
    if (this.started) this.arm(job);
    return job;
  }

  job(name: string): Job | undefined {
    return this.jobs.get(name);
  }

  get names(): string[] {
    return [...this.jobs.keys()];
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const job of this.jobs.values()) this.arm(job);
  }

  private arm(job: Job): void {
    const factory = this.o.timers ?? nodeCronFactory;
    this.timers.push(factory(job.spec.cron, () => void job.tick(), { name: job.spec.name, ...(job.spec.timezone === undefined ? {} : { timezone: job.spec.timezone }) }));
  }

  /** No new ticks; waits for runs in progress, at most `timeoutMs`. Resolves false if one was still going. */
  async stop(timeoutMs = 10_000): Promise<boolean> {
    for (const t of this.timers.splice(0)) t.stop();
    this.started = false;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const done = Promise.all([...this.jobs.values()].map((j) => j.settled().catch(() => undefined))).then(() => true);
    try {
      return await Promise.race([done, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}
