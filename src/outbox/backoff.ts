// Retry pacing. Backoff is per sink, not per notification: when a receiver is down, the outbox
// probes it with one request at growing intervals instead of retrying every queued message.

export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
}

/** 1 s, 2 s, 4 s … capped at 1 minute: a sink back after an outage is noticed within a minute. */
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 60_000, factor: 2 };

/**
 * Delay before the next attempt after `failures` consecutive failures (1-based), with "equal
 * jitter": half fixed, half random, so many auditwatch instances do not retry in lockstep.
 */
export function backoffDelay(failures: number, policy: BackoffPolicy, random: () => number): number {
  const exp = Math.min(policy.maxMs, policy.initialMs * Math.pow(policy.factor, Math.max(0, failures - 1)));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** A token bucket: `perSecond` sustained, `burst` back to back. Time is passed in. */
export class TokenBucket {
  private tokens: number;
  private last: number | undefined;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  private refill(now: number): void {
    if (this.last !== undefined && now > this.last) this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = this.last === undefined ? now : Math.max(this.last, now);
  }

  /** Takes a token and returns 0, or returns the ms to wait until one is available. */
  take(now: number): number {
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - this.tokens) / this.perSecond) * 1000));
  }

  /** Gives a token back (it was taken for a notification that was then not sent). */
  refund(): void {
    this.tokens = Math.min(this.burst, this.tokens + 1);
  }

  /** Empties the bucket (the receiver said 429: what we thought we had, we did not). */
  drain(now: number): void {
    this.refill(now);
    this.tokens = Math.min(this.tokens, 0);
  }
}
