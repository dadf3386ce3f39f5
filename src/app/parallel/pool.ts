import type { Worker } from 'node:worker_threads';
import { AuditwatchError } from '../../errors.js';
import type { Piece } from '../../sources/lines.js';
import { pieceDecoder, type DecodedPiece, type DecodeSetup } from './piece.js';
import { startWorker } from './thread.js';
import type { PieceRequest } from './worker.js';

interface Pending {
  resolve: (p: DecodedPiece) => void;
  reject: (err: Error) => void;
}

/** The worker module beside this one: worker.ts from the sources, worker.js once built. */
const WORKER = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);

/**
 * Decode threads. decode() resolves with a piece's columns; callers await them in the order
 * they sent them, which is the input's order. decodeHere() does the same work on this thread.
 */
export class DecodePool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  private readonly local: (p: Piece) => DecodedPiece;
  private nextId = 0;
  private failure: Error | undefined;

  constructor(threads: number, setup: DecodeSetup) {
    this.local = pieceDecoder(setup);
    this.workers = Array.from({ length: threads }, (_, i) => {
      const w = startWorker(WORKER, setup);
      w.on('message', (m: { id: number; piece: DecodedPiece }) => {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        p?.resolve(m.piece);
      });
      w.on('error', (err) => this.fail(new AuditwatchError('INTERNAL', `decode thread ${i + 1} failed: ${err.message}`, { thread: i + 1 }, { cause: err })));
      w.on('exit', (code) => {
        if (this.pending.size > 0) this.fail(new AuditwatchError('INTERNAL', `decode thread ${i + 1} exited (code ${code}) with pieces in hand`, { thread: i + 1 }));
      });
      return w;
    });
  }

  /** Decodes on the calling thread, as a decode thread would. */
  decodeHere(piece: Piece): DecodedPiece {
    return this.local(piece);
  }

  /** Sends whole lines to the next thread in turn. */
  decode(piece: Buffer): Promise<DecodedPiece> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = this.nextId++;
    // A copy the thread can own: the reader's buffer may share memory with the next chunk.
    const bytes = new Uint8Array(piece);
    const w = this.workers[id % this.workers.length] as Worker;
    return new Promise<DecodedPiece>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const req: PieceRequest = { id, bytes };
      w.postMessage(req, [bytes.buffer]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
