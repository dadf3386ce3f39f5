import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadDetectors } from '../../src/config/detectors.js';
import { Engine } from '../../src/engine/engine.js';
import { transitionJson, type Transition } from '../../src/engine/transition.js';
import { createDecoder } from '../../src/events/formats/decode.js';
import { ingestFile, type IngestCounters } from '../../src/app/ingest.js';
import { ingestFileParallel } from '../../src/app/parallel/ingest.js';
import { decodeSetup, pieceDecoder, type DecodedPiece } from '../../src/app/parallel/piece.js';
import { DecodePool, type PiecePool, type Ticket } from '../../src/app/parallel/pool.js';
import { mulberry32 } from '../../src/random.js';
import type { Piece } from '../../src/sources/lines.js';
import { hostileStream } from '../helpers/hostile.js';
import { tempDir } from '../helpers/tmp.js';

const MAX_BYTES = 4096;
const defs = loadDetectors('detectors');
const decoder = createDecoder({ format: 'canonical', limits: { maxBytes: MAX_BYTES } });
const setup = decodeSetup(defs, decoder.settings, MAX_BYTES);

interface Outcome {
  readonly transitions: string[];
  readonly counters: IngestCounters;
}

async function serial(file: string): Promise<Outcome> {
  const transitions: string[] = [];
  const onTransitions = (ts: readonly Transition[]): void => void transitions.push(...ts.map((t) => JSON.stringify(transitionJson(t))));
  const counters = await ingestFile(new Engine(defs, { latenessMs: 30_000 }), { input: file, maxBytes: MAX_BYTES, decode: decoder.decode, onTransitions });
  return { transitions, counters };
}

async function parallel(file: string, pool: PiecePool, threads: number): Promise<Outcome> {
  const transitions: string[] = [];
  const onTransitions = (ts: readonly Transition[]): void => void transitions.push(...ts.map((t) => JSON.stringify(transitionJson(t))));
  const counters = await ingestFileParallel(new Engine(defs, { latenessMs: 30_000 }), { input: file, setup, threads, onTransitions, pool });
  return { transitions, counters };
}

function assertSame(actual: Outcome, expected: Outcome): void {
  assert.ok(expected.transitions.length > 0);
  assert.deepEqual(actual.transitions, expected.transitions);
  const { transitionsByDetector: a, ...restA } = actual.counters;
  const { transitionsByDetector: e, ...restE } = expected.counters;
  assert.deepEqual(restA, restE);
  assert.deepEqual([...a], [...e]);
}

/**
 * A pool run on this thread whose pieces become ready on a seeded schedule: some at once, some
 * only after the ingest looked several times, some never before it waits. That drives the
 * ingest through every path (pieces it decodes as they come, pieces it decodes ahead while
 * waiting, pieces it takes from a "thread") in an order a test can repeat.
 */
class ScriptedPool implements PiecePool {
  readonly used = { sent: 0, ahead: 0, waits: 0, refused: 0 };
  private readonly decode = pieceDecoder(setup);
  private readonly rnd: () => number;
  private readonly pieces = new Map<number, { piece: DecodedPiece; looksLeft: number }>();
  private next = 0;
  private taken = 0;

  constructor(
    seed: number,
    private readonly capacity: number,
  ) {
    this.rnd = mulberry32(seed);
  }

  decodeHere(piece: Piece): DecodedPiece {
    this.used.ahead++;
    return this.decode(piece);
  }

  trySend(piece: Buffer): Ticket | undefined {
    if (this.next - this.taken >= this.capacity || this.rnd() < 0.2) {
      this.used.refused++;
      return undefined;
    }
    this.used.sent++;
    const r = this.rnd();
    this.pieces.set(this.next, { piece: this.decode(piece), looksLeft: r < 0.3 ? 0 : r < 0.6 ? 2 : 1000 });
    return { thread: 0, seq: this.next++ };
  }

  ready(ticket: Ticket): boolean {
    const p = this.pieces.get(ticket.seq);
    assert.ok(p !== undefined, 'asked about a piece never sent');
    return p.looksLeft-- <= 0;
  }

  whenReady(ticket: Ticket): Promise<void> {
    this.used.waits++;
    const p = this.pieces.get(ticket.seq);
    assert.ok(p !== undefined);
    p.looksLeft = 0;
    return Promise.resolve();
  }

  take(ticket: Ticket): DecodedPiece {
    assert.equal(ticket.seq, this.taken, 'pieces taken out of order');
    const p = this.pieces.get(ticket.seq);
    assert.ok(p !== undefined && p.looksLeft <= 0, 'a piece taken before it was ready');
    this.pieces.delete(ticket.seq);
    this.taken++;
    return p.piece;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A real pool that counts what it was given. */
class CountingPool implements PiecePool {
  sent = 0;
  constructor(private readonly pool: DecodePool) {}
  decodeHere(piece: Piece): DecodedPiece {
    return this.pool.decodeHere(piece);
  }
  trySend(piece: Buffer): Ticket | undefined {
    const t = this.pool.trySend(piece);
    if (t !== undefined) this.sent++;
    return t;
  }
  ready(ticket: Ticket): boolean {
    return this.pool.ready(ticket);
  }
  whenReady(ticket: Ticket): Promise<void> {
    return this.pool.whenReady(ticket);
  }
  take(ticket: Ticket): DecodedPiece {
    return this.pool.take(ticket);
  }
  close(): Promise<void> {
    return this.pool.close();
  }
}

describe('parallel ingest scheduling', () => {
  it('gives the serial result whichever way each piece is decoded, in any readiness order', async () => {
    const t = tempDir();
    const file = t.write('hostile.jsonl', hostileStream(40_000, 21));
    const expected = await serial(file);
    for (const seed of [1, 2, 3]) {
      for (const capacity of [1, 4]) {
        const pool = new ScriptedPool(seed, capacity);
        assertSame(await parallel(file, pool, 1), expected);
        // Every path was taken, or the comparison proves less than it claims.
        assert.ok(pool.used.sent > 3 && pool.used.ahead > 0 && pool.used.waits > 0 && pool.used.refused > 0, JSON.stringify(pool.used));
      }
    }
  });

  it('hands pieces to real threads once they have started, with the serial result', async () => {
    const t = tempDir();
    const file = t.write('hostile.jsonl', hostileStream(40_000, 22));
    const expected = await serial(file);
    const real = new DecodePool(2, setup, 4);
    await Promise.all([real.whenStarted(0), real.whenStarted(1)]);
    const pool = new CountingPool(real);
    assertSame(await parallel(file, pool, 2), expected);
    assert.ok(pool.sent > 2, `${pool.sent} pieces sent to the threads`);
  });
});
