// The records of the state topic (`<group>-state`, compacted) and the offset-commit metadata
// that points into it. Partition p of the state topic is the log of detection partition p:
//
//   snapshot chunks   key s/<p>/<slot>/<i>   the deflated snapshot, cut under max.message.bytes
//   delivered acks    key d/<p>/<id>         a notification was delivered (tombstoned once obsolete)
//
// The committed offset of detection partition p carries {stateOffset, slot, id, streamTime} as
// its metadata: restoring reads the state partition from stateOffset to its end, takes the
// snapshot with that id and every ack after it. Snapshots alternate between two key slots and
// always go to the slot the committed one does not use, so compaction can never remove the
// snapshot a commit points to (a newer snapshot whose commit failed only overwrites its own slot).
//
// Nothing here knows what a snapshot holds: the payload is JSON the app validates.
import { promisify } from 'node:util';
import { deflateRaw, inflateRaw } from 'node:zlib';
import { z } from 'zod';
import { AuditwatchError } from '../errors.js';
import type { OutRecord, SourceRecord } from './source.js';

const deflate = promisify(deflateRaw);
const inflate = promisify(inflateRaw);

const KIND = 'aw-kind';
const META = 'aw-meta';

/** Where a checkpoint lives; stored as the commit metadata (well under Kafka's 4 KiB limit). */
export interface CheckpointRef {
  readonly v: 1;
  /** Offset of the snapshot's first chunk in the state partition. */
  readonly stateOffset: number;
  readonly slot: 0 | 1;
  readonly id: string;
  /** The partition's stream time (largest accepted event time) at the snapshot, epoch ms. */
  readonly streamTime: number | null;
  /** Chunks last written to each slot, so a smaller snapshot can tombstone the leftovers. */
  readonly chunks: readonly [number, number];
}

const refSchema = z.strictObject({
  v: z.literal(1),
  stateOffset: z.number().int().nonnegative(),
  slot: z.union([z.literal(0), z.literal(1)]),
  id: z.string().regex(/^[0-9a-f]{8,64}$/),
  streamTime: z.number().nullable(),
  chunks: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
});

export function encodeRef(ref: CheckpointRef): string {
  return JSON.stringify(ref);
}

/** The checkpoint a commit's metadata names, or undefined when the commit is not one of ours. */
export function decodeRef(metadata: string | null): CheckpointRef | undefined {
  if (metadata === null || metadata === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(metadata);
  } catch {
    return undefined;
  }
  const res = refSchema.safeParse(value);
  return res.success ? res.data : undefined;
}

const chunkMetaSchema = z.strictObject({
  v: z.literal(1),
  id: z.string().regex(/^[0-9a-f]{8,64}$/),
  index: z.number().int().nonnegative(),
  count: z.number().int().positive(),
  bytes: z.number().int().nonnegative(),
});
type ChunkMeta = z.infer<typeof chunkMetaSchema>;

const ackSchema = z.strictObject({
  v: z.literal(1),
  id: z.string().min(1).max(200),
  /** Detection offset of the event the notification came from. */
  offset: z.number().int().nonnegative(),
});
export type Ack = z.infer<typeof ackSchema>;

const chunkKey = (p: number, slot: number, i: number): string => `s/${p}/${slot}/${i}`;
const ackKey = (p: number, id: string): string => `d/${p}/${id}`;

export async function compressPayload(value: unknown): Promise<Buffer> {
  return deflate(Buffer.from(JSON.stringify(value), 'utf8'), { level: 1 });
}

/**
 * The records of one snapshot in `slot`: its chunks, then tombstones for chunk indexes the slot
 * held before (`previousChunks`) that this smaller snapshot does not overwrite.
 */
export function snapshotRecords(partition: number, slot: 0 | 1, id: string, payload: Buffer, chunkBytes: number, previousChunks: number): OutRecord[] {
  const count = Math.max(1, Math.ceil(payload.length / chunkBytes));
  const out: OutRecord[] = [];
  for (let i = 0; i < count; i++) {
    const meta: ChunkMeta = { v: 1, id, index: i, count, bytes: payload.length };
    out.push({ partition, key: chunkKey(partition, slot, i), value: payload.subarray(i * chunkBytes, (i + 1) * chunkBytes), headers: { [KIND]: 'snapshot', [META]: JSON.stringify(meta) } });
  }
  for (let i = count; i < previousChunks; i++) out.push({ partition, key: chunkKey(partition, slot, i), value: null });
  return out;
}

export function ackRecord(partition: number, ack: Ack): OutRecord {
  return { partition, key: ackKey(partition, ack.id), value: JSON.stringify(ack), headers: { [KIND]: 'delivered' } };
}

export function ackTombstone(partition: number, id: string): OutRecord {
  return { partition, key: ackKey(partition, id), value: null };
}

/** What a restore finds in a state partition from the checkpoint's offset on. */
export interface StateScan {
  /** The snapshot's JSON value (to be validated by the caller). */
  readonly snapshot: unknown;
  /** Notifications acknowledged after the snapshot was written: id → detection offset. */
  readonly delivered: ReadonlyMap<string, number>;
}

/** Collects the records of a state partition read from `ref.stateOffset` to its end. */
export class StateScanner {
  private readonly chunks = new Map<number, Buffer>();
  private count: number | undefined;
  private bytes = 0;
  private readonly delivered = new Map<string, number>();
  private invalid = 0;

  constructor(
    private readonly topic: string,
    private readonly partition: number,
    private readonly ref: CheckpointRef,
  ) {}

  add(records: readonly SourceRecord[]): void {
    for (const r of records) {
      const kind = r.headers[KIND]?.toString('utf8');
      if (r.value === null || kind === undefined) continue; // tombstones, foreign records
      if (kind === 'delivered') {
        const ack = parseJson(r.value, ackSchema);
        if (ack === undefined) this.invalid++;
        else this.delivered.set(ack.id, ack.offset);
      } else if (kind === 'snapshot') {
        const meta = parseJson(r.headers[META], chunkMetaSchema);
        if (meta === undefined) this.invalid++;
        else if (meta.id === this.ref.id) {
          this.count = meta.count;
          this.bytes = meta.bytes;
          // A retried send can write a chunk twice: the first copy wins, they are equal.
          if (!this.chunks.has(meta.index)) this.chunks.set(meta.index, r.value);
        }
      }
    }
  }

  /** Records that failed validation (counted, skipped). */
  get skipped(): number {
    return this.invalid;
  }

  async finish(): Promise<StateScan> {
    const where = { topic: this.topic, partition: this.partition, offset: this.ref.stateOffset, snapshot: this.ref.id };
    const count = this.count;
    if (count === undefined || this.chunks.size !== count) {
      throw new AuditwatchError(
        'KAFKA',
        `checkpoint ${this.ref.id} of partition ${this.partition} is missing from ${this.topic} at offset ${this.ref.stateOffset} (found ${this.chunks.size} of ${count ?? '?'} chunks): the state topic was deleted, truncated or compacted too early`,
        where,
      );
    }
    const parts: Buffer[] = [];
    for (let i = 0; i < count; i++) parts.push(this.chunks.get(i) as Buffer);
    const packed = Buffer.concat(parts);
    if (packed.length !== this.bytes) throw new AuditwatchError('KAFKA', `checkpoint ${this.ref.id} of partition ${this.partition} has ${packed.length} bytes, expected ${this.bytes}`, where);
    let snapshot: unknown;
    try {
      snapshot = JSON.parse((await inflate(packed)).toString('utf8'));
    } catch (err) {
      throw new AuditwatchError('KAFKA', `checkpoint ${this.ref.id} of partition ${this.partition} cannot be decoded`, where, { cause: err });
    }
    return { snapshot, delivered: this.delivered };
  }
}

function parseJson<T>(bytes: Buffer | undefined, schema: z.ZodType<T>): T | undefined {
  if (bytes === undefined) return undefined;
  try {
    const res = schema.safeParse(JSON.parse(bytes.toString('utf8')));
    return res.success ? res.data : undefined;
  } catch {
    return undefined;
  }
}
