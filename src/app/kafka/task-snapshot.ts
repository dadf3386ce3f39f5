// What a checkpoint of one detection partition holds, and its schema: checkpoints come back
// from Kafka, so they are outside input like any other and validated field by field.
import { z } from 'zod';
import { EVENT_STRING_FIELDS } from '../../events/audit-event.js';
import { engineSnapshotSchema, type EngineSnapshot } from '../../engine/snapshot.js';
import type { Transition } from '../../engine/transition.js';
import type { KafkaNotification } from './deliver.js';

export interface TaskSnapshot {
  readonly v: 1;
  readonly topic: string;
  readonly partition: number;
  /** Next detection offset to process; null when the partition had no record yet. */
  readonly offset: number | null;
  readonly engine: EngineSnapshot;
  /** Re-keyed input only: the highest source offset seen per source "topic/partition". */
  readonly dedupe: readonly (readonly [string, number])[];
  /** Notifications handed over but not acked when the snapshot was taken. */
  readonly pending: readonly PendingJson[];
}

interface PendingJson {
  readonly id: string;
  readonly offset: number;
  readonly transition: Transition;
}

const base = {
  detector: z.string().min(1).max(64),
  severity: z.enum(['info', 'warning', 'critical']),
  keyFields: z.array(z.enum(EVENT_STRING_FIELDS)),
  key: z.array(z.string().nullable()),
  at: z.number(),
};

const transitionSchema = z.discriminatedUnion('type', [
  z.strictObject({
    ...base,
    type: z.literal('fired'),
    count: z.number(),
    threshold: z.number(),
    windowMs: z.number().optional(),
    evidence: z.strictObject({ path: z.string(), rule: z.string() }).optional(),
  }),
  z.strictObject({ ...base, type: z.literal('resolved'), firedAt: z.number() }),
]);

export const taskSnapshotSchema = z.strictObject({
  v: z.literal(1),
  topic: z.string().min(1),
  partition: z.number().int().nonnegative(),
  offset: z.number().int().nonnegative().nullable(),
  engine: engineSnapshotSchema,
  dedupe: z.array(z.tuple([z.string(), z.number().int()])),
  pending: z.array(z.strictObject({ id: z.string().min(1).max(200), offset: z.number().int().nonnegative(), transition: transitionSchema })),
});

export function pendingJson(ns: readonly KafkaNotification[]): PendingJson[] {
  return ns.map((n) => ({ id: n.id, offset: n.offset, transition: n.transition }));
}

/** Validates a decoded checkpoint; the message names the first bad field. */
export function parseTaskSnapshot(value: unknown): { ok: true; snapshot: TaskSnapshot } | { ok: false; problem: string } {
  const res = taskSnapshotSchema.safeParse(value);
  if (res.success) {
    const s = res.data;
    // Optional fields are left out rather than set to undefined: the engine snapshot type is exact.
    return { ok: true, snapshot: s as TaskSnapshot };
  }
  const first = res.error.issues[0];
  return { ok: false, problem: first === undefined ? 'invalid' : `${first.path.map(String).join('.')}: ${first.message}` };
}
