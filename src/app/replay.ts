import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Writable } from 'node:stream';
import { loadDetectors } from '../config/detectors.js';
import { Engine } from '../engine/engine.js';
import { transitionJson, type Transition } from '../engine/transition.js';
import { DEFAULT_MAX_BYTES } from '../events/parse.js';
import { loadRuntimeConfig } from '../config/runtime.js';
import { formatSummary, ingestFile } from './ingest.js';
import { inputDecoder, type InputFlags } from './input.js';
import { ingestFileParallel } from './parallel/ingest.js';
import { decodeSetup } from './parallel/piece.js';

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

/** Below this, starting threads costs more than they save. */
const PARALLEL_FROM_BYTES = 8 * 1024 * 1024;

/**
 * Decoding is most of a replay's work and can run on other threads; the engine stays on this one,
 * which also decodes whatever the threads cannot take. One thread per core besides this one, for
 * a file large enough to repay their start (about a quarter of a second of CPU each); none for
 * small files and for stdin, whose size is unknown.
 */
function autoThreads(input: string): number {
  if (input === '-') return 0;
  const cores = availableParallelism();
  if (cores < 2) return 0;
  try {
    return statSync(input).size >= PARALLEL_FROM_BYTES ? Math.min(cores - 1, 4) : 0;
  } catch {
    // Unreadable: the reader reports it with the file's name.
    return 0;
  }
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
  const threads = opts.threads ?? autoThreads(opts.input);
  const counters =
    threads > 0
      ? await ingestFileParallel(engine, { input: opts.input, setup: decodeSetup(defs, decoder.settings, maxBytes), threads, onTransitions })
      : await ingestFile(engine, { input: opts.input, maxBytes, decode: decoder.decode, onTransitions });
  opts.stderr.write(formatSummary('replay', counters, defs.map((d) => d.id)));
  return 0;
}
