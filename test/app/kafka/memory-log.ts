// An in-memory implementation of the partitioned-log interfaces (src/sources/source.ts): topics,
// committed offsets with metadata, consumer groups with eager rebalances. Batches are handed out
// by `pump()` one at a time, so a test decides exactly where an instance crashes, joins or leaves.
// It keeps the contract kafkajs is held to: a rebalance happens between batches, every partition
// of a new assignment starts paused, a batch may repeat records after a rebalance (positions
// restart from the committed offsets), commits from a member of an old generation are refused.
import { AuditwatchError } from '../../../src/errors.js';
import type {
  BatchControl,
  CommittedOffset,
  GroupConsumer,
  GroupConsumerOptions,
  GroupListener,
  LogClient,
  OffsetCommit,
  OutRecord,
  SourceRecord,
  TopicPartition,
  TopicSpec,
} from '../../../src/sources/source.js';

const tpKey = (topic: string, partition: number): string => `${topic}/${partition}`;

function toRecord(r: OutRecord, offset: number): SourceRecord {
  const headers: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k] = Buffer.from(v);
  return { offset, key: r.key === null ? null : Buffer.from(r.key), value: r.value === null ? null : Buffer.from(r.value), headers, timestamp: 0 };
}

class Member implements GroupConsumer {
  listener: GroupListener | undefined;
  assignment: TopicPartition[] = [];
  generation = -1;
  alive = true;
  readonly positions = new Map<string, number>();
  readonly paused = new Set<string>();

  constructor(
    readonly group: Group,
    readonly opts: GroupConsumerOptions,
    /** The client (process) it belongs to. */
    readonly tag: string,
    private readonly check: () => void,
  ) {}

  async run(listener: GroupListener): Promise<void> {
    this.listener = listener;
    this.group.join(this);
  }

  seek(tp: TopicPartition, offset: number): void {
    this.positions.set(tpKey(tp.topic, tp.partition), offset);
  }

  pause(tps: readonly TopicPartition[]): void {
    for (const tp of tps) this.paused.add(tpKey(tp.topic, tp.partition));
  }

  resume(tps: readonly TopicPartition[]): void {
    for (const tp of tps) this.paused.delete(tpKey(tp.topic, tp.partition));
  }

  async commit(commits: readonly OffsetCommit[]): Promise<void> {
    this.check();
    this.group.commit(this, this.generation, commits);
  }

  async stop(): Promise<void> {
    if (!this.alive) return;
    this.alive = false;
    this.group.leave(this);
  }
}

class Group {
  readonly members: Member[] = [];
  generation = 0;
  /** Set by a join or leave: members learn it at their next heartbeat and rejoin between batches. */
  pendingRebalance = false;

  constructor(
    readonly cluster: MemoryCluster,
    readonly id: string,
  ) {}

  join(m: Member): void {
    this.members.push(m);
    this.rebalance();
  }

  leave(m: Member): void {
    const i = this.members.indexOf(m);
    if (i >= 0) this.members.splice(i, 1);
    this.rebalance();
  }

  /** Eager: every member gets its whole new assignment, paused, and positions from the commits. */
  rebalance(): void {
    this.pendingRebalance = false;
    this.generation++;
    const topics = this.members[0]?.opts.topics ?? [];
    const all: TopicPartition[] = [];
    for (const t of topics) for (let p = 0; p < this.cluster.partitions(t); p++) all.push({ topic: t, partition: p });
    this.members.forEach((m, i) => {
      m.generation = this.generation;
      m.assignment = all.filter((_, k) => k % this.members.length === i);
      m.positions.clear();
      for (const tp of m.assignment) {
        const c = this.cluster.committedOffset(this.id, tp);
        m.positions.set(tpKey(tp.topic, tp.partition), c?.offset ?? (m.opts.fromBeginning ? 0 : this.cluster.end(tp)));
      }
      m.paused.clear();
      for (const tp of m.assignment) m.paused.add(tpKey(tp.topic, tp.partition));
      m.listener?.assigned(m.assignment);
    });
  }

  commit(m: Member, generation: number, commits: readonly OffsetCommit[]): void {
    if (!m.alive || generation !== this.generation || !this.members.includes(m)) {
      throw new AuditwatchError('KAFKA', `commit refused: generation ${generation} is not ${this.generation}`, { group: this.id, rebalance: true }, { retriable: true });
    }
    for (const c of commits) this.cluster.commits.set(`${this.id}|${tpKey(c.topic, c.partition)}`, { offset: c.offset, metadata: c.metadata });
  }
}

export class MemoryCluster {
  readonly logs = new Map<string, SourceRecord[][]>();
  readonly configs = new Map<string, Readonly<Record<string, string>>>();
  readonly commits = new Map<string, CommittedOffset>();
  readonly groups = new Map<string, Group>();
  batchSize = 50;

  createTopic(topic: string, partitions: number): void {
    this.logs.set(topic, Array.from({ length: partitions }, () => []));
  }

  partitions(topic: string): number {
    return this.logs.get(topic)?.length ?? 0;
  }

  end(tp: TopicPartition): number {
    return this.logs.get(tp.topic)?.[tp.partition]?.length ?? 0;
  }

  committedOffset(group: string, tp: TopicPartition): CommittedOffset | undefined {
    return this.commits.get(`${group}|${tpKey(tp.topic, tp.partition)}`);
  }

  append(topic: string, records: readonly OutRecord[]): Map<number, number> {
    const log = this.logs.get(topic);
    if (log === undefined) throw new AuditwatchError('KAFKA', `no topic ${topic}`, { topic }, { retriable: false });
    const base = new Map<number, number>();
    for (const r of records) {
      const part = log[r.partition];
      if (part === undefined) throw new Error(`no partition ${r.partition} in ${topic}`);
      if (!base.has(r.partition)) base.set(r.partition, part.length);
      part.push(toRecord(r, part.length));
    }
    return base;
  }

  private group(id: string): Group {
    let g = this.groups.get(id);
    if (g === undefined) {
      g = new Group(this, id);
      this.groups.set(id, g);
    }
    return g;
  }

  private readonly dead = new Set<string>();
  private readonly sendsLeft = new Map<string, number>();
  private readonly members = new Map<string, Member[]>();

  /** Whether the process of client `tag` was killed. */
  isDead(tag: string): boolean {
    return this.dead.has(tag);
  }

  /** SIGKILL of the process that uses client `tag`: its consumers leave, its I/O fails for good. */
  kill(tag: string): void {
    this.dead.add(tag);
    for (const m of this.members.get(tag) ?? []) {
      if (!m.alive) continue;
      m.alive = false;
      m.group.leave(m);
    }
  }

  /** Kills client `tag` right after its next `n` successful sends (in the middle of a batch). */
  killAfterSends(tag: string, n: number): void {
    this.sendsLeft.set(tag, n);
  }

  client(tag = 'default'): LogClient {
    // Arrow functions below refer to the cluster, not to the client object they sit in.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const cluster = this;
    const alive = (): void => {
      if (cluster.dead.has(tag)) throw new AuditwatchError('KAFKA', `process ${tag} is dead`, {}, { retriable: false });
    };
    const members: Member[] = [];
    this.members.set(tag, members);
    return {
      admin: {
        partitionCount: async (t) => (cluster.logs.has(t) ? cluster.partitions(t) : undefined),
        createTopic: async (spec: TopicSpec) => {
          if (cluster.logs.has(spec.topic)) return false;
          cluster.createTopic(spec.topic, spec.partitions);
          cluster.configs.set(spec.topic, spec.config);
          return true;
        },
        topicConfig: async (t) => new Map(Object.entries({ 'max.message.bytes': '1048588', ...cluster.configs.get(t) })),
        committed: async (group, t) => {
          const out = new Map<number, CommittedOffset>();
          for (let p = 0; p < cluster.partitions(t); p++) out.set(p, cluster.committedOffset(group, { topic: t, partition: p }) ?? { offset: undefined, metadata: null });
          return out;
        },
        endOffsets: async (t) => new Map(Array.from({ length: cluster.partitions(t) }, (_, p) => [p, cluster.end({ topic: t, partition: p })])),
      },
      writer: {
        send: async (topic, records) => {
          alive();
          const out = cluster.append(topic, records);
          const left = cluster.sendsLeft.get(tag);
          if (left !== undefined) {
            if (left <= 1) cluster.kill(tag);
            else cluster.sendsLeft.set(tag, left - 1);
          }
          return out;
        },
      },
      reader: {
        read: async (tp, from, to, onRecords) => {
          alive();
          const part = cluster.logs.get(tp.topic)?.[tp.partition] ?? [];
          onRecords(part.slice(from, to));
        },
      },
      consumer: (opts) => {
        const m = new Member(cluster.group(opts.groupId), opts, tag, alive);
        members.push(m);
        return m;
      },
      connect: async () => undefined,
      close: async () => undefined,
    };
  }

  /**
   * Hands out up to `max` batches (one partition each, in turn), then lets the async work
   * (restores, acks) settle. Returns how many batches were consumed.
   */
  async pump(max = Infinity): Promise<number> {
    let n = 0;
    let progress = true;
    let waitedMs = 0;
    while (n < max) {
      if (!progress) {
        // Partitions that have records but are still paused are being restored (reads, zlib):
        // wait for them, a little at a time, rather than calling the stream done.
        if (!this.restoring() || waitedMs >= 10_000) break;
        await new Promise((r) => setTimeout(r, 5));
        waitedMs += 5;
      }
      progress = false;
      await settle();
      for (const g of this.groups.values()) {
        for (const m of [...g.members]) {
          for (const tp of m.assignment) {
            if (n >= max || !m.alive || m.generation !== g.generation) break;
            const key = tpKey(tp.topic, tp.partition);
            const pos = m.positions.get(key) ?? 0;
            const part = this.logs.get(tp.topic)?.[tp.partition] ?? [];
            if (m.paused.has(key) || pos >= part.length) continue;
            const records = part.slice(pos, pos + this.batchSize);
            const generation = m.generation;
            const control: BatchControl = {
              commit: async (cs) => {
                if (this.dead.has(m.tag)) throw new AuditwatchError('KAFKA', 'dead', {}, { retriable: false });
                g.commit(m, generation, cs);
              },
              heartbeat: async () => {
                if (g.pendingRebalance || generation !== g.generation) throw new AuditwatchError('KAFKA', 'rebalancing', { rebalance: true }, { retriable: true });
              },
            };
            let consumed = false;
            try {
              consumed = (await m.listener?.batch({ topic: tp.topic, partition: tp.partition, records, highWatermark: part.length }, control)) ?? false;
            } catch (err) {
              // A rebalance is the member's cue to rejoin; a dead process's failures go nowhere.
              if (!(err instanceof AuditwatchError && err.context.rebalance === true) && !this.dead.has(m.tag)) throw err;
            }
            if (consumed && m.generation === generation) m.positions.set(key, pos + records.length);
            if (g.pendingRebalance) g.rebalance();
            n++;
            progress = true;
            await settle();
          }
        }
      }
    }
    await settle();
    return n;
  }

  private restoring(): boolean {
    for (const g of this.groups.values()) {
      for (const m of g.members) {
        if (!m.alive || this.dead.has(m.tag)) continue;
        for (const tp of m.assignment) {
          const key = tpKey(tp.topic, tp.partition);
          if (m.paused.has(key) && (m.positions.get(key) ?? 0) < this.end(tp)) return true;
        }
      }
    }
    return false;
  }

  /** A new member joining: the others notice it at their next heartbeat, as with a real coordinator. */
  requestRebalance(groupId: string): void {
    const g = this.groups.get(groupId);
    if (g !== undefined) g.pendingRebalance = true;
  }
}

/** Lets promise chains (restores, writes) run to completion. */
async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) await new Promise<void>((r) => setImmediate(r));
}
