import type { Writable } from 'node:stream';
import { loadDetectors } from '../config/detectors.js';
import { Engine } from '../engine/engine.js';
import { transitionJson, type Transition } from '../engine/transition.js';
import { DEFAULT_MAX_BYTES } from '../events/parse.js';
import { loadRuntimeConfig } from '../config/runtime.js';
import { formatSummary } from './ingest.js';
import { inputDecoder, type InputFlags } from './input.js';
import { ingestInput } from './parallel/choose.js';

export interface ReplayOptions {
  readonly input: string;
  readonly detectorsDir: string;
  readonly latenessMs: number;
  readonly maxBytes?: number;
  /** Decode threads beside the main one; undefined picks (see autoThreads), 0 decodes on the main thread. */
  readonly threads?: number;
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
  const onTransitions = (ts: readonly Transition[]): Promise<void> | undefined => {
    let s = '';
    for (const t of ts) s += JSON.stringify(transitionJson(t)) + '\n';
    if (!opts.stdout.write(s)) return new Promise<void>((resolve) => opts.stdout.once('drain', () => resolve()));
    return undefined;
  };
  const counters = await ingestInput(engine, defs, decoder, { input: opts.input, maxBytes, threads: opts.threads, onTransitions });
  opts.stderr.write(formatSummary('replay', counters, defs.map((d) => d.id)));
  return 0;
}
