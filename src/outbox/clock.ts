// Wall-clock time and timers for the delivery loop, injected so that tests drive a 10-minute
// outage or a 24-hour give-up without waiting for it.

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): number;
  /** Calls `fn` once the clock reaches `at` (epoch ms). */
  at(at: number, fn: () => void, options?: { keepAlive?: boolean }): TimerHandle;
}

const MAX_DELAY = 2_147_483_647; // setTimeout's limit; longer waits re-arm

/** The real clock. Timers do not keep the process alive unless asked (a drain deadline does). */
export const systemClock: Clock = {
  now: () => Date.now(),
  at(at, fn, options = {}) {
    let timer: NodeJS.Timeout;
    const arm = (): void => {
      const delay = at - Date.now();
      timer = setTimeout(delay > MAX_DELAY ? arm : fn, Math.min(Math.max(0, delay), MAX_DELAY));
      if (options.keepAlive !== true) timer.unref();
    };
    arm();
    return { cancel: () => clearTimeout(timer) };
  },
};
