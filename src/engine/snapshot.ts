import { z } from 'zod';
import type { DetectorSnapshot } from './detector.js';

/** The whole state of one engine, JSON-serialisable; checkpoints store exactly this. */
export interface EngineSnapshot {
  readonly version: 1;
  readonly latenessMs: number;
  readonly maxTs: number | null;
  readonly seq: number;
  readonly accepted: number;
  readonly late: number;
  readonly detectors: readonly DetectorSnapshot[];
}

const keySnapshot = z.strictObject({
  v: z.array(z.string().nullable()),
  t: z.array(z.number()).optional(),
  n: z.number().int().optional(),
  a: z.number().optional(),
  r: z.number().optional(),
  s: z.number().int().optional(),
  e: z.array(z.string()).optional(),
});

// Snapshots come back from disk or Kafka: they are outside input like any other.
export const engineSnapshotSchema = z.strictObject({
  version: z.literal(1),
  latenessMs: z.number(),
  maxTs: z.number().nullable(),
  seq: z.number().int(),
  accepted: z.number().int(),
  late: z.number().int(),
  detectors: z.array(z.strictObject({ id: z.string(), kind: z.string(), keys: z.array(keySnapshot) })),
});
