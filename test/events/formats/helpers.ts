import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AuditEvent } from '../../../src/events/audit-event.js';
import { createDecoder, type DecodeResult, type DecoderSettings } from '../../../src/events/formats/decode.js';
import { formatOptionsSchema, type FormatOptionsInput, type InputFormat } from '../../../src/events/formats/registry.js';

/** The lines of a fixture under test/fixtures/formats/. */
export function fixture(name: string): string[] {
  return readFileSync(new URL(`../../fixtures/formats/${name}.jsonl`, import.meta.url), 'utf8').split('\n').filter((l) => l !== '');
}

export function decoder(format: InputFormat, options: FormatOptionsInput = {}, limits: DecoderSettings['limits'] = {}) {
  return createDecoder({ format, formatOptions: formatOptionsSchema.parse(options), limits });
}

/** The canonical fields of an accepted event (without `original`), or a failed assertion. */
export function fields(r: DecodeResult): Omit<AuditEvent, 'original'> {
  assert.ok(r.ok, r.ok ? '' : `rejected: ${r.rejection.reason} (${r.rejection.detail})`);
  const { original: _original, ...rest } = r.event;
  // Drop absent optional fields so expectations list only what an adapter maps.
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Omit<AuditEvent, 'original'>;
}

export function reason(r: DecodeResult): string {
  assert.equal(r.ok, false, 'expected a rejection');
  return r.ok ? '' : r.rejection.reason;
}

export const ms = (iso: string): number => Date.parse(iso);
