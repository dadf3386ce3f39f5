// Retries for provisioning calls. A call is retried only when its error says so (429, 5xx, a
// connection failure); a 429 waits for the time the vendor asked for. `beforeRetry` runs before
// every new attempt: a create uses it to list again, so a create that failed on the wire but
// succeeded on the server is found instead of being made twice.
import { isAuditwatchError } from '../errors.js';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Injected so tests run without waiting; production passes a timer. */
  readonly sleep: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 60_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export function retryDelay(err: unknown, attempt: number, policy: RetryPolicy): number {
  const asked = isAuditwatchError(err) ? err.context.retryAfterMs : undefined;
  if (typeof asked === 'number' && asked >= 0) return Math.min(asked, policy.maxDelayMs);
  return Math.min(policy.baseDelayMs * 2 ** (attempt - 1), policy.maxDelayMs);
}

export async function withRetry<T>(op: () => Promise<T>, policy: RetryPolicy, beforeRetry?: () => Promise<T | undefined>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      if (!isAuditwatchError(err) || !err.retriable || attempt >= policy.attempts) throw err;
      await policy.sleep(retryDelay(err, attempt, policy));
      if (beforeRetry !== undefined) {
        const found = await beforeRetry();
        if (found !== undefined) return found;
      }
    }
  }
}
