import type { AuditEvent, EventStringField } from '../events/audit-event.js';

/** The groupBy values of one key, in groupBy order; null where the event lacked the field. */
export type KeyValues = readonly (string | null)[];

export type FieldGetter = (e: AuditEvent) => string | undefined;

// An explicit table instead of e[field]: event objects never act as maps of their own keys.
export const FIELD_GETTERS: ReadonlyMap<EventStringField, FieldGetter> = new Map<EventStringField, FieldGetter>([
  ['callerId', (e) => e.callerId],
  ['tool', (e) => e.tool],
  ['outcome', (e) => e.outcome],
  ['sessionId', (e) => e.sessionId],
  ['argsHash', (e) => e.argsHash],
  ['errorType', (e) => e.errorType],
  ['serverVersion', (e) => e.serverVersion],
]);

export function getter(field: EventStringField): FieldGetter {
  const g = FIELD_GETTERS.get(field);
  if (g === undefined) throw new Error(`no getter for event field ${field}`);
  return g;
}

/**
 * A predicate `field === value` with a direct property load, so the hot path stays
 * monomorphic instead of calling through a shared getter closure.
 */
export function equalsTest(field: EventStringField, v: string): (e: AuditEvent) => boolean {
  switch (field) {
    case 'callerId':
      return (e) => e.callerId === v;
    case 'tool':
      return (e) => e.tool === v;
    case 'outcome':
      return (e) => e.outcome === v;
    case 'sessionId':
      return (e) => e.sessionId === v;
    case 'argsHash':
      return (e) => e.argsHash === v;
    case 'errorType':
      return (e) => e.errorType === v;
    case 'serverVersion':
      return (e) => e.serverVersion === v;
  }
}

export interface KeyCodec {
  readonly fields: readonly EventStringField[];
  /** groupBy is callerId alone: encode(e) is then the key's one value, and values(e) is [encode(e)]. */
  readonly single: boolean;
  /** A string that identifies the key unambiguously, used as the Map key. */
  encode(e: AuditEvent): string;
  values(e: AuditEvent): KeyValues;
  encodeValues(values: KeyValues): string;
}

function encodePart(v: string | null | undefined): string {
  // Length-prefixed so no value, whatever it contains, can collide with another tuple;
  // '~' (never a digit) marks a missing field.
  return v === undefined || v === null ? '~' : `${v.length}:${v}`;
}

export function keyCodec(fields: readonly EventStringField[]): KeyCodec {
  const getters = fields.map(getter);
  const only = fields.length === 1 && fields[0] === 'callerId';
  return {
    fields,
    single: only,
    // groupBy always includes callerId, which is never empty or missing: alone it is its own key.
    encode: only
      ? (e) => e.callerId
      : (e) => {
          let s = '';
          for (const g of getters) s += encodePart(g(e));
          return s;
        },
    values: (e) => getters.map((g) => g(e) ?? null),
    encodeValues: only ? (vs) => vs[0] ?? '' : (vs) => vs.map(encodePart).join(''),
  };
}

/** The key as a JSON object, groupBy field → value. Field names come from config, never from events. */
export function keyObject(fields: readonly string[], values: KeyValues): Record<string, string | null> {
  return Object.fromEntries(fields.map((f, i) => [f, values[i] ?? null]));
}
