import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import { AuditwatchError } from '../../errors.js';
import type { Piece } from '../../sources/lines.js';
import { pieceDecoder, type DecodedPiece, type DecodeSetup } from './piece.js';
import { startWorker } from './thread.js';
import type { PieceAnswer, PieceRequest, WorkerStart } from './worker.js';

/** The worker module beside this one: worker.ts from the sources, worker.js once built. */
const WORKER = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);

/** A piece handed to a thread: the thread's number and the piece's place in that thread's order. */
export interface Ticket {
  readonly thread: number;
  readonly seq: number;
}

/**
 * How long one wait for a thread lasts before the pool looks again. Only a safety net: a thread
 * wakes the waiter when it finishes a piece, and a failing thread wakes it to find the failure.
 */
const WAIT_SLICE_MS = 1000;

interface Thread {
  readonly index: number;
  readonly worker: Worker;
  /** Answers arrive here and stay serialized, off the JavaScript heap, until taken. */
  readonly answers: MessagePort;
  sent: number;
  taken: number;
}

/** What the parallel ingest needs of its decode threads (DecodePool; tests drive their own). */
export interface PiecePool {
  decodeHere(piece: Piece): DecodedPiece;
  trySend(piece: Buffer): Ticket | undefined;
  ready(ticket: Ticket): boolean;
  whenReady(ticket: Ticket): Promise<void>;
  take(ticket: Ticket): DecodedPiece;
  close(): Promise<void>;
}

/*
 * Decode threads whose answers are pulled, not pushed. A thread posts each piece's columns on a
 * port of its own that has no listener, so the answer waits in the port's native queue as
 * serialized bytes, then counts the piece in a shared array. The main thread sees the count
 * without turning its event loop (it is often busy decoding a piece itself) and takes the answer
 * with receiveMessageOnPort only when the engine is about to read it. Pushed answers were
 * deserialized on arrival and waited in a queue on the heap: they lived through young-generation
 * collections, were promoted, and left the main thread collecting them again in the old one.
 */
export class DecodePool implements PiecePool {
  private readonly threads: Thread[];
  /**
   * Written by the threads, read here: slot i counts the pieces thread i has finished, slot
   * count + i is 1 once thread i has started and built its decoder.
   */
  private readonly signals: Int32Array<SharedArrayBuffer>;
  private readonly count: number;
  private readonly perThread: number;
  private readonly local: (p: Piece) => DecodedPiece;
  private failure: Error | undefined;

  /** `perThread`: pieces a thread may hold, sent and not taken. */
  constructor(count: number, setup: DecodeSetup, perThread: number) {
    this.local = pieceDecoder(setup);
    this.count = count;
    this.perThread = perThread;
    this.signals = new Int32Array(new SharedArrayBuffer(8 * Math.max(count, 1)));
    this.threads = Array.from({ length: count }, (_, i) => {
      const { port1, port2 } = new MessageChannel();
      const start: WorkerStart = { setup, signals: this.signals, doneAt: i, upAt: count + i, answers: port2 };
      const worker = startWorker(WORKER, start, [port2]);
      const t: Thread = { index: i, worker, answers: port1, sent: 0, taken: 0 };
      worker.on('error', (err) => this.fail(new AuditwatchError('INTERNAL', `decode thread ${i + 1} failed: ${err.message}`, { thread: i + 1 }, { cause: err })));
      worker.on('exit', (code) => {
        if (t.sent > t.taken) this.fail(new AuditwatchError('INTERNAL', `decode thread ${i + 1} exited (code ${code}) with pieces in hand`, { thread: i + 1 }));
      });
      return t;
    });
  }

  /** Decodes on the calling thread, as a decode thread would. */
  decodeHere(piece: Piece): DecodedPiece {
    return this.local(piece);
  }

  /**
   * Sends whole lines to the thread with the fewest pieces in hand, among those that have started
   * (a thread takes a fraction of a second to start: meanwhile this thread decodes everything).
   * Undefined when every started thread holds all it may. Columns are taken with take().
   */
  trySend(piece: Buffer): Ticket | undefined {
    if (this.failure !== undefined) throw this.failure;
    let t: Thread | undefined;
    for (const c of this.threads) {
      if (c.sent - c.taken >= this.perThread || Atomics.load(this.signals, this.count + c.index) === 0) continue;
      if (t === undefined || c.sent - c.taken < t.sent - t.taken) t = c;
    }
    if (t === undefined) return undefined;
    // A copy the thread can own: the reader's buffer may share memory with the next chunk.
    const bytes = new Uint8Array(piece);
    const req: PieceRequest = { seq: t.sent, bytes };
    t.worker.postMessage(req, [bytes.buffer]);
    return { thread: t.index, seq: t.sent++ };
  }

  /** Whether the piece's columns can be taken now, without waiting. */
  ready(ticket: Ticket): boolean {
    if (this.failure !== undefined) throw this.failure;
    return Atomics.load(this.signals, ticket.thread) > ticket.seq;
  }

  /** Resolves once ready(ticket); rejects as soon as a thread fails. */
  async whenReady(ticket: Ticket): Promise<void> {
    await this.until(ticket.thread, () => this.ready(ticket));
  }

  /** Resolves once the thread has started and can be sent pieces (tests wait for it). */
  async whenStarted(thread: number): Promise<void> {
    await this.until(this.count + thread, () => Atomics.load(this.signals, this.count + thread) !== 0);
  }

  private async until(slot: number, done: () => boolean): Promise<void> {
    while (true) {
      const seen = Atomics.load(this.signals, slot);
      if (this.failure !== undefined) throw this.failure;
      if (done()) return;
      const w = Atomics.waitAsync(this.signals, slot, seen, WAIT_SLICE_MS);
      if (w.async) await w.value;
    }
  }

  /** The columns of a ready piece. Pieces of one thread must be taken in the order they were sent. */
  take(ticket: Ticket): DecodedPiece {
    const t = this.threads[ticket.thread] as Thread;
    const m = receiveMessageOnPort(t.answers) as { message: PieceAnswer } | undefined;
    if (m === undefined || m.message.seq !== ticket.seq || ticket.seq !== t.taken) {
      throw new AuditwatchError('INTERNAL', `decode thread ${ticket.thread + 1}: piece ${ticket.seq} taken out of order or before it was ready`, { thread: ticket.thread + 1 });
    }
    t.taken++;
    return m.message.piece;
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
    for (const t of this.threads) t.answers.close();
  }

  private fail(err: Error): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    // Wakes whoever waits for a thread, to find the failure.
    for (let i = 0; i < this.signals.length; i++) Atomics.notify(this.signals, i);
  }
}
