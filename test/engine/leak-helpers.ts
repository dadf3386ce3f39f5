import { DEFAULT_LEAK_DENY_FIELDS, type LeakDef, type Where } from '../../src/config/detectors.js';
import type { AuditEvent, EventStringField, Outcome } from '../../src/events/audit-event.js';

export function leakDef(o: { id?: string; quietMs: number; groupBy?: EventStringField[]; where?: Where; denyFields?: readonly string[]; allowPaths?: readonly string[]; checkValues?: boolean }): LeakDef {
  return {
    id: o.id ?? 'leak',
    kind: 'leak',
    severity: 'critical',
    groupBy: o.groupBy ?? ['callerId', 'serverVersion'],
    where: o.where ?? new Map(),
    quietMs: o.quietMs,
    denyFields: new Set((o.denyFields ?? DEFAULT_LEAK_DENY_FIELDS).map((f) => f.toLowerCase())),
    allowPaths: new Set(o.allowPaths ?? []),
    checkValues: o.checkValues ?? true,
    file: 'test',
  };
}

/** An event whose decoded message carries `extra` (e.g. { token: 'x' } for a leak). */
export function msgEvent(ts: number, callerId: string, extra: Record<string, unknown> = {}, o: { outcome?: Outcome; serverVersion?: string } = {}): AuditEvent {
  const timestamp = new Date(ts).toISOString();
  const outcome = o.outcome ?? 'success';
  const base = { callerId, tool: 'search', outcome, timestamp, ...(o.serverVersion === undefined ? {} : { serverVersion: o.serverVersion }) };
  return { ...base, ts, original: { ...base, ...extra } };
}

export const LEAK = { arguments: { q: 'x' } };
export const CLEAN = {};
