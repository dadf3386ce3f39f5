import type { AuditEvent } from '../audit-event.js';
import { boundKeptFields, DEFAULT_LIMITS, exceedsBytes, exceedsDepth, type InputLimits } from '../limits.js';
import { toAuditEvent } from '../parse.js';
import { rejection, type Rejection } from '../rejection.js';
import type { CanonicalField } from './adapter.js';
import { isObject } from './json.js';
import { bindFormats, detectFormat, FORMATS, type BoundFormat, type FormatName, type FormatOptions, type InputFormat } from './registry.js';

export interface DecoderSettings {
  /** A named format, or `auto` to pick the format per message from its shape. */
  readonly format: InputFormat;
  /** Validated per-format options (formatOptionsSchema.parse of the config's input.formats). */
  readonly formatOptions?: FormatOptions;
  readonly limits?: Partial<InputLimits>;
}

/**
 * What became of one message. `format` is the adapter that handled it (undefined when the message
 * was rejected before one was chosen); `truncated` counts kept fields cut to maxFieldLength.
 */
export type DecodeResult =
  | { readonly ok: true; readonly event: AuditEvent; readonly format: FormatName; readonly truncated: number }
  | { readonly ok: false; readonly rejection: Rejection; readonly format: FormatName | undefined };

export interface Decoder {
  /** What it was built from: plain data, so a decode worker can build the same decoder. */
  readonly settings: DecoderSettings;
  readonly format: InputFormat;
  readonly limits: InputLimits;
  /** One message (a line, a Kafka record value) to an event or a rejection. Never throws. */
  decode(text: string): DecodeResult;
}

function fail(reason: string, detail: string, format?: FormatName): DecodeResult {
  return { ok: false, rejection: rejection(reason, detail), format };
}

/** Names the source field of a canonical field in a rejection detail: "callerId is required (toolhive: subjects.user_id, ...)". */
function withSource(r: Rejection, format: FormatName): Rejection {
  const field = r.reason.slice(r.reason.indexOf(':') + 1) as CanonicalField;
  const sources: Readonly<Partial<Record<CanonicalField, string>>> = FORMATS[format].sources;
  const source = r.reason.includes(':') ? sources[field] : undefined;
  return rejection(r.reason, source === undefined ? `${r.detail} (${format})` : `${r.detail} (${format}: ${source})`);
}

/**
 * Builds the decoder of one source (options bound once, at startup). The per-message work for the canonical format is the size check, a depth pre-check that is a
 * few indexOf calls for flat messages, JSON.parse, the canonical schema, and six length checks.
 */
export function createDecoder(settings: DecoderSettings): Decoder {
  const limits: InputLimits = { ...DEFAULT_LIMITS, ...settings.limits };
  const formats = bindFormats(settings.formatOptions);
  const fixed: BoundFormat | undefined = settings.format === 'auto' ? undefined : formats.get(settings.format);
  const { maxBytes, maxDepth, maxFieldLength } = limits;

  function decode(text: string): DecodeResult {
    if (exceedsBytes(text, maxBytes)) return fail('too-large', `message is larger than ${maxBytes} bytes`, fixed?.name);
    if (exceedsDepth(text, maxDepth)) return fail('too-deep', `objects and arrays nest deeper than ${maxDepth} levels`, fixed?.name);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return fail('not-json', 'not valid JSON', fixed?.name);
    }
    if (!isObject(value)) return fail('not-object', 'a message must be a JSON object', fixed?.name);
    const format = fixed ?? detectFormat(value, formats);
    if (format === undefined) return fail('unknown-format', `no input format recognises this message (tried ${[...formats.keys()].join(', ')})`);
    let event: AuditEvent;
    if (format.name === 'canonical') {
      const res = toAuditEvent(value);
      if (!res.ok) return { ok: false, rejection: res.rejection, format: 'canonical' };
      event = res.event;
    } else {
      const m = format.map(value);
      if (!m.ok) return { ok: false, rejection: m.rejection, format: format.name };
      const res = toAuditEvent(m.candidate);
      if (!res.ok) return { ok: false, rejection: withSource(res.rejection, format.name), format: format.name };
      // The decoded message, not the mapped fields, is what the leak detector inspects.
      event = { ...res.event, original: m.original ?? value };
    }
    const bounded = boundKeptFields(event, maxFieldLength);
    return { ok: true, event: bounded.event, format: format.name, truncated: bounded.truncated };
  }

  return { settings, format: settings.format, limits, decode };
}
