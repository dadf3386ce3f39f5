/** One sample of a key's window count: count(t) at one of its event times t. */
export interface Sample {
  readonly t: number;
  readonly c: number;
}

/** At most this many points per timeline, whatever the number of samples. */
export const MAX_TIMELINE_POINTS = 500;
// Each block contributes at most two points (its lowest and its highest sample); one block is
// still filling.
const MAX_BLOCKS = MAX_TIMELINE_POINTS / 2 - 1;

class Block {
  n = 0;
  tMin = 0;
  cMin = Infinity;
  tMax = 0;
  cMax = -Infinity;

  add(t: number, c: number): void {
    this.n++;
    if (c < this.cMin) {
      this.cMin = c;
      this.tMin = t;
    }
    if (c > this.cMax) {
      this.cMax = c;
      this.tMax = t;
    }
  }

  merge(o: Block): void {
    this.n += o.n;
    if (o.cMin < this.cMin) {
      this.cMin = o.cMin;
      this.tMin = o.tMin;
    }
    if (o.cMax > this.cMax) {
      this.cMax = o.cMax;
      this.tMax = o.tMax;
    }
  }

  points(): Sample[] {
    if (this.n === 0) return [];
    if (this.tMin === this.tMax) return [{ t: this.tMax, c: this.cMax }];
    const lo = { t: this.tMin, c: this.cMin };
    const hi = { t: this.tMax, c: this.cMax };
    return this.tMin < this.tMax ? [lo, hi] : [hi, lo];
  }
}

/**
 * A bounded min/max envelope of a key's samples, fed in increasing time order. Samples are
 * grouped into blocks of equal sample count; each block keeps its lowest and highest sample, so
 * peaks (what matters against a threshold) and dips (resolves) both survive any amount of input.
 * When the blocks run out, neighbours merge pairwise and the block size doubles.
 */
export class Timeline {
  private readonly blocks: Block[] = [];
  private blockSize = 1;
  private current = new Block();
  samples = 0;

  add(t: number, c: number): void {
    this.samples++;
    this.current.add(t, c);
    if (this.current.n < this.blockSize) return;
    this.blocks.push(this.current);
    this.current = new Block();
    if (this.blocks.length > MAX_BLOCKS) this.halve();
  }

  points(): Sample[] {
    const out: Sample[] = [];
    for (const b of this.blocks) out.push(...b.points());
    out.push(...this.current.points());
    return out;
  }

  private halve(): void {
    // Called at MAX_BLOCKS + 1 = 250 blocks: an even number, so every block has a partner.
    const merged: Block[] = [];
    for (let i = 0; i + 1 < this.blocks.length; i += 2) {
      const a = this.blocks[i] as Block;
      a.merge(this.blocks[i + 1] as Block);
      merged.push(a);
    }
    this.blocks.length = 0;
    this.blocks.push(...merged);
    this.blockSize *= 2;
  }
}

/** A fire or resolve of the configured detector, drawn on a key's timeline. */
export interface Mark {
  readonly type: 'fired' | 'resolved';
  readonly at: number;
}

/** Marks kept per key: enough for any readable chart; the rest are counted, not kept. */
export const MAX_MARKS = 100;
