/*
 * `npm run bench`: runs every benchmark suite and writes bench/results/latest.md.
 * Absolute numbers depend on the machine; the ratio to the in-process baseline is the point.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { deliveryBench } from './delivery.bench.js';
import { engineBench, type Row } from './engine.bench.js';
import { kafkaBench } from './kafka.bench.js';

const suites: [string, () => Promise<Row[]>][] = [
  ['engine', engineBench],
  ['delivery', deliveryBench],
  ['kafka', () => kafkaBench()],
];
const only = process.argv.slice(2);
const lines = [`# auditwatch benchmarks`, '', `${new Date().toISOString()} · Node ${process.version} · ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}`, ''];
for (const [name, fn] of suites) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stderr.write(`bench: ${name}...\n`);
  const rows = await fn();
  lines.push(`## ${name}`, '', '| measure | auditwatch | naive baseline | ratio | target |', '|---|---|---|---|---|');
  for (const r of rows) lines.push(`| ${r.name} | ${r.value} | ${r.baseline} | ${r.ratio} | ${r.target} |`);
  lines.push('');
}
const text = lines.join('\n');
process.stdout.write(text + '\n');
writeFileSync(new URL('./results/latest.md', import.meta.url), text + '\n');
