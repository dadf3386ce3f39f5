import type { Engine } from '../../engine/engine.js';
import type { Transition } from '../../engine/transition.js';
import type { AuditEvent } from '../../events/audit-event.js';
import { createDecoder } from '../../events/formats/decode.js';
import { eachLine, OVERSIZED, readPieces, type Line, type Piece } from '../../sources/lines.js';
import { decodeLine, IngestCounters } from '../ingest.js';
import type { DecodedPiece, DecodeSetup } from './piece.js';
import { eachEvent } from './piece.js';
import { DecodePool, type PiecePool, type Ticket } from './pool.js';

export interface ParallelIngestOptions {
  readonly input: string;
  readonly setup: DecodeSetup;
  /** Decode threads besides this one, which reads the input, runs the engine and decodes what the threads cannot take. */
  readonly threads: number;
  /** Called with the transitions of each piece of input, in order. */
  readonly onTransitions: (ts: readonly Transition[]) => void | Promise<void>;
  /** The decode threads, closed at the end; by default a DecodePool of `threads` (tests pass their own). */
  readonly pool?: PiecePool;
}

/** A piece of input in its place in the input's order, and how far its decoding has come. */
type Slot = { readonly raw: Piece } | { readonly ticket: Ticket } | { readonly decoded: DecodedPiece };

/** Pieces each thread may hold (sent, not taken): enough that it never runs dry between two looks. */
const IN_HAND_PER_THREAD = 4;
/**
 * Bytes read at a time, and so the size of a piece. Small enough that what waits for the engine
 * (a thread's columns, a piece decoded ahead) is little when a young-generation collection
 * comes, and that the threads run out of work together at the end of the input.
 */
const PIECE_BYTES = 256 * 1024;

/**
 * ingestFile with the decoding (JSON, schema, leak scan) spread over worker threads. The engine
 * still sees every event on this thread, in input order, so the transitions, the counts and the
 * summary are those of the serial path (tests compare the two byte for byte).
 *
 * Pieces are read ahead, and the threads are given the earliest ones nobody has taken but the
 * next. This thread works through the pieces in order: a piece nobody decoded yet it decodes and
 * feeds to the engine event by event, as the serial path does (no columns built, nothing kept); a
 * thread's piece it takes once ready. While the next piece is still at a thread, it decodes the
 * earliest untaken piece ahead into columns instead of waiting.
 */
export async function ingestFileParallel(engine: Engine, opts: ParallelIngestOptions, counters = new IngestCounters()): Promise<IngestCounters> {
  const { setup, threads } = opts;
  const pool = opts.pool ?? new DecodePool(threads, setup, IN_HAND_PER_THREAD);
  const { decode } = createDecoder(setup.decoder);
  const reader = readPieces(opts.input, setup.maxBytes, process.stdin, PIECE_BYTES)[Symbol.asyncIterator]();
  const lookahead = (IN_HAND_PER_THREAD + 2) * threads + 2;
  const slots: Slot[] = [];
  const out: Transition[] = [];
  let ended = false;
  let base = 0;

  const feed = (e: AuditEvent): void => {
    if (engine.process(e, out) === 'late') counters.late++;
    else counters.accepted++;
  };
  const decodeAndFeed = (line: Line): void => {
    const e = decodeLine(line, decode, setup.maxBytes, counters);
    if (e !== undefined) feed(e);
  };
  const applyRaw = (p: Piece): void => {
    base = eachLine(p, base, setup.maxBytes, decodeAndFeed);
  };
  const applyDecoded = (p: DecodedPiece): void => {
    counters.absorb(p.tally, base);
    base += p.tally.read;
    eachEvent(p, setup.fields, feed);
  };
  /** The earliest piece after `from` that nobody has taken (an oversized mark has no bytes to hand off). */
  const firstRaw = (from: number): number => {
    for (let i = from; i < slots.length; i++) {
      const s = slots[i] as Slot;
      if ('raw' in s && s.raw !== OVERSIZED) return i;
    }
    return -1;
  };

  try {
    while (true) {
      while (!ended && slots.length < lookahead) {
        const r = await reader.next();
        if (r.done === true) ended = true;
        else for (const p of r.value) slots.push({ raw: p });
      }
      // Not the next piece: this thread takes that one itself, without building columns.
      for (let i = firstRaw(1); i !== -1; i = firstRaw(i + 1)) {
        const ticket = pool.trySend((slots[i] as { raw: Buffer }).raw);
        if (ticket === undefined) break;
        slots[i] = { ticket };
      }
      const head = slots[0];
      if (head === undefined) break;
      if ('raw' in head) applyRaw(head.raw);
      else if ('decoded' in head) applyDecoded(head.decoded);
      else if (pool.ready(head.ticket)) applyDecoded(pool.take(head.ticket));
      else {
        const i = firstRaw(1);
        if (i !== -1) slots[i] = { decoded: pool.decodeHere((slots[i] as { raw: Buffer }).raw) };
        else await pool.whenReady(head.ticket);
        continue;
      }
      slots.shift();
      if (out.length > 0) {
        for (const t of out) counters.countTransition(t);
        await opts.onTransitions(out.slice());
        out.length = 0;
      }
    }
  } finally {
    await reader.return?.(undefined);
    await pool.close();
  }
  return counters;
}
