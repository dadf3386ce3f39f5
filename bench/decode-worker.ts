// One worker of the decode-ceiling measure in engine.bench.ts: decodes its share of a JSON-lines
// buffer (size and depth checks, JSON.parse, the zod schema, the timestamp, field bounds) and
// reports how many lines it decoded and how long it took from the go signal.
import { parentPort, workerData } from 'node:worker_threads';
import { createDecoder } from '../src/events/formats/decode.js';
import { splitPiece, type Line } from '../src/sources/lines.js';

const { bytes } = workerData as { bytes: Uint8Array };
const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const decoder = createDecoder({ format: 'canonical' });
// Started and loaded before the clock starts: the main thread says when to go.
await new Promise((resolve) => {
  parentPort?.once('message', resolve);
  parentPort?.postMessage('ready');
});
const t = performance.now();
// Split as replay splits; no line reaches the limit.
const lines: Line[] = [];
splitPiece(buf, 0, buf.length, lines);
let ok = 0;
for (const line of lines) if (decoder.decode(line.text).ok) ok++;
parentPort?.postMessage({ lines: lines.length, ok, seconds: (performance.now() - t) / 1000 });
