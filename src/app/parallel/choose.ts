import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { DetectorDef } from '../../config/detectors.js';
import type { Engine } from '../../engine/engine.js';
import type { Transition } from '../../engine/transition.js';
import type { Decoder } from '../../events/formats/decode.js';
import { ingestFile, type IngestCounters } from '../ingest.js';
import { ingestFileParallel } from './ingest.js';
import { decodeSetup } from './piece.js';

/** Below this, starting threads costs more than they save. */
const PARALLEL_FROM_BYTES = 8 * 1024 * 1024;

/**
 * Decoding is most of the work of reading a file and can run on other threads; the engine stays
 * on this one, which also decodes whatever the threads cannot take. One thread per core besides
 * this one, for a file large enough to repay their start (about a quarter of a second of CPU
 * each); none for small files and for stdin, whose size is unknown.
 */
export function autoThreads(input: string): number {
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

export interface IngestChoice {
  readonly input: string;
  readonly maxBytes: number;
  /** Decode threads beside this one; undefined picks (autoThreads), 0 decodes on this thread. */
  readonly threads: number | undefined;
  readonly onTransitions: (ts: readonly Transition[]) => void | Promise<void>;
}

/** Reads a file or stdin through `engine`, on decode threads or not: the same counts and transitions either way. */
export function ingestInput(engine: Engine, defs: readonly DetectorDef[], decoder: Decoder, o: IngestChoice): Promise<IngestCounters> {
  const threads = o.threads ?? autoThreads(o.input);
  if (threads === 0) return ingestFile(engine, { input: o.input, maxBytes: o.maxBytes, decode: decoder.decode, onTransitions: o.onTransitions });
  return ingestFileParallel(engine, { input: o.input, setup: decodeSetup(defs, decoder.settings, o.maxBytes), threads, onTransitions: o.onTransitions });
}
