import type { Writable } from 'node:stream';
import { loadDetectors, type DetectorDef } from '../config/detectors.js';
import { formatDuration } from '../config/duration.js';

function describe(d: DetectorDef): string {
  const where = [...d.where].map(([f, vs]) => `${f}=${vs.join('|')}`).join(' ') || 'every event';
  const by = d.groupBy.join(',');
  if (d.kind === 'threshold') return `threshold  more than ${d.threshold} in ${formatDuration(d.windowMs)} of [${where}] per ${by}`;
  if (d.kind === 'leak') return `leak       unscrubbed field or credential in [${where}] per ${by}, resolved after ${formatDuration(d.quietMs)} without one`;
  const reset = [...d.resetWhere].map(([f, vs]) => `${f}=${vs.join('|')}`).join(' ');
  return `streak     more than ${d.threshold} consecutive [${where}] per ${by}, reset by [${reset}]`;
}

/** `auditwatch validate`: loads every detector file and prints what each one will do. */
export function validate(opts: { detectorsDir: string; stdout: Writable }): number {
  const defs = loadDetectors(opts.detectorsDir);
  const width = Math.max(...defs.map((d) => d.id.length));
  for (const d of defs) opts.stdout.write(`ok  ${d.id.padEnd(width)}  ${d.severity.padEnd(8)}  ${describe(d)}  (${d.file})\n`);
  opts.stdout.write(`${defs.length} detector${defs.length === 1 ? '' : 's'} valid in ${opts.detectorsDir}\n`);
  return 0;
}
