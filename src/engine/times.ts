/**
 * A sorted multiset of epoch-ms timestamps in a Float64Array window [start, end). Appends at the
 * end are the common case (events arrive nearly in order); out-of-order inserts shift the tail.
 */
export class SortedTimes {
  buf: Float64Array;
  start = 0;
  end = 0;

  constructor(capacity = 4) {
    this.buf = new Float64Array(capacity);
  }

  get length(): number {
    return this.end - this.start;
  }

  get(i: number): number {
    return this.buf[this.start + i] as number;
  }

  last(): number {
    return this.buf[this.end - 1] as number;
  }

  /** Number of stored times <= x. */
  countAtMost(x: number): number {
    const b = this.buf;
    let lo = this.start;
    let hi = this.end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((b[mid] as number) <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo - this.start;
  }

  /** Number of stored times < x. */
  countBelow(x: number): number {
    const b = this.buf;
    let lo = this.start;
    let hi = this.end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((b[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo - this.start;
  }

  insert(x: number): void {
    if (this.end === this.buf.length) this.makeRoom();
    const b = this.buf;
    if (this.end === this.start || (b[this.end - 1] as number) <= x) {
      b[this.end++] = x;
      return;
    }
    const pos = this.start + this.countAtMost(x);
    b.copyWithin(pos + 1, pos, this.end);
    b[pos] = x;
    this.end++;
  }

  dropFront(k: number): void {
    this.start += k;
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
    }
  }

  /** Replaces the contents with already-sorted values (after compaction or restore). */
  assign(values: ArrayLike<number>): void {
    if (values.length > this.buf.length || values.length < this.buf.length >> 2) this.buf = new Float64Array(Math.max(4, values.length));
    this.buf.set(values as ArrayLike<number>, 0);
    this.start = 0;
    this.end = values.length;
  }

  toArray(): number[] {
    return Array.from(this.buf.subarray(this.start, this.end));
  }

  private makeRoom(): void {
    const len = this.end - this.start;
    // Reuse the buffer while it is at most 3/4 full, otherwise grow by half: copying stays
    // amortised O(1) per insert and the buffer never holds much more than it needs.
    if (len <= (this.buf.length * 3) >> 2 && this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end);
    } else {
      const next = new Float64Array(Math.max(4, Math.ceil(this.buf.length * 1.5)));
      next.set(this.buf.subarray(this.start, this.end), 0);
      this.buf = next;
    }
    this.start = 0;
    this.end = len;
  }
}
