import type { Writable } from 'node:stream';
import { loadDetectors } from '../config/detectors.js';
import { Engine } from '../engine/engine.js';
import { transitionJson } from '../engine/transition.js';
import { DEFAULT_MAX_BYTES } from '../events/parse.js';
import { loadRuntimeConfig } from '../config/runtime.js';
import { formatSummary, ingestFile } from './ingest.js';
import { inputDecoder, type InputFlags } from './input.js';

export interface ReplayOptions {
  readonly input: string;
  readonly detectorsDir: string;
  readonly latenessMs: number;
  readonly maxBytes?: number;
  /** --format, --caller, --caller-field; input.format and input.formats of auditwatch.yaml otherwise. */
  readonly inputFlags?: Omit<InputFlags, 'maxBytes'>;
  /** Environment for the auditwatch.yaml lookup (default: process.env). */
  readonly env?: NodeJS.ProcessEnv;
  readonly stdout: Writable;
  readonly stderr: Writable;
}

/** `auditwatch replay`: JSON lines in, one JSON transition per line out, a summary on stderr. */
export async function replay(opts: ReplayOptions): Promise<number> {
  const defs = loadDetectors(opts.detectorsDir);
  const { config } = loadRuntimeConfig(undefined, opts.env ?? process.env);
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const decoder = inputDecoder({ ...opts.inputFlags, maxBytes }, config.input);
  const engine = new Engine(defs, { latenessMs: opts.latenessMs });
  const counters = await ingestFile(engine, {
    input: opts.input,
    maxBytes,
    decode: decoder.decode,
    onTransitions: (ts) => {
      let s = '';
      for (const t of ts) s += JSON.stringify(transitionJson(t)) + '\n';
      if (!opts.stdout.write(s)) return new Promise<void>((resolve) => opts.stdout.once('drain', () => resolve()));
    },
  });
  opts.stderr.write(formatSummary('replay', counters, defs.map((d) => d.id)));
  return 0;
}
