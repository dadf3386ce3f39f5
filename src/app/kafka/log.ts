// The runtime's log: one line per message on stderr (stdout carries alerts). Structurally the
// same interface as app/delivery-log.ts's Logger, so one logger can serve both halves.
import type { Writable } from 'node:stream';

export type KafkaLogLevel = 'info' | 'warn' | 'error';

export interface KafkaLog {
  log(level: KafkaLogLevel, message: string): void;
}

/** Plain lines: `auditwatch kafka: ...`, `auditwatch kafka warn: ...`. */
export function streamLog(out: Writable, scrub: (text: string) => string = (t) => t): KafkaLog {
  return {
    log(level, message) {
      out.write(`auditwatch kafka${level === 'info' ? '' : ` ${level}`}: ${scrub(message)}\n`);
    },
  };
}
