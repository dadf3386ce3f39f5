// What a sink says about one delivery attempt. A sink never retries by itself: the outbox owns
// retries, backoff, Retry-After and rate limits (Alertmanager's notifier / RetryStage split).

export type Verdict =
  | { readonly kind: 'ok' }
  | {
      readonly kind: 'retry';
      readonly reason: string;
      /** The receiver asked for this pause (Retry-After on a 429). */
      readonly retryAfterMs?: number;
      /** The receiver may have acted on the request (timeout, reset after sending): a resend is a possible repeat. */
      readonly uncertain?: boolean;
    }
  | {
      readonly kind: 'drop';
      readonly reason: string;
      /** The endpoint no longer exists (404/410): the operator is told through the other sinks. */
      readonly gone?: boolean;
    };

export const OK: Verdict = Object.freeze({ kind: 'ok' });

export function retry(reason: string, extra: { retryAfterMs?: number; uncertain?: boolean } = {}): Verdict {
  return { kind: 'retry', reason, ...extra };
}

export function drop(reason: string, gone = false): Verdict {
  return gone ? { kind: 'drop', reason, gone } : { kind: 'drop', reason };
}
