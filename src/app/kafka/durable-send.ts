// Sends to a topic until they succeed: a broker outage is waited out with backoff (reported on
// readiness and in the log), an error retrying cannot fix (authorization, a record too large)
// stops the runtime. Callers rely on "resolved = durable".
import { isAuditwatchError } from '../../errors.js';
import type { LogWriter, OutRecord } from '../../sources/source.js';
import type { KafkaLog } from './log.js';
import type { Readiness } from './readiness.js';

export class StopError extends Error {
  constructor() {
    super('stopping');
    this.name = 'StopError';
  }
}

const MAX_BACKOFF_MS = 15_000;

export class DurableSender {
  private stopped = false;
  private fatal: unknown;
  /** Bytes of values and records written (metrics). */
  bytesWritten = 0;
  recordsWritten = 0;

  constructor(
    private readonly writer: LogWriter,
    private readonly log: KafkaLog,
    private readonly readiness: Readiness,
    /** Readiness component name, e.g. "producer". */
    private readonly component: string,
  ) {}

  async send(topic: string, records: readonly OutRecord[]): Promise<ReadonlyMap<number, number>> {
    if (records.length === 0) return new Map();
    for (let attempt = 1; ; attempt++) {
      if (this.fatal !== undefined) throw this.fatal;
      if (this.stopped) throw new StopError();
      try {
        const offsets = await this.writer.send(topic, records);
        for (const r of records) this.bytesWritten += r.value === null ? 0 : r.value.length;
        this.recordsWritten += records.length;
        if (attempt > 1) this.log.log('info', `${topic}: written after ${attempt - 1} failed attempt(s)`);
        this.readiness.set(this.component, true, 'writing');
        return offsets;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (isAuditwatchError(err) && !err.retriable) {
          this.fatal = err;
          this.readiness.set(this.component, false, message);
          throw err;
        }
        const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(attempt, 8));
        this.readiness.set(this.component, false, `cannot write to ${topic}: ${message}`);
        this.log.log('warn', `${topic}: write failed (attempt ${attempt}), retrying in ${delay} ms: ${message}`);
        await this.pause(delay);
      }
    }
  }

  /** Stops retrying: pending and later sends fail with StopError. */
  stop(): void {
    this.stopped = true;
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const until = Date.now() + ms;
      // Checks the stop flag now and then, so a shutdown does not wait out a long backoff.
      const tick = (): void => {
        if (this.stopped || Date.now() >= until) resolve();
        else setTimeout(tick, Math.min(100, until - Date.now()));
      };
      setTimeout(tick, Math.min(100, ms));
    });
  }
}

/** Splits records into sends of at most `maxBytes` of values each (order kept). */
export function splitBySize(records: readonly OutRecord[], maxBytes: number): OutRecord[][] {
  const out: OutRecord[][] = [];
  let cur: OutRecord[] = [];
  let size = 0;
  for (const r of records) {
    const n = (r.value?.length ?? 0) + 64;
    if (cur.length > 0 && size + n > maxBytes) {
      out.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(r);
    size += n;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
