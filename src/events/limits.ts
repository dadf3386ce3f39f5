import { z } from 'zod';
import { truncationMarker } from '../text/bound.js';
import type { AuditEvent } from './audit-event.js';

/**
 * Limits on one input message, enforced before and right after decoding. A producer that is
 * broken or hostile must not be able to exhaust memory or stack: every message is bounded in
 * bytes and nesting, and every string auditwatch keeps (the ones that become keys of detector
 * state and reach alerts) is bounded in length.
 */
export interface InputLimits {
  /** Largest accepted message in UTF-8 bytes; larger ones are rejected as `too-large`. */
  readonly maxBytes: number;
  /** Deepest accepted nesting of objects and arrays (the top-level object is depth 1); deeper: `too-deep`. */
  readonly maxDepth: number;
  /**
   * Longest kept string field (callerId, tool, sessionId, argsHash, errorType, serverVersion),
   * in UTF-16 code units. Longer values are cut and end with a truncation marker; the event is
   * still accepted and the truncation is counted.
   */
  readonly maxFieldLength: number;
}

export const DEFAULT_LIMITS: InputLimits = Object.freeze({ maxBytes: 1024 * 1024, maxDepth: 32, maxFieldLength: 8192 });

export const inputLimitsSchema = z.strictObject({
  maxBytes: z.number().int().positive().default(DEFAULT_LIMITS.maxBytes),
  maxDepth: z.number().int().min(1).max(1000).default(DEFAULT_LIMITS.maxDepth),
  // At least room for the marker and a useful prefix.
  maxFieldLength: z.number().int().min(64).default(DEFAULT_LIMITS.maxFieldLength),
});

const OPEN_BRACE = 123; // {
const OPEN_BRACKET = 91; // [
const CLOSE_BRACE = 125;
const CLOSE_BRACKET = 93;
const QUOTE = 34;
const BACKSLASH = 92;

/** Number of `{` and `[` in `text`, counting at most `stop`: a cheap upper bound of the nesting depth. */
function openers(text: string, stop: number): number {
  let n = 0;
  for (let i = text.indexOf('{'); i !== -1 && n < stop; i = text.indexOf('{', i + 1)) n++;
  for (let i = text.indexOf('['); i !== -1 && n < stop; i = text.indexOf('[', i + 1)) n++;
  return n;
}

/**
 * True when the JSON text nests objects/arrays deeper than `maxDepth`. Checked on the text,
 * before JSON.parse, so a message of a million `[` never reaches the parser. Flat messages (the
 * common case) are settled by counting openers with indexOf; only messages with more openers
 * than the limit are scanned character by character (brackets inside strings do not count).
 */
export function exceedsDepth(text: string, maxDepth: number): boolean {
  if (openers(text, maxDepth + 1) <= maxDepth) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** True when the UTF-8 encoding of `text` is longer than `maxBytes`. */
export function exceedsBytes(text: string, maxBytes: number): boolean {
  // A UTF-8 byte count is at most 3x the UTF-16 length: most messages are settled without counting.
  return text.length * 3 > maxBytes && Buffer.byteLength(text, 'utf8') > maxBytes;
}

/** `s` cut to at most `max` code units, marker included, never splitting a surrogate pair. */
export function truncateField(s: string, max: number): string {
  if (s.length <= max) return s;
  let keep = max - truncationMarker(s.length).length;
  const last = s.charCodeAt(keep - 1);
  if (last >= 0xd800 && last <= 0xdbff) keep--; // would leave a lone high surrogate
  return s.slice(0, keep) + truncationMarker(s.length - keep);
}

function tooLong(v: string | undefined, max: number): boolean {
  return v !== undefined && v.length > max;
}

/**
 * Applies maxFieldLength to the kept string fields of a validated event. Returns the same object
 * when nothing is too long (the common case costs six length comparisons), else a copy with the
 * long values cut, and how many fields were cut.
 */
export function boundKeptFields(e: AuditEvent, max: number): { readonly event: AuditEvent; readonly truncated: number } {
  if (
    !tooLong(e.callerId, max) &&
    !tooLong(e.tool, max) &&
    !tooLong(e.sessionId, max) &&
    !tooLong(e.argsHash, max) &&
    !tooLong(e.errorType, max) &&
    !tooLong(e.serverVersion, max)
  ) {
    return { event: e, truncated: 0 };
  }
  let truncated = 0;
  const cut = <T extends string | undefined>(v: T): T => {
    if (v === undefined || v.length <= max) return v;
    truncated++;
    return truncateField(v, max) as T;
  };
  const event: AuditEvent = {
    ...e,
    callerId: cut(e.callerId),
    tool: cut(e.tool),
    sessionId: cut(e.sessionId),
    argsHash: cut(e.argsHash),
    errorType: cut(e.errorType),
    serverVersion: cut(e.serverVersion),
  };
  return { event, truncated };
}
