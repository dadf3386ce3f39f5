// Log lines about delivery, on stderr. Every line goes through the secret screen and URL
// redaction: reasons come from receivers and from network errors, and must never carry a
// webhook URL, a routing key or a credential taken from an event.
import type { Writable } from 'node:stream';
import type { DeliveryObserver } from '../outbox/deliver.js';
import { bound } from '../text/bound.js';
import { describeError, redactUrl } from '../text/secret.js';
import { screen } from '../text/secrets.js';

export type LogLevel = 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, message: string): void;
}

/** One line per message, screened, redacted and bounded. */
export function lineLogger(out: Writable): Logger {
  return {
    log(level, message) {
      const safe = bound(screen(redactUrl(message)).text, { max: 2000 });
      out.write(`auditwatch ${level === 'info' ? '' : `${level}: `}${safe}\n`);
    },
  };
}

export function safeError(err: unknown): string {
  return describeError(err);
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/** Delivery events as log lines; `onGone` lets the caller alert through the other sinks. */
export function deliveryLog(log: Logger, onGone: (sink: string, reason: string) => void): DeliveryObserver {
  return {
    retrying(e) {
      log.log('warn', `delivery to ${e.sink} failed (attempt ${e.attempt}): ${e.reason}; next try in ${seconds(e.delayMs)}`);
    },
    dropped(e) {
      log.log('error', `delivery to ${e.sink} refused for good, notification ${e.id} dropped: ${e.reason}${e.gone ? ' — the endpoint is gone, check its configuration' : ''}`);
      if (e.gone) onGone(e.sink, e.reason);
    },
    gaveUp(e) {
      log.log('error', `gave up delivering notification ${e.id} to ${e.sink} after ${seconds(e.ageMs)}: ${e.reason}`);
    },
    reported(sink, count) {
      if (count > 0) log.log('info', `told ${sink} about ${count} earlier undelivered notification${count === 1 ? '' : 's'}`);
    },
    storeFailed(err) {
      log.log('error', `the outbox cannot record deliveries any more, delivery stopped: ${safeError(err)}`);
    },
  };
}
