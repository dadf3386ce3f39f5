import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics } from '../../src/ops/metrics.js';
import { nodeCronFactory, Scheduler, type CronFactory, type JobLog } from '../../src/ops/schedule.js';

interface Line {
  level: string;
  obj: object;
  msg: string;
}
function memoryLog(): JobLog & { lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, obj, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Timers that never fire by themselves: `fire(name)` is a cron tick. */
function manualTimers(): CronFactory & { fire(name: string): void; armed: Map<string, string>; stopped: string[] } {
  const fires = new Map<string, () => void>();
  const armed = new Map<string, string>();
  const stopped: string[] = [];
  const f: CronFactory = (expression, fire, options) => {
    fires.set(options.name, fire);
    armed.set(options.name, expression);
    return { stop: () => void stopped.push(options.name) };
  };
  return Object.assign(f, { fire: (name: string) => fires.get(name)?.(), armed, stopped });
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function metricLine(m: Metrics, re: RegExp): Promise<string | undefined> {
  return (await m.render()).split('\n').find((l) => re.test(l));
}

describe('scheduler', () => {
  it('never overlaps a job with itself: a tick during a run is skipped and counted', async () => {
    const log = memoryLog();
    const metrics = new Metrics({ processMetrics: false });
    const s = new Scheduler({ isLeader: () => true, log, metrics, now: () => 1_000 });
    const gate = deferred();
    let runs = 0;
    const job = s.add({
      name: 'slow',
      cron: '* * * * *',
      run: async () => {
        runs++;
        await gate.promise;
        return 'done';
      },
    });
    const first = job.tick();
    assert.equal(job.busy, true);
    assert.deepEqual(await job.tick(), { outcome: 'skipped_overlap' });
    gate.resolve();
    assert.equal((await first).outcome, 'ok');
    assert.equal(runs, 1);
    assert.equal((await job.tick()).outcome, 'ok');
    assert.equal(runs, 2);
    assert.match((await metricLine(metrics, /job_runs_total\{job="slow",outcome="skipped_overlap"\}/)) ?? '', / 1$/);
    assert.match((await metricLine(metrics, /job_runs_total\{job="slow",outcome="ok"\}/)) ?? '', / 2$/);
    assert.ok(log.lines.some((l) => l.level === 'warn' && /still going/.test(l.msg)));
    assert.ok(log.lines.some((l) => l.level === 'info' && l.msg === 'job slow: done'));
  });

  it('runs only on the leader unless the job is about every instance', async () => {
    let leader = false;
    const metrics = new Metrics({ processMetrics: false });
    const s = new Scheduler({ isLeader: () => leader, log: memoryLog(), metrics });
    let runs = 0;
    const onLeader = s.add({ name: 'digest', cron: '0 8 * * *', run: () => void runs++ });
    const everywhere = s.add({ name: 'local', cron: '* * * * *', everyInstance: true, run: () => void runs++ });
    assert.equal((await onLeader.tick()).outcome, 'skipped_not_leader');
    assert.equal((await everywhere.tick()).outcome, 'ok');
    leader = true;
    assert.equal((await onLeader.tick()).outcome, 'ok');
    assert.equal(runs, 2);
    assert.match((await metricLine(metrics, /job="digest",outcome="skipped_not_leader"/)) ?? '', / 1$/);
  });

  it('treats a failing leadership check as "not the leader"', async () => {
    const log = memoryLog();
    const s = new Scheduler({
      isLeader: () => {
        throw new Error('no assignment yet');
      },
      log,
    });
    assert.equal((await s.add({ name: 'j', cron: '* * * * *', run: () => undefined }).tick()).outcome, 'skipped_not_leader');
    assert.ok(log.lines.some((l) => /cannot tell whether this instance leads/.test(l.msg)));
  });

  it('logs and counts a failure, and the next tick runs again', async () => {
    const log = memoryLog();
    const metrics = new Metrics({ processMetrics: false });
    const s = new Scheduler({ isLeader: () => true, log, metrics });
    let fail = true;
    const job = s.add({
      name: 'drift',
      cron: '0 * * * *',
      run: () => {
        if (fail) throw new Error('POST https://api.example.test/v1/monitor?api_key=abc failed');
        return 'no drift';
      },
    });
    const r = await job.tick();
    assert.equal(r.outcome, 'failed');
    assert.ok(!String(r.error).includes('api_key=abc'), 'URLs in errors are redacted');
    assert.ok(log.lines.some((l) => l.level === 'error' && /job drift failed/.test(l.msg)));
    fail = false;
    assert.equal((await job.tick()).outcome, 'ok');
    assert.match((await metricLine(metrics, /job="drift",outcome="failed"/)) ?? '', / 1$/);
  });

  it('arms one cron timer per job on start, ticks through it, stops them and waits for a run in progress', async () => {
    const timers = manualTimers();
    const s = new Scheduler({ isLeader: () => true, log: memoryLog(), timers });
    const gate = deferred();
    let runs = 0;
    s.add({
      name: 'a',
      cron: '*/30 * * * * *',
      run: async () => {
        runs++;
        await gate.promise;
      },
    });
    assert.equal(timers.armed.size, 0, 'nothing armed before start');
    s.start();
    assert.equal(timers.armed.get('a'), '*/30 * * * * *');
    s.add({ name: 'b', cron: '0 8 * * *', timezone: 'UTC', run: () => undefined });
    assert.equal(timers.armed.get('b'), '0 8 * * *', 'a job added after start is armed at once');
    timers.fire('a');
    timers.fire('a');
    assert.equal(runs, 1);
    let stopped = false;
    const stopping = s.stop(60_000).then((clean) => {
      stopped = true;
      return clean;
    });
    assert.deepEqual(timers.stopped.sort(), ['a', 'b']);
    await Promise.resolve();
    assert.equal(stopped, false, 'stop waits for the run in progress');
    gate.resolve();
    assert.equal(await stopping, true);
  });

  it('refuses an invalid cron expression and a duplicate name', () => {
    const s = new Scheduler({ isLeader: () => true, log: memoryLog() });
    assert.throws(() => s.add({ name: 'x', cron: 'every minute', run: () => undefined }), /not a cron expression/);
    s.add({ name: 'y', cron: '* * * * *', run: () => undefined });
    assert.throws(() => s.add({ name: 'y', cron: '* * * * *', run: () => undefined }), /twice/);
  });

  it('drives node-cron: the real factory creates a task that can be stopped', () => {
    let fired = 0;
    const t = nodeCronFactory('0 0 1 1 *', () => void fired++, { name: `t-${process.pid}` });
    t.stop();
    assert.equal(fired, 0);
  });
});
