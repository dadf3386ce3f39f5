// Canonical JSON: object keys sorted at every level, so two equal objects print, hash and diff the
// same however the API (or a person in a UI) ordered them.
import { createHash } from 'node:crypto';
import type { Json, JsonObject } from './model.js';

export function canonical(value: Json): Json {
  if (Array.isArray(value)) return value.map((v: Json) => canonical(v));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as JsonObject)[k];
      if (v !== undefined) out[k] = canonical(v);
    }
    return out;
  }
  return value;
}

export function canonicalText(value: Json): string {
  return JSON.stringify(canonical(value));
}

/** Short content hash, safe in a Datadog tag value and an Elasticsearch _meta field. */
export function revisionOf(value: Json): string {
  return createHash('sha256').update(canonicalText(value)).digest('hex').slice(0, 12);
}

/** Converts a value from an API (already validated) into Json, dropping undefined members. */
export function toJson(value: unknown): Json {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) if (v !== undefined) out[k] = toJson(v);
    return out;
  }
  return null;
}
