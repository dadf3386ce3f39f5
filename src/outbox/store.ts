// Where the outbox keeps its delivery state durably.
//
// ┌ The OutboxStore contract ────────────────────────────────────────────────────────────────┐
// │ The store is a log of OutboxRecords (records.ts). The deliverer keeps the live state in   │
// │ memory and only ever asks the store to:                                                    │
// │   load()     once, before anything else: every record written before, in order (a torn   │
// │              last record from a crash is dropped, never an error);                         │
// │   append(rs) add records; the promise resolves only when they are DURABLE — the          │
// │              deliverer awaits it before any network call the records announce ('enq',     │
// │              'try'), which is what makes "recorded before sending" hold. Appends resolve  │
// │              in call order;                                                                │
// │   rewrite(f) replace the whole content atomically with f(): f is called once all earlier   │
// │              appends are written and before any later one, so it sees exactly their state; │
// │   appendedSinceRewrite  how many records were appended since load/rewrite (compaction     │
// │              trigger).                                                                     │
// │ Ids in records are deterministic (derived from transition ids), so a store that survives │
// │ restarts makes delivery idempotent. Kafka mode can implement this interface on top of the │
// │ partition checkpoint (keeping 'done' ids there) instead of a local file, as long as       │
// │ append() resolves only once the records are committed.                                    │
// └──────────────────────────────────────────────────────────────────────────────────────────┘
import type { OutboxRecord } from './records.js';

export interface LoadResult {
  readonly records: readonly OutboxRecord[];
  /** Lines that could not be read (corrupt, not a torn tail); reported by the caller. */
  readonly skipped: number;
  /** A torn last line (crash mid-write) was dropped. */
  readonly tornTail: boolean;
}

export interface OutboxStore {
  load(): Promise<LoadResult>;
  append(records: readonly OutboxRecord[]): Promise<void>;
  rewrite(records: () => readonly OutboxRecord[]): Promise<void>;
  readonly appendedSinceRewrite: number;
  /** Human description for messages: the file path, or "memory". */
  readonly description: string;
  close(): Promise<void>;
}

/** In-memory store: for the console-only default, tests and benchmarks. Nothing survives a restart. */
export class MemoryStore implements OutboxStore {
  private records: OutboxRecord[] = [];
  private appended = 0;
  readonly description = 'memory';

  constructor(initial: readonly OutboxRecord[] = []) {
    this.records = [...initial];
  }

  load(): Promise<LoadResult> {
    return Promise.resolve({ records: [...this.records], skipped: 0, tornTail: false });
  }

  append(records: readonly OutboxRecord[]): Promise<void> {
    this.records.push(...records);
    this.appended += records.length;
    return Promise.resolve();
  }

  rewrite(records: () => readonly OutboxRecord[]): Promise<void> {
    this.records = [...records()];
    this.appended = 0;
    return Promise.resolve();
  }

  get appendedSinceRewrite(): number {
    return this.appended;
  }

  /** Everything written so far (tests). */
  snapshot(): readonly OutboxRecord[] {
    return this.records;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
