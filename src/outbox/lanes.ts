// Per-sink queues. Entries with the same order key form a lane and leave it strictly in order
// (one in flight per lane), so a resolve never overtakes its trigger; different lanes are served
// round-robin from a ready queue, so one stuck alert does not hold up the others.
import type { Entry } from './entry.js';

export class Lane {
  readonly entries: Entry[] = [];
  private head = 0;
  busy = false;
  queued = false;

  constructor(readonly key: string) {}

  get first(): Entry | undefined {
    return this.entries[this.head];
  }

  get size(): number {
    return this.entries.length - this.head;
  }

  push(e: Entry): void {
    this.entries.push(e);
  }

  /** The earliest `createdAt` among the entries still in the lane (Infinity when empty). */
  oldestCreatedAt(): number {
    let min = Infinity;
    for (let i = this.head; i < this.entries.length; i++) {
      const at = this.entries[i]?.createdAt ?? Infinity;
      if (at < min) min = at;
    }
    return min;
  }

  shift(): void {
    this.head++;
    if (this.head > 64 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
  }
}

/**
 * Lanes whose head may be sent, oldest head first (a binary heap on the head's sequence number):
 * across lanes a sink receives notifications in the order they were produced, as far as
 * retries allow; within a lane the order is strict.
 */
export class ReadyQueue {
  private readonly heap: Lane[] = [];

  get length(): number {
    return this.heap.length;
  }

  private seq(l: Lane): number {
    return l.first?.seq ?? Infinity;
  }

  push(l: Lane): void {
    if (l.queued) return;
    l.queued = true;
    const h = this.heap;
    h.push(l);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p];
      if (parent === undefined || this.seq(parent) <= this.seq(l)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = l;
  }

  shift(): Lane | undefined {
    const h = this.heap;
    const top = h[0];
    if (top === undefined) return undefined;
    top.queued = false;
    const last = h.pop();
    if (last !== undefined && h.length > 0) {
      let i = 0;
      const k = this.seq(last);
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const left = h[l];
        const right = h[r];
        if (left === undefined) break;
        const c = right !== undefined && this.seq(right) < this.seq(left) ? right : left;
        if (this.seq(c) >= k) break;
        h[i] = c;
        i = c === right ? r : l;
      }
      h[i] = last;
    }
    return top;
  }
}
