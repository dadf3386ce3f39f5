// `auditwatch run` on Kafka, wired from auditwatch.yaml and the environment: Kafka when the
// config has a `kafka` section or AUDITWATCH_KAFKA_BROKERS is set. The same operations as in file
// mode (logs, metrics, /readyz following the runtime's readiness, scheduled jobs on the
// instance that owns detection partition 0: the dead-man's switch, the digest, the provisioning
// drift check) and the same delivery (alert pipeline, outbox, sinks), unless kafka.output is jsonl.
// The dead-man's switch counts arrivals topic-wide (the input topics' end offsets), since the
// leader only processes its own partitions.
import type { Writable } from 'node:stream';
import { loadDetectors } from '../../config/detectors.js';
import { loadRuntimeConfig, type RuntimeConfig } from '../../config/runtime.js';
import { kafkaConfigured, resolveKafkaSettings } from '../../config/sections/kafka.js';
import type { CronFactory } from '../../ops/schedule.js';
import { Alerting } from '../alerting.js';
import { scheduleDriftJob } from '../drift-job.js';
import { inputDecoder, type InputFlags } from '../input.js';
import { Ops, type OpsFlags } from '../ops-wiring.js';
import { configDir } from '../paths.js';
import { AlertingDeliverer } from './alerting-deliverer.js';
import { JsonLinesDeliverer, type Deliverer } from './deliver.js';
import { Readiness } from './readiness.js';
import { runKafka, signals } from './run-kafka.js';
import type { KafkaRuntime } from './runtime.js';

/** The runtime config when Kafka is configured, else undefined (run reads a file). */
export function kafkaRuntimeConfig(configFile: string | undefined, env: NodeJS.ProcessEnv): RuntimeConfig | undefined {
  const { config } = loadRuntimeConfig(configFile, env);
  return kafkaConfigured(config.kafka, env) ? config : undefined;
}

export interface KafkaRunFromConfig {
  readonly config: RuntimeConfig;
  readonly env: NodeJS.ProcessEnv;
  /** --detectors, which wins over the config's `detectors`. */
  readonly detectorsDir?: string;
  readonly inputFlags?: Omit<InputFlags, 'maxBytes'>;
  readonly ops?: OpsFlags;
  readonly color?: boolean;
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Cron timers of the scheduled jobs (tests fire them by hand); default node-cron. */
  readonly timers?: CronFactory;
  /** Resolves when it should stop; default: the first SIGTERM or SIGINT. */
  readonly stopSignal?: Promise<string>;
  /** Called once the runtime runs (tests). */
  readonly onStarted?: (rt: KafkaRuntime, ops: Ops) => void;
}

/** The input source name in metrics and in the dead-man's switch. */
export const KAFKA_SOURCE = 'kafka';

/**
 * What operations watch of a running runtime: the input counters (metrics), topic-wide arrivals
 * for the dead-man's switch (the sum of the input topics' end offsets: the leader that runs it
 * sees only its own partitions' records), and per-partition lag and watermark delay.
 */
export function watchKafka(ops: Ops, rt: KafkaRuntime, latenessMs: number): void {
  ops.watchIngest(KAFKA_SOURCE, () => {
    const c = rt.counters;
    return { read: c.input, accepted: c.accepted, late: c.late, rejectedByReason: c.rejectedByReason, deadLettered: c.deadLettered };
  });
  ops.watchArrivals(KAFKA_SOURCE, () => rt.topicArrivals());
  // Per-partition gauges, refreshed before each scrape; a partition gone elsewhere stops exporting.
  let exported = new Set<number>();
  ops.metrics.onScrape(() => {
    const now = Date.now();
    const current = new Set<number>();
    for (const p of rt.status().partitions) {
      current.add(p.partition);
      if (p.lag !== undefined) ops.metrics.partitionLag(p.partition, p.lag);
      if (p.streamTime !== undefined) ops.metrics.watermarkDelay(p.partition, Math.max(0, (now - (p.streamTime - latenessMs)) / 1000));
    }
    for (const p of exported) if (!current.has(p)) ops.metrics.partitionRevoked(p);
    exported = current;
  });
}

export async function runKafkaFromConfig(o: KafkaRunFromConfig): Promise<number> {
  const stop = o.stopSignal ?? signals();
  const settings = resolveKafkaSettings(o.config.kafka, o.env);
  const defs = loadDetectors(o.detectorsDir ?? configDir(o.config.detectors, 'detectors'));
  const maxBytes = o.config.input.maxBytes;
  const decoder = inputDecoder({ ...o.inputFlags, maxBytes }, o.config.input);
  const runtime: { rt?: KafkaRuntime } = {};
  const ops = await Ops.start({
    config: o.config,
    env: o.env,
    stderr: o.stderr,
    flags: o.ops,
    lifetime: 'stream',
    detectors: defs.map((d) => d.id),
    color: o.color,
    ...(o.timers === undefined ? {} : { timers: o.timers }),
    // Fleet-wide jobs (the dead-man's switch, the digest, the drift check) run on the instance that owns detection partition 0.
    isLeader: () => runtime.rt?.status().partitions.some((p) => p.partition === 0) ?? false,
  });
  let alerting: Alerting | undefined;
  try {
    const readiness = new Readiness();
    ops.setReadiness(readiness);
    let fail: (err: unknown) => void = () => undefined;
    const failure = new Promise<never>((_, reject) => (fail = reject));
    failure.catch(() => undefined);
    let deliverer: Deliverer;
    if (settings.output === 'jsonl') {
      deliverer = new JsonLinesDeliverer((text) => void o.stdout.write(text), (ts) => ops.transitions(ts));
    } else {
      alerting = await Alerting.start({ config: o.config, env: o.env, defs, stdout: o.stdout, stderr: o.stderr, color: o.color ?? false, log: ops.lineLog('delivery') });
      ops.attachAlerting(alerting);
      deliverer = new AlertingDeliverer(alerting, (ts) => ops.transitions(ts), fail);
    }
    // Provisioning drift check, when auditwatch.yaml has a provision section (leader only, like
    // every scheduled job; with kafka.output jsonl its changes are only logged).
    scheduleDriftJob(ops, alerting, o.config, o.env);
    return await runKafka({
      settings,
      defs,
      latenessMs: o.config.input.lateness,
      maxBytes,
      decode: (text) => decoder.decode(text),
      deliverer,
      log: ops.lineLog('kafka'),
      readiness,
      stopSignal: stop,
      failure,
      onCheckpoint: (_p, ms, bytes) => ops.metrics.checkpoint(ms, bytes),
      onStarted: (rt) => {
        runtime.rt = rt;
        watchKafka(ops, rt, o.config.input.lateness);
        o.onStarted?.(rt, ops);
      },
    });
  } finally {
    await alerting?.close();
    await ops.stop();
  }
}
