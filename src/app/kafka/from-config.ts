// `auditwatch run` on Kafka, wired from auditwatch.yaml and the environment: Kafka when the
// config has a `kafka` section or AUDITWATCH_KAFKA_BROKERS is set. The same operations as in file
// mode (logs, metrics, /readyz following the runtime's readiness, scheduled jobs on the
// instance that owns detection partition 0) and the same delivery (alert pipeline, outbox,
// sinks), unless kafka.output is jsonl.
import type { Writable } from 'node:stream';
import { loadDetectors } from '../../config/detectors.js';
import { loadRuntimeConfig, type RuntimeConfig } from '../../config/runtime.js';
import { kafkaConfigured, resolveKafkaSettings } from '../../config/sections/kafka.js';
import { Alerting } from '../alerting.js';
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
}

export async function runKafkaFromConfig(o: KafkaRunFromConfig): Promise<number> {
  const stop = signals();
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
    // Fleet-wide jobs (the digest) run on the instance that owns detection partition 0.
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
        ops.watchIngest('kafka', () => {
          const c = rt.counters;
          return { read: c.input, accepted: c.accepted, late: c.late, rejectedByReason: c.rejectedByReason, deadLettered: c.deadLettered };
        });
        // Per-partition gauges, refreshed before each scrape; a partition gone elsewhere stops exporting.
        let exported = new Set<number>();
        ops.metrics.onScrape(() => {
          const now = Date.now();
          const current = new Set<number>();
          for (const p of rt.status().partitions) {
            current.add(p.partition);
            if (p.lag !== undefined) ops.metrics.partitionLag(p.partition, p.lag);
            if (p.streamTime !== undefined) ops.metrics.watermarkDelay(p.partition, Math.max(0, (now - (p.streamTime - o.config.input.lateness)) / 1000));
          }
          for (const p of exported) if (!current.has(p)) ops.metrics.partitionRevoked(p);
          exported = current;
        });
      },
    });
  } finally {
    await alerting?.close();
    await ops.stop();
  }
}
