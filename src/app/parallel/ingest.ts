import type { Engine } from '../../engine/engine.js';
import type { Transition } from '../../engine/transition.js';
import type { AuditEvent } from '../../events/audit-event.js';
import { OVERSIZED, readPieces } from '../../sources/lines.js';
import { IngestCounters } from '../ingest.js';
import type { DecodedPiece, DecodeSetup } from './piece.js';
import { eachEvent } from './piece.js';
import { DecodePool } from './pool.js';

export interface ParallelIngestOptions {
  readonly input: string;
  readonly setup: DecodeSetup;
  /** Decode threads besides this one, which reads the input, runs the engine and decodes what the threads cannot take. */
  readonly threads: number;
  /** Called with the transitions of each piece of input, in order. */
  readonly onTransitions: (ts: readonly Transition[]) => void | Promise<void>;
}

/**
 * ingestFile with the decoding (JSON, schema, leak scan) spread over worker threads. The engine
 * still sees every event on this thread, in input order, so the transitions, the counts and the
 * summary are those of the serial path (tests compare the two byte for byte).
 */
export async function ingestFileParallel(engine: Engine, opts: ParallelIngestOptions, counters = new IngestCounters()): Promise<IngestCounters> {
  const pool = new DecodePool(opts.threads, opts.setup);
  // Pieces in input order, decoded or on their way.
  const queue: Slot[] = [];
  const out: Transition[] = [];
  let base = 0;
  let atThreads = 0;
  const feed = (e: AuditEvent): void => {
    if (engine.process(e, out) === 'late') counters.late++;
    else counters.accepted++;
  };
  const applyNext = async (): Promise<void> => {
    const slot = queue.shift() as Slot;
    let piece = slot.piece;
    if (piece === undefined) {
      piece = await (slot.pending as Promise<DecodedPiece>);
      atThreads--;
    }
    counters.absorb(piece.tally, base);
    base += piece.tally.read;
    eachEvent(piece, opts.setup.fields, feed);
    if (out.length > 0) {
      for (const t of out) counters.countTransition(t);
      await opts.onTransitions(out.slice());
      out.length = 0;
    }
  };
  try {
    for await (const pieces of readPieces(opts.input, opts.setup.maxBytes)) {
      for (const p of pieces) {
        while (queue.length > 0 && (queue[0] as Slot).ready) await applyNext();
        if (p !== OVERSIZED && atThreads < 4 * opts.threads) {
          // Four pieces per thread (about 4 MiB) keep a thread busy while this one decodes a piece itself.
          queue.push(slotFor(pool.decode(p)));
          atThreads++;
        } else {
          // The mark of a skipped line has no bytes to hand off; otherwise the threads have
          // enough, and rather than wait for them this thread decodes one itself.
          queue.push({ ready: true, piece: pool.decodeHere(p) });
        }
        while (queue.length > 6 * opts.threads + 2) await applyNext();
      }
    }
    while (queue.length > 0) await applyNext();
  } finally {
    // Pieces still in flight after a failure are dropped with their threads.
    for (const s of queue) s.pending?.catch(() => undefined);
    await pool.close();
  }
  return counters;
}

interface Slot {
  ready: boolean;
  piece?: DecodedPiece;
  pending?: Promise<DecodedPiece>;
}

function slotFor(pending: Promise<DecodedPiece>): Slot {
  const slot: Slot = { ready: false, pending };
  pending.then(
    () => (slot.ready = true),
    () => (slot.ready = true),
  );
  return slot;
}
