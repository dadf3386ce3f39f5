// Event strings (callerId, tool, any groupBy value) are attacker-controlled. Before the backtest
// shows one, in the terminal or in the HTML report, it is bounded and stripped of characters that
// could hide or reorder text; the report then HTML-escapes it (see html.ts).

// C0/C1 controls (ANSI escapes, line breaks) and the bidi marks, embeddings, overrides and
// isolates: shown as U+FFFD so a value cannot forge lines or display reversed ("admin\u202Egnp.exe").
// eslint-disable-next-line no-control-regex
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Default bound, in UTF-16 code units, for one event string. */
export const MAX_VALUE_LENGTH = 80;

/**
 * Hidden characters replaced, cut to at most `max` code units (the ellipsis included) without
 * splitting a surrogate pair. The result is still raw text: escape it for HTML.
 */
export function boundText(s: string, max = MAX_VALUE_LENGTH): string {
  const clean = s.replace(HIDDEN, '\ufffd');
  if (clean.length <= max) return clean;
  let end = Math.max(0, max - 1);
  const last = clean.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${clean.slice(0, end)}…`;
}

/** `field=value, field=value` of one key, each value bounded; a missing field shows as `-`. */
export function keyLabel(fields: readonly string[], values: readonly (string | null)[], max = MAX_VALUE_LENGTH): string {
  return fields.map((f, i) => `${f}=${boundText(values[i] ?? '-', max)}`).join(', ');
}
