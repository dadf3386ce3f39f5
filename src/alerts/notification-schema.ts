// zod schema for a Notification read back from disk (the outbox file is an edge like any other:
// a hand-edited or half-written row must fail validation, not crash a sink).
import { z } from 'zod';
import type { Notification } from './notification.js';

const severity = z.enum(['info', 'warning', 'critical']);
const keyPair = z.tuple([z.string(), z.string().nullable()]);

const alertItem = z.strictObject({
  incidentId: z.string(),
  alertKeyId: z.string(),
  detector: z.string(),
  severity,
  key: z.array(keyPair),
  firedAt: z.number(),
  resolvedAt: z.number().optional(),
  count: z.number().optional(),
  threshold: z.number().optional(),
  windowMs: z.number().optional(),
  evidence: z.strictObject({ path: z.string(), rule: z.string() }).optional(),
});

const detectorInfo = z.strictObject({ id: z.string(), description: z.string().optional(), runbook: z.string().optional() });
const members = z.strictObject({ total: z.number().int().nonnegative(), top: z.array(alertItem) });

const body = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('alert'), status: z.enum(['firing', 'resolved']), alert: alertItem, detector: detectorInfo }),
  z.strictObject({
    type: z.literal('group'),
    status: z.enum(['firing', 'resolved', 'reminder']),
    route: z.string(),
    labels: z.array(keyPair),
    detectors: z.array(detectorInfo),
    firing: members,
    newCount: z.number().int().nonnegative(),
    resolved: members,
    firstFiredAt: z.number(),
    lastFiredAt: z.number(),
  }),
  z.strictObject({ type: z.literal('operator'), title: z.string(), detail: z.string() }),
]);

export const notificationSchema: z.ZodType<Notification> = z.strictObject({
  id: z.string().min(1),
  orderKey: z.string().min(1),
  createdAt: z.number(),
  severity,
  body,
});
