// Starts the test services for scripts/test.mjs (plain .mjs, so it cannot import this TypeScript) and
// keeps them up until its stdin closes, its parent process goes away, or it gets SIGTERM/SIGINT/SIGHUP.
//
//   node --import tsx test/services/serve.ts [--kafka=4.1.1|3.9.1] [--elasticsearch[=8.19.7]]
//
// Once everything answers it prints one line on stdout: `AUDITWATCH_SERVICES {"env":{...},...}` where
// env holds the AUDITWATCH_TEST_* variables to hand to the test processes. Progress goes to stderr.
import { startElasticsearch, DEFAULT_ES_VERSION, type ElasticsearchNode } from './elasticsearch.js';
import { ENV_ES_URL, ENV_ES_VERSION, ENV_KAFKA_BROKERS, ENV_KAFKA_VERSION } from './global.js';
import { isKafkaVersion, KAFKA_VERSIONS, startKafka, type KafkaBroker, type KafkaVersion } from './kafka.js';

export const READY_MARKER = 'AUDITWATCH_SERVICES';

interface Request {
  kafka?: KafkaVersion;
  elasticsearch?: string;
}

function parseArgs(argv: string[]): Request {
  const req: Request = {};
  for (const arg of argv) {
    const [flag, value] = arg.split('=', 2);
    if (flag === '--kafka') {
      if (value === undefined || !isKafkaVersion(value)) throw new Error(`serve: --kafka needs one of ${KAFKA_VERSIONS.join(', ')}, got ${arg}`);
      req.kafka = value;
    } else if (flag === '--elasticsearch') {
      req.elasticsearch = value ?? DEFAULT_ES_VERSION;
    } else {
      throw new Error(`serve: unknown argument ${arg}`);
    }
  }
  return req;
}

function log(message: string): void {
  process.stderr.write(`[services] ${message}\n`);
}

async function timed<T>(what: string, start: () => Promise<T>, describe: (t: T) => string): Promise<T> {
  const t0 = Date.now();
  const value = await start();
  log(`${what} ready at ${describe(value)} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return value;
}

async function main(): Promise<void> {
  const req = parseArgs(process.argv.slice(2));
  const stoppers: (() => Promise<void>)[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = (code: number): Promise<void> => {
    stopping ??= (async () => {
      await Promise.allSettled(stoppers.map((stop) => stop()));
      process.exit(code);
    })();
    return stopping;
  };
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => void stopAll(0));
  process.stdin.on('end', () => void stopAll(0));
  process.stdin.on('error', () => void stopAll(0));
  process.stdin.resume();
  // A parent that dies while something else still holds our stdin open would leave us running: watch
  // for being re-parented too.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void stopAll(0);
  }, 1000).unref();

  const kafkaVersion = req.kafka;
  const esVersion = req.elasticsearch;
  const [kafka, es] = await Promise.allSettled([
    kafkaVersion === undefined
      ? Promise.resolve(undefined)
      : timed(`Kafka ${kafkaVersion}`, () => startKafka({ version: kafkaVersion }), (k) => k.brokers.join(',')).then((k: KafkaBroker) => {
          stoppers.push(() => k.stop());
          return k;
        }),
    esVersion === undefined
      ? Promise.resolve(undefined)
      : timed(`Elasticsearch ${esVersion}`, () => startElasticsearch({ version: esVersion }), (e) => e.url).then((e: ElasticsearchNode) => {
          stoppers.push(() => e.stop());
          return e;
        }),
  ]);
  const failures = [kafka, es].filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length > 0) {
    for (const f of failures) log(`failed to start: ${f.reason instanceof Error ? f.reason.message : String(f.reason)}`);
    await stopAll(1);
    return;
  }
  const env: Record<string, string> = {};
  const k = kafka.status === 'fulfilled' ? kafka.value : undefined;
  const e = es.status === 'fulfilled' ? es.value : undefined;
  if (k !== undefined) {
    env[ENV_KAFKA_BROKERS] = k.brokers.join(',');
    env[ENV_KAFKA_VERSION] = k.version;
  }
  if (e !== undefined) {
    env[ENV_ES_URL] = e.url;
    env[ENV_ES_VERSION] = e.version;
  }
  const info = {
    env,
    kafka: k && { brokers: k.brokers, version: k.version, logFile: k.logFile },
    elasticsearch: e && { url: e.url, version: e.version, logFile: e.logFile },
  };
  process.stdout.write(`${READY_MARKER} ${JSON.stringify(info)}\n`);
}

main().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
