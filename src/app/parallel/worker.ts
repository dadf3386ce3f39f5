// A decode worker: builds the decoder from the setup it was started with, then decodes each piece
// of input it is sent, posts the piece's columns (piece.ts) on its answer port, in the order
// received, and only then counts the piece as done in the shared array (see pool.ts).
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { pieceDecoder, type DecodedPiece, type DecodeSetup } from './piece.js';

export interface WorkerStart {
  readonly setup: DecodeSetup;
  /** Shared with the main thread: this thread counts its finished pieces at doneAt, and sets upAt once started. */
  readonly signals: Int32Array<SharedArrayBuffer>;
  readonly doneAt: number;
  readonly upAt: number;
  readonly answers: MessagePort;
}

export interface PieceRequest {
  /** The piece's place in this thread's order. */
  readonly seq: number;
  readonly bytes: Uint8Array;
}

export interface PieceAnswer {
  readonly seq: number;
  readonly piece: DecodedPiece;
}

const port = parentPort;
if (port === null) throw new Error('decode worker: started outside a worker thread');
const start = workerData as WorkerStart;
const decodePiece = pieceDecoder(start.setup);
Atomics.store(start.signals, start.upAt, 1);
Atomics.notify(start.signals, start.upAt);
port.on('message', (m: PieceRequest) => {
  const piece = decodePiece(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength));
  const answer: PieceAnswer = { seq: m.seq, piece };
  // The answer is in the main thread's port queue once postMessage returns: count it after.
  start.answers.postMessage(answer, [piece.ts.buffer, piece.outcome.buffer]);
  Atomics.add(start.signals, start.doneAt, 1);
  Atomics.notify(start.signals, start.doneAt);
});
