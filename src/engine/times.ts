/*
 * A sorted multiset of epoch-ms timestamps: the live ones are elements [start, end), each stored
 * as its offset from `base`. Appends at the end are the common case (events arrive nearly in
 * order); an out-of-order insert shifts the tail.
 *
 * Memory is what bounds the number of keys a detector can hold, and an active key under a burst
 * must keep threshold + 1 times and more (see threshold.ts), so the times are packed:
 *   - two 26-bit offsets to a double of a plain array, when they span less than 2^26 ms (18.6
 *     hours): 4 bytes a time, in an array whose own cost is a few dozen bytes (a typed array
 *     costs about 185 bytes of objects before its first element, more than most keys hold);
 *   - 64-bit times in a Float64Array otherwise: a window of a day or more, fractional times, or
 *     more times than a plain array is kept for.
 */

/** Offsets below 2^26: a double holds two of them exactly, as even * 2^26 + odd. */
const HALF = 2 ** 26;
/** Above this many, times go to a Float64Array: `new Array(n)` stays a fast array well below V8's limit. */
const MAX_PACKED = 16_384;

export class SortedTimes {
  /** Packed pairs of offsets (a plain array), or times (a Float64Array, base 0). */
  private buf: number[] | Float64Array = NONE;
  private base = 0;
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  get(i: number): number {
    return this.at(this.start + i) + this.base;
  }

  last(): number {
    return this.at(this.end - 1) + this.base;
  }

  /** Number of stored times <= x. */
  countAtMost(x: number): number {
    const v = x - this.base;
    let lo = this.start;
    let hi = this.end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid) <= v) lo = mid + 1;
      else hi = mid;
    }
    return lo - this.start;
  }

  /** Number of stored times < x. */
  countBelow(x: number): number {
    const v = x - this.base;
    let lo = this.start;
    let hi = this.end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid) < v) lo = mid + 1;
      else hi = mid;
    }
    return lo - this.start;
  }

  insert(x: number): void {
    const n = this.end - this.start;
    if (n === 0) {
      // Most keys hold one or two times: a one-element array, nothing more.
      if (Number.isInteger(x)) {
        this.buf = [0];
        this.base = x;
        this.start = 0;
        this.end = 1;
      } else {
        this.place([x], 1, x);
      }
      return;
    }
    const b = this.buf;
    const full = this.end === (Array.isArray(b) ? 2 * b.length : b.length);
    if (full || (Array.isArray(b) && !this.packs(x))) this.rebuild(n + 1, x);
    const v = x - this.base;
    let i = this.end;
    // Shift the times after x one place right, from the end.
    while (i > this.start && this.at(i - 1) > v) {
      this.put(i, this.at(i - 1));
      i--;
    }
    this.put(i, v);
    this.end++;
  }

  dropFront(k: number): void {
    this.start += k;
    const n = this.end - this.start;
    if (n === 0) {
      // Nothing left: the next insert starts afresh.
      this.buf = NONE;
      this.base = 0;
      this.start = 0;
      this.end = 0;
    } else if (this.capacity() > 4 * capacityFor(n)) {
      // A burst is over: give back the room it needed.
      this.rebuild(n, this.get(0));
    }
  }

  /** Replaces the contents with already-sorted values (after compaction or restore). */
  assign(values: readonly number[]): void {
    this.buf = NONE;
    this.base = 0;
    this.start = 0;
    this.end = 0;
    if (values.length > 0) this.place(values, values.length, values[0] as number);
  }

  toArray(): number[] {
    const out: number[] = [];
    for (let i = this.start; i < this.end; i++) out.push(this.at(i) + this.base);
    return out;
  }

  /** Element j (an offset from base). */
  private at(j: number): number {
    const b = this.buf;
    if (!Array.isArray(b)) return b[j] as number;
    const pair = b[j >> 1] as number;
    const even = Math.floor(pair / HALF);
    return (j & 1) === 0 ? even : pair - even * HALF;
  }

  private put(j: number, v: number): void {
    const b = this.buf;
    if (!Array.isArray(b)) {
      b[j] = v;
      return;
    }
    const p = j >> 1;
    const pair = b[p] as number;
    const even = Math.floor(pair / HALF);
    b[p] = (j & 1) === 0 ? v * HALF + (pair - even * HALF) : even * HALF + v;
  }

  private capacity(): number {
    const b = this.buf;
    return Array.isArray(b) ? 2 * b.length : b.length;
  }

  /** Whether x can join the packed offsets as they are. */
  private packs(x: number): boolean {
    return Number.isInteger(x) && x >= this.base && x - this.base < HALF;
  }

  /** Makes room for `need` times, `x` among them, in a new buffer of the kind they call for. */
  private rebuild(need: number, x: number): void {
    this.place(this.toArray(), need, x);
  }

  /**
   * Stores sorted `live` in a new buffer with room for `need` times, packed when they and `x`
   * (about to be inserted) are whole milliseconds within 2^26 of each other, else as 64-bit times.
   */
  private place(live: readonly number[], need: number, x: number): void {
    const n = live.length;
    const lo = n > 0 ? Math.min(live[0] as number, x) : x;
    const hi = n > 0 ? Math.max(live[n - 1] as number, x) : x;
    const cap = capacityFor(need);
    this.start = 0;
    this.end = n;
    if (hi - lo < HALF && cap <= MAX_PACKED && Number.isInteger(x) && live.every(Number.isInteger)) {
      this.buf = new Array<number>((cap + 1) >> 1).fill(0);
      this.base = lo;
      for (let i = 0; i < n; i++) this.put(i, (live[i] as number) - lo);
      return;
    }
    const f = new Float64Array(cap);
    f.set(live);
    this.buf = f;
    this.base = 0;
  }
}

const NONE: number[] = [];

/**
 * Room for `need` times. Little to spare: the buffer is what an active key's memory is, and when
 * an append finds it full the rebuild costs a copy of a few hundred bytes, small next to the
 * event that caused it.
 */
function capacityFor(need: number): number {
  return need + (need >> 5) + 2;
}
