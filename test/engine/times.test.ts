import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SortedTimes } from '../../src/engine/times.js';

const T = Date.UTC(2026, 2, 5);
const SPAN = 2 ** 32;
const HALF = 2 ** 26;

type Op = { readonly op: 'insert'; readonly x: number } | { readonly op: 'drop'; readonly k: number } | { readonly op: 'assign'; readonly xs: readonly number[] };

/** Every query against a sorted array, the obvious way. */
function check(s: SortedTimes, ref: readonly number[]): void {
  assert.equal(s.length, ref.length);
  assert.deepEqual(s.toArray(), ref);
  for (let i = 0; i < ref.length; i++) assert.equal(s.get(i), ref[i]);
  if (ref.length > 0) assert.equal(s.last(), ref[ref.length - 1]);
  const probes = new Set<number>([T - 1, T + SPAN * 3]);
  for (const x of ref) for (const d of [-1, 0, 0.5, 1]) probes.add(x + d);
  for (const p of probes) {
    assert.equal(s.countAtMost(p), ref.filter((x) => x <= p).length, `countAtMost(${p})`);
    assert.equal(s.countBelow(p), ref.filter((x) => x < p).length, `countBelow(${p})`);
  }
}

// Times near T (offsets fit 26 bits), far after it and around 2^26 ms after it (they do not,
// or only just), before the first one stored (a new base), fractional ones, and ties.
const time = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 5_000 }).map((d) => T + d) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 }).map((k) => T + k * SPAN) },
  { weight: 1, arbitrary: fc.integer({ min: -2, max: 2 }).map((d) => T + HALF + d) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 5_000 }).map((d) => T - d) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 5_000 }).map((d) => T + d + 0.25) },
);

const ops: fc.Arbitrary<Op[]> = fc.array(
  fc.oneof(
    { weight: 12, arbitrary: time.map((x) => ({ op: 'insert' as const, x })) },
    { weight: 3, arbitrary: fc.integer({ min: 1, max: 40 }).map((k) => ({ op: 'drop' as const, k })) },
    { weight: 1, arbitrary: fc.array(time, { maxLength: 60 }).map((xs) => ({ op: 'assign' as const, xs: [...xs].sort((a, b) => a - b) })) },
  ),
  // size 'max': fast-check otherwise keeps arrays to about ten elements, too few to leave the small storage.
  { maxLength: 400, size: 'max' },
);

function storage(s: SortedTimes): string {
  const buf = (s as unknown as { buf: unknown }).buf;
  return Array.isArray(buf) ? 'packed' : 'f64';
}

describe('SortedTimes', () => {
  it('answers like a sorted array through every storage it moves between', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(ops, (seq) => {
        const s = new SortedTimes();
        seen.add(storage(s));
        let ref: number[] = [];
        for (const o of seq) {
          if (o.op === 'insert') {
            s.insert(o.x);
            ref.push(o.x);
            ref.sort((a, b) => a - b);
          } else if (o.op === 'drop') {
            const k = Math.min(o.k, ref.length);
            if (k === 0) continue;
            s.dropFront(k);
            ref = ref.slice(k);
          } else {
            s.assign(o.xs);
            ref = [...o.xs];
          }
          check(s, ref);
          seen.add(storage(s));
        }
      }),
      { numRuns: 150 },
    );
    assert.deepEqual([...seen].sort(), ['f64', 'packed']);
  });

  it('holds a long in-order run in 4 bytes a time (two to a double), shedding from the front without growing', () => {
    const s = new SortedTimes();
    for (let i = 0; i < 131; i++) s.insert(T + i * 1000);
    for (let i = 131; i < 20_000; i++) {
      s.insert(T + i * 1000);
      s.dropFront(1);
    }
    assert.equal(s.length, 131);
    assert.equal(s.get(0), T + (20_000 - 131) * 1000);
    assert.equal(s.last(), T + 19_999 * 1000);
    // The private buffer: two offsets a double, the live times plus a little room.
    const buf = (s as unknown as { buf: ArrayLike<number> }).buf;
    assert.ok(Array.isArray(buf), 'stored as packed offsets');
    assert.ok(buf.length <= (131 + 8) / 2, `buffer of ${buf.length} doubles`);
  });

  it('gives back the room a burst needed once most of it has expired', () => {
    const s = new SortedTimes();
    for (let i = 0; i < 1000; i++) s.insert(T + i);
    s.dropFront(990);
    const buf = (s as unknown as { buf: ArrayLike<number> }).buf;
    assert.ok(buf.length < 50, `buffer of ${buf.length} doubles for 10 times`);
    assert.deepEqual(s.toArray(), Array.from({ length: 10 }, (_, i) => T + 990 + i));
  });
});
