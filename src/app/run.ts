import type { Writable } from 'node:stream';
import { loadDetectors } from '../config/detectors.js';
import { loadRuntimeConfig } from '../config/runtime.js';
import { Engine } from '../engine/engine.js';
import { DEFAULT_MAX_BYTES } from '../events/parse.js';
import type { Clock } from '../outbox/clock.js';
import { Alerting } from './alerting.js';
import { formatDeliverySummary } from './delivery-summary.js';
import { formatSummary, ingestFile, IngestCounters } from './ingest.js';
import { inputDecoder, type InputFlags } from './input.js';
import { Ops, type OpsFlags } from './ops-wiring.js';
import { scheduleDriftJob } from './drift-job.js';

export interface RunOptions {
  readonly input: string;
  readonly detectorsDir: string;
  readonly latenessMs: number;
  readonly maxBytes?: number;
  readonly color: boolean;
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Environment for auditwatch.yaml lookup and sink secrets (default: process.env). */
  readonly env?: NodeJS.ProcessEnv;
  readonly clock?: Clock;
  /** --format, --caller, --caller-field; input.format and input.formats of auditwatch.yaml otherwise. */
  readonly inputFlags?: Omit<InputFlags, 'maxBytes'>;
  /** --log-format, --health-port: win over the ops section of auditwatch.yaml. */
  readonly ops?: OpsFlags;
}

/**
 * `auditwatch run` on a file or stdin: detection end to end. Transitions go through the alert
 * pipeline and the outbox to the configured sinks (the console when none is); at the end of the
 * input, groups are flushed and the outbox drained (bounded by alerting.outbox.drainTimeout).
 */
export async function runFile(opts: RunOptions): Promise<number> {
  const env = opts.env ?? process.env;
  const { config } = loadRuntimeConfig(undefined, env);
  const defs = loadDetectors(opts.detectorsDir);
  const decoder = inputDecoder({ ...opts.inputFlags, maxBytes: opts.maxBytes ?? DEFAULT_MAX_BYTES }, config.input);
  const engine = new Engine(defs, { latenessMs: opts.latenessMs });
  // Logs, metrics, health endpoints, scheduled jobs (dead-man's switch, digest): src/app/ops-wiring.ts.
  const ops = await Ops.start({ config, env, stderr: opts.stderr, flags: opts.ops, lifetime: opts.input === '-' ? 'stream' : 'file', detectors: defs.map((d) => d.id), color: opts.color });
  const alerting = await Alerting.start({ config, env, defs, stdout: opts.stdout, stderr: opts.stderr, color: opts.color, clock: opts.clock, log: ops.lineLog('delivery') }).catch(async (err: unknown) => {
    await ops.stop();
    throw err;
  });
  ops.attachAlerting(alerting);
  // Provisioning drift check on the scheduler, when auditwatch.yaml has a provision section.
  scheduleDriftJob(ops, alerting, config, env);
  const ingest = new IngestCounters();
  ops.watchIngest(opts.input === '-' ? 'stdin' : 'file', () => ingest);
  ops.ready(`reading ${opts.input === '-' ? 'standard input' : 'a file'}`);
  try {
    opts.stderr.write(`auditwatch run: reading ${opts.input === '-' ? 'standard input' : opts.input} with ${defs.length} detectors (${defs.map((d) => d.id).join(', ')}); ${alerting.describe()}\n`);
    const counters = await ingestFile(engine, {
      input: opts.input,
      maxBytes: opts.maxBytes ?? DEFAULT_MAX_BYTES,
      decode: decoder.decode,
      onTransitions: async (ts) => {
        ops.transitions(ts);
        await alerting.accept(ts);
      },
    }, ingest);
    const finished = await alerting.finish(config.alerting?.outbox.drainTimeout ?? 60_000);
    opts.stderr.write(formatSummary('\nrun', counters, defs.map((d) => d.id)));
    let active = 0;
    for (const s of engine.stats().values()) active += s.active;
    opts.stderr.write(`${active} alert${active === 1 ? '' : 's'} still active at the end of the input (nothing is flushed)\n`);
    opts.stderr.write(formatDeliverySummary(alerting, finished));
    return finished.pending > 0 || finished.dropped > 0 || finished.gaveUp > 0 ? 1 : 0;
  } finally {
    await alerting.close();
    await ops.stop();
  }
}
