// Writes MCP audit events to Kafka for the compose stack: the bundled sample
// (samples/mcp-audit-sample.jsonl), keyed by callerId, at RATE events/s; then again and again with
// every timestamp moved forward by the sample's span, so the stream goes on like a live one.
// Lines that are not valid events (the sample has a few) are sent as they are, unkeyed: auditwatch
// counts them and writes them to its dead-letter topic.
//   KAFKA_BROKERS=kafka:9092 TOPIC=mcp-audit PARTITIONS=6 RATE=500 LOOPS=0 (0: forever) SAMPLE=path
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Kafka, logLevel, Partitioners } from 'kafkajs';

const env = process.env;
const brokers = (env.KAFKA_BROKERS ?? 'kafka:9092').split(',');
const topic = env.TOPIC ?? 'mcp-audit';
const partitions = Number(env.PARTITIONS ?? 6);
const rate = Math.max(1, Number(env.RATE ?? 500));
const loops = Number(env.LOOPS ?? 0);
const sample = env.SAMPLE ?? '/app/samples/mcp-audit-sample.jsonl';

/** One message per line: key callerId when the line is an event with one, timestamps shifted by `shiftMs`. */
export function message(line, shiftMs) {
  let event;
  try {
    event = JSON.parse(line);
  } catch {
    return { key: null, value: line };
  }
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return { key: null, value: line };
  const ts = typeof event.timestamp === 'string' ? Date.parse(event.timestamp) : NaN;
  if (shiftMs !== 0 && Number.isFinite(ts)) event.timestamp = new Date(ts + shiftMs).toISOString();
  return { key: typeof event.callerId === 'string' && event.callerId !== '' ? event.callerId : null, value: JSON.stringify(event) };
}

/** Span of the sample's timestamps, plus one second, so consecutive rounds do not overlap. */
export function span(lines) {
  let min = Infinity;
  let max = -Infinity;
  for (const line of lines) {
    try {
      const t = Date.parse(JSON.parse(line).timestamp);
      if (Number.isFinite(t)) {
        min = Math.min(min, t);
        max = Math.max(max, t);
      }
    } catch {
      // not an event
    }
  }
  return max >= min ? max - min + 1000 : 0;
}

async function main() {
  const lines = readFileSync(sample, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const step = span(lines);
  const kafka = new Kafka({ clientId: 'auditwatch-sample-producer', brokers, logLevel: logLevel.WARN });
  const admin = kafka.admin();
  await admin.connect();
  const created = await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  await admin.disconnect();
  console.log(`${created ? 'created' : 'using'} topic ${topic}; sending ${lines.length} events per round at ${rate}/s`);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
  await producer.connect();
  const batch = Math.max(1, Math.round(rate / 10));
  for (let round = 0; loops === 0 || round < loops; round++) {
    for (let i = 0; i < lines.length; i += batch) {
      const started = Date.now();
      await producer.send({ topic, messages: lines.slice(i, i + batch).map((l) => message(l, round * step)) });
      const wait = (batch / rate) * 1000 - (Date.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    console.log(`round ${round + 1} sent`);
  }
  await producer.disconnect();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
