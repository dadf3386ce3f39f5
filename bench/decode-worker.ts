// One worker of the decode-ceiling measure in engine.bench.ts: decodes its share of a JSON-lines
// buffer (size and depth checks, JSON.parse, the zod schema, the timestamp, field bounds) and
// reports how many lines it decoded and how long it took from the go signal.
import { parentPort, workerData } from 'node:worker_threads';
import { createDecoder } from '../src/events/formats/decode.js';

const { bytes } = workerData as { bytes: Uint8Array };
const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const decoder = createDecoder({ format: 'canonical' });
// Started and loaded before the clock starts: the main thread says when to go.
await new Promise((resolve) => {
  parentPort?.once('message', resolve);
  parentPort?.postMessage('ready');
});
const t = performance.now();
let lines = 0;
let ok = 0;
for (let start = 0; start < buf.length; ) {
  let end = buf.indexOf(10, start);
  if (end < 0) end = buf.length;
  if (decoder.decode(buf.toString('utf8', start, end)).ok) ok++;
  lines++;
  start = end + 1;
}
parentPort?.postMessage({ lines, ok, seconds: (performance.now() - t) / 1000 });
