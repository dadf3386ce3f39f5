import { scheduleAt, type Agenda } from './detector.js';
import { Heap } from './heap.js';

/** A key with a pending watermark-driven resolve. */
export interface Resolving {
  /** When the active alert resolves; while the key waits it may only move later. */
  resolveAt: number;
  /** The resolve time the key was filed under (<= resolveAt); kept by the queue. */
  heapAt: number;
  /** Fire order: equal resolve times resolve in it. */
  readonly seq: number;
}

/**
 * Pending resolves in time order, ties in fire order. A key's resolve time only moves later while
 * it waits, so instead of a decrease-key the queue re-files a key that reaches the top with an
 * outdated time (lazy decrease-key): moving a resolve later costs nothing until it matters.
 */
export class ResolveQueue<K extends Resolving> {
  private readonly heap = new Heap<K>((a, b) => a.heapAt < b.heapAt || (a.heapAt === b.heapAt && a.seq < b.seq));

  constructor(private readonly agenda: Agenda) {}

  /** Files `k` under its current resolveAt; its seq must already be set. */
  add(k: K): void {
    k.heapAt = k.resolveAt;
    this.heap.push(k);
    scheduleAt(this.agenda, k.heapAt);
  }

  /** A lower bound on the earliest pending resolve time (a filed time, never later than the real one). */
  dueAt(): number {
    return this.heap.peek()?.heapAt ?? Infinity;
  }

  /** The earliest pending resolve time, or Infinity. */
  nextAt(): number {
    while (true) {
      const top = this.heap.peek();
      if (top === undefined) return Infinity;
      if (top.heapAt === top.resolveAt) return top.heapAt;
      this.heap.pop();
      this.add(top);
    }
  }

  /** Fire order of the key nextAt() returned the time of. */
  nextSeq(): number {
    return this.heap.peek()?.seq ?? Infinity;
  }

  /** Removes the key nextAt() returned the time of. */
  pop(): K | undefined {
    return this.heap.pop();
  }
}
