// Event-time merge of the input partitions before re-keying, as Kafka Streams picks the next
// record by timestamp across a task's partitions. Without it a backlog is copied a fetch of one
// partition after a fetch of the next, and a caller's events reach `<group>-by-caller` jumping
// back and forth in time by more than the allowed lateness (dropped as late).
//
// Records wait in one queue per input partition; the smallest event time among the queue heads
// goes out next, as long as every partition that still has unread records (lag) has something
// queued. A partition that stays empty (its fetch is slow) is waited for at most `maxWaitMs`.

export interface Queued<T> {
  readonly ts: number;
  readonly offset: number;
  readonly item: T;
}

interface PartitionQueue<T> {
  items: Queued<T>[];
  head: number;
  /** Next offset after everything received from this partition. */
  fetched: number;
  /** The partition has unread records at the broker. */
  lagging: boolean;
  /** When it became empty while lagging (epoch ms), for the wait bound. */
  emptySince: number | undefined;
}

export class TimeMerge<T> {
  private readonly queues = new Map<string, PartitionQueue<T>>();

  constructor(private readonly maxWaitMs: number) {}

  /**
   * An assigned partition not fetched yet: it may hold older records than the others, so it is
   * waited for like a lagging one (at most maxWaitMs when it turns out to be empty).
   */
  expect(key: string, nextOffset: number | undefined): void {
    if (!this.queues.has(key)) this.queues.set(key, { items: [], head: 0, fetched: nextOffset ?? -1, lagging: true, emptySince: undefined });
  }

  /** Adds a fetched batch (offset order); `handled` records (dead letters) need no emission. */
  add(key: string, items: readonly Queued<T>[], nextOffset: number, highWatermark: number): void {
    let q = this.queues.get(key);
    if (q === undefined) {
      q = { items: [], head: 0, fetched: nextOffset, lagging: false, emptySince: undefined };
      this.queues.set(key, q);
    }
    for (const it of items) q.items.push(it);
    q.fetched = nextOffset;
    q.lagging = highWatermark > nextOffset;
    q.emptySince = undefined;
  }

  /** Records ready to go out, in event-time order (ties: partition key, then offset). */
  drain(now: number): { key: string; q: Queued<T> }[] {
    const out: { key: string; q: Queued<T> }[] = [];
    while (true) {
      let bestKey: string | undefined;
      let best: Queued<T> | undefined;
      let blocked = false;
      for (const [key, q] of this.queues) {
        const h = q.items[q.head];
        if (h === undefined) {
          if (q.lagging) {
            q.emptySince ??= now;
            if (now - q.emptySince < this.maxWaitMs) blocked = true;
          }
          continue;
        }
        if (best === undefined || h.ts < best.ts || (h.ts === best.ts && key < (bestKey ?? ''))) {
          best = h;
          bestKey = key;
        }
      }
      if (blocked || best === undefined || bestKey === undefined) break;
      const q = this.queues.get(bestKey) as PartitionQueue<T>;
      q.head++;
      if (q.head === q.items.length) {
        q.items = [];
        q.head = 0;
      }
      out.push({ key: bestKey, q: best });
    }
    return out;
  }

  /**
   * The offset to commit for a partition: its first record still queued, or everything fetched.
   * Undefined for a partition never seen.
   */
  committable(key: string): number | undefined {
    const q = this.queues.get(key);
    if (q === undefined) return undefined;
    const offset = q.items[q.head]?.offset ?? q.fetched;
    return offset < 0 ? undefined : offset;
  }

  /** Records queued for one partition (to pause its fetching when it runs ahead). */
  size(key: string): number {
    const q = this.queues.get(key);
    return q === undefined ? 0 : q.items.length - q.head;
  }

  /** Whether any queued record is waiting on a partition that has not delivered yet. */
  get waiting(): boolean {
    for (const q of this.queues.values()) if (q.items.length - q.head > 0) return true;
    return false;
  }

  keys(): IterableIterator<string> {
    return this.queues.keys();
  }

  /** Forgets everything (after a rebalance, kafkajs fetches again from the committed offsets). */
  clear(): void {
    this.queues.clear();
  }
}
