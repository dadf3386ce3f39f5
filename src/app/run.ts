import type { Writable } from 'node:stream';
import { loadDetectors } from '../config/detectors.js';
import { Engine } from '../engine/engine.js';
import { DEFAULT_MAX_BYTES } from '../events/parse.js';
import { formatTransitionLine } from './console-format.js';
import { formatSummary, ingestFile } from './ingest.js';

export interface RunOptions {
  readonly input: string;
  readonly detectorsDir: string;
  readonly latenessMs: number;
  readonly maxBytes?: number;
  readonly color: boolean;
  readonly stdout: Writable;
  readonly stderr: Writable;
}

/** `auditwatch run` on a file or stdin: detection end to end, alerts printed for a person. */
export async function runFile(opts: RunOptions): Promise<number> {
  const defs = loadDetectors(opts.detectorsDir);
  const engine = new Engine(defs, { latenessMs: opts.latenessMs });
  const fmt = { color: opts.color, detectorWidth: Math.max(...defs.map((d) => d.id.length)) };
  opts.stderr.write(`auditwatch run: reading ${opts.input === '-' ? 'standard input' : opts.input} with ${defs.length} detectors (${defs.map((d) => d.id).join(', ')})\n`);
  const counters = await ingestFile(engine, {
    input: opts.input,
    maxBytes: opts.maxBytes ?? DEFAULT_MAX_BYTES,
    onTransitions: (ts) => {
      opts.stdout.write(ts.map((t) => formatTransitionLine(t, fmt)).join('\n') + '\n');
    },
  });
  opts.stderr.write(formatSummary('\nrun', counters, defs.map((d) => d.id)));
  let active = 0;
  for (const s of engine.stats().values()) active += s.active;
  opts.stderr.write(`${active} alert${active === 1 ? '' : 's'} still active at the end of the input (nothing is flushed)\n`);
  return 0;
}
