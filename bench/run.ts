/*
 * `npm run bench [suite...]`: runs the benchmark suites (all of them by default) and records them
 * in bench/results/latest.md. Running some suites replaces only their sections, so the file always
 * holds the last figure of every suite, each with the date, machine and load it was measured at.
 * Absolute numbers depend on the machine; the ratio to the in-process baseline is the point.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { deliveryBench } from './delivery.bench.js';
import { engineBench, type Row } from './engine.bench.js';
import { kafkaBench } from './kafka.bench.js';

const suites: [string, () => Promise<Row[]>][] = [
  ['engine', engineBench],
  ['delivery', deliveryBench],
  ['kafka', () => kafkaBench()],
];
const only = process.argv.slice(2);
const unknown = only.filter((o) => !suites.some(([name]) => name === o));
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown suite ${unknown.join(', ')} (one of: ${suites.map(([n]) => n).join(', ')})\n`);
  process.exit(2);
}

const FILE = new URL('./results/latest.md', import.meta.url);

/** The sections of the previous results, by suite name. */
function previous(): Map<string, string> {
  const sections = new Map<string, string>();
  if (!existsSync(FILE)) return sections;
  const parts = readFileSync(FILE, 'utf8').split(/^## /m).slice(1);
  for (const p of parts) sections.set(p.slice(0, p.indexOf('\n')).trim(), `## ${p.trimEnd()}\n`);
  return sections;
}

const sections = previous();
for (const [name, fn] of suites) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stderr.write(`bench: ${name}...\n`);
  const load = loadavg()[0]?.toFixed(1) ?? '?';
  const rows = await fn();
  const lines = [`## ${name}`, '', `${new Date().toISOString()} · Node ${process.version} · ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length} · load average ${load} at start`, ''];
  lines.push('| measure | auditwatch | baseline | ratio | target |', '|---|---|---|---|---|');
  for (const r of rows) lines.push(`| ${r.name} | ${r.value} | ${r.baseline} | ${r.ratio} | ${r.target} |`);
  sections.set(name, lines.join('\n') + '\n');
  process.stdout.write(lines.join('\n') + '\n\n');
}
const ordered = [...suites.map(([n]) => n).filter((n) => sections.has(n)), ...[...sections.keys()].filter((n) => !suites.some(([s]) => s === n))];
writeFileSync(FILE, ['# auditwatch benchmarks', '', 'Written by `npm run bench`; each suite keeps the figures of its last run.', '', ...ordered.map((n) => sections.get(n) ?? '')].join('\n'));
