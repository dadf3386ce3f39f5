/**
 * Bad input is a value, not an exception. `reason` is machine-readable (metrics label, dead-letter
 * header); `detail` is for people and never echoes the offending value, which may be a secret.
 */
export interface Rejection {
  readonly reason: string;
  readonly detail: string;
}

/**
 * Every rejection reason, as a bounded set: the `:<field>` suffix of the field reasons is always a
 * canonical field name (callerId, tool, outcome, timestamp, ...), never a name taken from the
 * message, so a metrics label built from a reason cannot explode in cardinality.
 *
 * - `too-large`: the message is longer than input.maxBytes
 * - `too-deep`: objects/arrays nest deeper than input.maxDepth
 * - `not-json`, `not-object`: not a JSON object
 * - `unknown-format`: `--format auto` and no adapter recognises the message's shape
 * - `missing-field:<f>`, `bad-field:<f>`: a canonical field is absent or invalid after mapping
 * - `bad-timestamp`: the timestamp is not an instant with a zone (see README)
 */
export const REJECTION_REASONS = ['too-large', 'too-deep', 'not-json', 'not-object', 'unknown-format', 'missing-field', 'bad-field', 'bad-timestamp'] as const;

export function rejection(reason: string, detail: string): Rejection {
  return { reason, detail };
}
