// The outbox log: one JSON record per line. State per (notification id, sink) is the fold of its
// records; the file is an edge, so every line is validated when read back.
import { z } from 'zod';
import type { Notification } from '../alerts/notification.js';
import { notificationSchema } from '../alerts/notification-schema.js';

export type OutboxRecord =
  /** New notification for these sinks; written before any attempt. */
  | { readonly t: 'enq'; readonly sinks: readonly string[]; readonly n: Notification }
  /** About to send (attempt number): after a crash this means "may have been sent". */
  | { readonly t: 'try'; readonly id: string; readonly sink: string; readonly attempt: number; readonly at: number }
  /** An attempt failed and will be retried; `uncertain`: the receiver may have acted on it. */
  | { readonly t: 'fail'; readonly id: string; readonly sink: string; readonly at: number; readonly reason: string; readonly uncertain: boolean }
  | { readonly t: 'ok'; readonly id: string; readonly sink: string; readonly at: number }
  /** Permanently refused by the receiver. */
  | { readonly t: 'drop'; readonly id: string; readonly sink: string; readonly at: number; readonly reason: string }
  /** Not delivered within the maximum age. */
  | { readonly t: 'gaveup'; readonly id: string; readonly sink: string; readonly at: number; readonly reason: string }
  /** A drop or give-up was told in a later successful message of the sink. */
  | { readonly t: 'reported'; readonly id: string; readonly sink: string; readonly at: number }
  /** Compacted form of a finished entry: kept only so that it is never sent again. */
  | {
      readonly t: 'done';
      readonly id: string;
      readonly sink: string;
      readonly at: number;
      readonly outcome: 'ok' | 'drop' | 'gaveup';
      readonly reported: boolean;
      readonly createdAt: number;
      readonly reason?: string;
    };

const ref = { id: z.string().min(1), sink: z.string().min(1), at: z.number() };

export const outboxRecordSchema: z.ZodType<OutboxRecord> = z.discriminatedUnion('t', [
  z.strictObject({ t: z.literal('enq'), sinks: z.array(z.string().min(1)).min(1), n: notificationSchema }),
  z.strictObject({ t: z.literal('try'), ...ref, attempt: z.number().int().positive() }),
  z.strictObject({ t: z.literal('fail'), ...ref, reason: z.string(), uncertain: z.boolean() }),
  z.strictObject({ t: z.literal('ok'), ...ref }),
  z.strictObject({ t: z.literal('drop'), ...ref, reason: z.string() }),
  z.strictObject({ t: z.literal('gaveup'), ...ref, reason: z.string() }),
  z.strictObject({ t: z.literal('reported'), ...ref }),
  z.strictObject({
    t: z.literal('done'),
    ...ref,
    outcome: z.enum(['ok', 'drop', 'gaveup']),
    reported: z.boolean(),
    createdAt: z.number(),
    reason: z.string().optional(),
  }),
]);
