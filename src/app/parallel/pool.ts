import { Worker } from 'node:worker_threads';
import { AuditwatchError } from '../../errors.js';
import { OVERSIZED, type Piece } from '../../sources/lines.js';
import { pieceDecoder, type DecodedPiece, type DecodeSetup } from './piece.js';
import type { PieceRequest } from './worker.js';

interface Pending {
  resolve: (p: DecodedPiece) => void;
  reject: (err: Error) => void;
}

// From the TypeScript sources (tests, tsx), a worker has to register the loader itself: Node 20
// does not pass the main thread's loader on to workers.
function startWorker(setup: DecodeSetup): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./worker.js', here), { workerData: setup });
  const target = JSON.stringify(new URL('./worker.ts', here).href);
  return new Worker(`import('tsx/esm/api').then((api) => { api.register(); return import(${target}); })`, { eval: true, workerData: setup });
}

/**
 * Decode threads. decode() sends a piece to the next thread in turn and resolves with its
 * columns; callers await them in the order they sent them, which is the input's order.
 */
export class DecodePool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  private readonly local: (p: Piece) => DecodedPiece;
  private nextId = 0;
  private failure: Error | undefined;

  constructor(
    readonly threads: number,
    setup: DecodeSetup,
  ) {
    this.local = pieceDecoder(setup);
    this.workers = Array.from({ length: threads }, (_, i) => {
      const w = startWorker(setup);
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

  decode(piece: Piece): Promise<DecodedPiece> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    // The mark of a skipped line carries no bytes: nothing to hand off.
    if (piece === OVERSIZED) return Promise.resolve(this.local(piece));
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
