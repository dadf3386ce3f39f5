// Runs the Kafka runtime until SIGTERM/SIGINT (or a failure it cannot recover from), then stops
// it gracefully within 30 seconds. Exit code 0 after a clean stop.
import { KafkaRuntime, type KafkaRuntimeOptions } from './runtime.js';

/** What the runtime takes (as given to KafkaRuntime.start), and how the run ends. */
export interface RunKafkaOptions extends Pick<KafkaRuntimeOptions, 'settings' | 'defs' | 'latenessMs' | 'maxBytes' | 'decode' | 'deliverer' | 'log' | 'readiness' | 'onCheckpoint'> {
  /** Called once the runtime runs (to wire metrics and readiness to it). */
  readonly onStarted?: (rt: KafkaRuntime) => void;
  /** Resolves when the process should stop; default: the first SIGTERM or SIGINT. */
  readonly stopSignal?: Promise<string>;
  /** Rejects when something outside the runtime failed for good (the outbox). */
  readonly failure?: Promise<never>;
  /** Time allowed for the graceful stop (default 30 s). */
  readonly shutdownMs?: number;
}

/** The first SIGTERM or SIGINT; installed before the runtime starts, so none is missed. */
export function signals(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string): void => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      resolve(sig);
    };
    const onTerm = (): void => on('SIGTERM');
    const onInt = (): void => on('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
}

export async function runKafka(o: RunKafkaOptions): Promise<number> {
  const started = Date.now();
  const { log } = o;
  const stop = o.stopSignal ?? signals();
  log.log('info', `starting with ${o.defs.length} detector(s) (${o.defs.map((d) => d.id).join(', ')}) against ${o.settings.brokers.join(',')}`);
  const rt = await KafkaRuntime.start({ settings: o.settings, defs: o.defs, latenessMs: o.latenessMs, maxBytes: o.maxBytes, decode: o.decode, deliverer: o.deliverer, log, readiness: o.readiness, onCheckpoint: o.onCheckpoint });
  o.onStarted?.(rt);
  const failed = (err: unknown): string => `failed: ${err instanceof Error ? err.message : String(err)}`;
  const why = await Promise.race([stop.then((sig) => `${sig} received`), rt.failed.catch(failed), ...(o.failure === undefined ? [] : [o.failure.catch(failed)])]);
  const broken = why.startsWith('failed');
  log.log(broken ? 'error' : 'info', `${why}; stopping (checkpoint, commit, leave the group)`);
  const clean = await rt.stop(Date.now() + (o.shutdownMs ?? 30_000));
  const c = rt.counters;
  log.log(
    'info',
    `stopped after ${((Date.now() - started) / 1000).toFixed(1)} s: ${c.records} records, ${c.accepted} accepted, ${c.late} late, ${c.rejected} rejected (${c.deadLettered} dead-lettered), ${c.duplicates} duplicate copies dropped, ${c.notifications} notifications (${c.suppressed} already delivered), ${c.checkpoints} checkpoints${clean ? '' : '; the stop was NOT clean: records since the last checkpoint will be replayed'}`,
  );
  return broken || !clean ? 1 : 0;
}
