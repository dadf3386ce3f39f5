// A manual clock for delivery tests: timers fire only when the test advances time, so a
// 10-minute outage or a 24-hour give-up runs in milliseconds and never depends on sleeping.
import type { Clock, TimerHandle } from '../../src/outbox/clock.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  live: boolean;
}

export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(start = Date.UTC(2026, 2, 5, 9, 0, 0)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  at(at: number, fn: () => void): TimerHandle {
    const timer: Timer = { at, seq: this.seq++, fn, live: true };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.live = false;
      },
    };
  }

  /** When the next live timer is due, if any. */
  nextAt(): number | undefined {
    let next: number | undefined;
    for (const t of this.timers) if (t.live && (next === undefined || t.at < next)) next = t.at;
    return next;
  }

  /** Moves time forward by `ms`, firing every timer due on the way, in time order. */
  advance(ms: number): void {
    this.advanceTo(this.t + ms);
  }

  advanceTo(target: number): void {
    for (;;) {
      this.timers = this.timers.filter((t) => t.live);
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.t = Math.max(this.t, due.at);
      due.live = false;
      due.fn();
    }
    this.t = Math.max(this.t, target);
  }
}

/**
 * Steps the clock from timer to timer (waiting for the outbox to go idle after each), until
 * `done()` holds or `limitMs` of fake time has passed. Throws at the limit with `describe()`.
 */
export async function runUntil(
  clock: FakeClock,
  idle: () => Promise<void>,
  done: () => boolean,
  limitMs: number,
  describe: () => string = () => '',
): Promise<void> {
  const end = clock.now() + limitMs;
  for (;;) {
    await idle();
    if (done()) return;
    const next = clock.nextAt();
    if (next === undefined || next > end) throw new Error(`condition not reached within ${limitMs} ms of fake time; ${describe()}`);
    clock.advanceTo(next);
  }
}
