// A decode worker: builds the decoder from the setup it was started with, then decodes each piece
// of input it is sent and answers with the piece's columns (piece.ts), in the order received.
import { parentPort, workerData } from 'node:worker_threads';
import { pieceDecoder, type DecodeSetup } from './piece.js';

export interface PieceRequest {
  readonly id: number;
  readonly bytes: Uint8Array;
}

const port = parentPort;
if (port === null) throw new Error('decode worker: started outside a worker thread');
const decodePiece = pieceDecoder(workerData as DecodeSetup);
port.on('message', (m: PieceRequest) => {
  const r = decodePiece(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength));
  port.postMessage({ id: m.id, piece: r }, [r.ts.buffer, r.outcome.buffer]);
});
