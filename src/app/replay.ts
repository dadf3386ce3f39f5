import type { Writable } from 'node:stream';
import { loadDetectors } from '../config/detectors.js';
import { Engine } from '../engine/engine.js';
import { transitionJson } from '../engine/transition.js';
import { DEFAULT_MAX_BYTES } from '../events/parse.js';
import { formatSummary, ingestFile } from './ingest.js';

export interface ReplayOptions {
  readonly input: string;
  readonly detectorsDir: string;
  readonly latenessMs: number;
  readonly maxBytes?: number;
  readonly stdout: Writable;
  readonly stderr: Writable;
}

/** `auditwatch replay`: JSON lines in, one JSON transition per line out, a summary on stderr. */
export async function replay(opts: ReplayOptions): Promise<number> {
  const defs = loadDetectors(opts.detectorsDir);
  const engine = new Engine(defs, { latenessMs: opts.latenessMs });
  const counters = await ingestFile(engine, {
    input: opts.input,
    maxBytes: opts.maxBytes ?? DEFAULT_MAX_BYTES,
    onTransitions: (ts) => {
      let s = '';
      for (const t of ts) s += JSON.stringify(transitionJson(t)) + '\n';
      if (!opts.stdout.write(s)) return new Promise<void>((resolve) => opts.stdout.once('drain', () => resolve()));
    },
  });
  opts.stderr.write(formatSummary('replay', counters, defs.map((d) => d.id)));
  return 0;
}
