// Length bounding and neutralisation of invisible / control characters for attacker-controlled
// strings. Everything that reaches Slack, PagerDuty, a webhook body or a log line goes through
// `bound()` (after `screen()` from ./secrets.js, before the sink-specific escaping in ./escape.js).
//
// Guarantees of `bound(s, { max })`:
//   - the result is at most `max` UTF-16 code units long, truncation marker included;
//   - it never splits a surrogate pair and never contains a lone surrogate;
//   - C0/C1 control characters, DEL, bidi embeddings/overrides/isolates, zero-width and other
//     invisible format characters are replaced by a *visible* stand-in, so an attacker cannot hide
//     or reorder text (e.g. "admin\u202Egnp.exe") or forge extra lines in a log or alert;
//   - ordinary Unicode is kept as is: letters of any script, CJK, emoji including ZWJ sequences,
//     skin tones, keycaps and subdivision flags.

/** Default limit (UTF-16 code units) for a single attacker-controlled field. */
export const DEFAULT_MAX_LENGTH = 1000;

export interface SanitizeOptions {
  /**
   * Keep LF and TAB (for multi-line fields such as stack traces). CRLF becomes LF; a lone CR is
   * still replaced. Default false: every line break is replaced, so one field stays one line.
   */
  readonly multiline?: boolean;
}

export interface BoundOptions extends SanitizeOptions {
  /** Maximum length of the result in UTF-16 code units, truncation marker included. */
  readonly max?: number;
}

export interface BoundResult {
  readonly text: string;
  readonly truncated: boolean;
  /** UTF-16 code units of the input that are not represented in `text` (0 unless truncated). */
  readonly omitted: number;
  /** How many characters were replaced by a visible stand-in. */
  readonly replaced: number;
}

/** The marker appended to truncated text: `…[+123 chars]` (count in UTF-16 code units of the input). */
export function truncationMarker(omitted: number): string {
  return `\u2026[+${omitted} chars]`;
}

const ELLIPSIS = '\u2026';
const REPLACEMENT_CHAR = '\uFFFD';

// Anything that may need work. Written with the `u` flag, where [\uD800-\uDFFF] matches only
// *lone* surrogates (a well-formed pair is one code point). Variation selectors and ZWJ are in the
// set because whether they are kept depends on their neighbours. Combining marks, joiners and
// selectors are separate alternatives: inside a class they would combine with their neighbour.
const SPECIAL_CLASS =
  '\\x7F-\\x9F\\u00AD\\u061C\\u115F\\u1160\\u200B\\u200C\\u200E\\u200F' +
  '\\u2028-\\u202E\\u2060-\\u206F\\u3164\\uFEFF\\uFFA0\\uFFF9-\\uFFFB\\uFFFE\\uFFFF' +
  '\\u{1D173}-\\u{1D17A}\\u{E0000}-\\u{E007F}\\uD800-\\uDFFF';
const SPECIAL_ALTERNATIVES =
  '|[\\u17B4\\u17B5]|[\\u180B-\\u180F]|[\\u{E0100}-\\u{E01EF}]|\\u034F|\\u200D|[\\uFE00-\\uFE0F]';
const NEEDS_WORK_SINGLE_LINE = new RegExp(`[\\x00-\\x1F${SPECIAL_CLASS}]${SPECIAL_ALTERNATIVES}`, 'u');
const NEEDS_WORK_MULTILINE = new RegExp(`[\\x00-\\x08\\x0B-\\x1F${SPECIAL_CLASS}]${SPECIAL_ALTERNATIVES}`, 'u');

const EXTENDED_PICTOGRAPHIC = /^\p{Extended_Pictographic}$/u;

function isPictographic(cp: number): boolean {
  return cp >= 0 && EXTENDED_PICTOGRAPHIC.test(String.fromCodePoint(cp));
}

function hex(cp: number): string {
  return cp.toString(16).toUpperCase().padStart(4, '0');
}

/** Invisible or text-reordering format characters that are always replaced (outside the emoji exceptions). */
function isInvisible(cp: number): boolean {
  return (
    cp === 0x00ad || // soft hyphen
    cp === 0x034f || // combining grapheme joiner
    cp === 0x061c || // arabic letter mark
    cp === 0x115f ||
    cp === 0x1160 || // hangul fillers
    cp === 0x17b4 ||
    cp === 0x17b5 || // khmer inherent vowels (invisible)
    (cp >= 0x180b && cp <= 0x180f) || // mongolian variation selectors, vowel separator
    (cp >= 0x200b && cp <= 0x200f) || // ZWSP, ZWNJ, ZWJ, LRM, RLM
    (cp >= 0x2028 && cp <= 0x202e) || // line/paragraph separator, bidi embeddings and overrides
    (cp >= 0x2060 && cp <= 0x206f) || // word joiner, invisible operators, bidi isolates, deprecated formats
    cp === 0x3164 ||
    cp === 0xffa0 || // hangul fillers
    cp === 0xfeff || // BOM / ZWNBSP
    (cp >= 0xfff9 && cp <= 0xfffb) || // interlinear annotation
    cp === 0xfffe ||
    cp === 0xffff || // noncharacters
    (cp >= 0x1d173 && cp <= 0x1d17a) || // musical symbol format characters
    (cp >= 0xe0000 && cp <= 0xe007f) || // tag characters ("ASCII smuggling")
    (cp >= 0xe0100 && cp <= 0xe01ef) // variation selectors supplement
  );
}

/** Scans `input` code point by code point and yields each output piece with the input offset it ends at. */
class Sanitizer {
  private prev = -1; // previous input code point
  private inTagSequence = false; // inside an emoji subdivision flag (U+1F3F4 + tags + U+E007F)
  private tagCount = 0; // tags seen in the current flag; real ones carry at most 6 (e.g. "gbsct")
  replaced = 0;

  constructor(
    private readonly input: string,
    private readonly multiline: boolean,
  ) {}

  /** Returns the output piece for the code point `cp` that ends at input offset `end`. */
  piece(cp: number, end: number): string {
    const prev = this.prev;
    this.prev = cp;
    const inTags = this.inTagSequence && this.tagCount < 7;
    this.inTagSequence = cp === 0x1f3f4 || (inTags && cp >= 0xe0020 && cp <= 0xe007e);
    this.tagCount = cp === 0x1f3f4 ? 0 : this.tagCount + 1;

    if (cp < 0x20) {
      if (this.multiline) {
        if (cp === 0x0a || cp === 0x09) return String.fromCharCode(cp);
        if (cp === 0x0d && this.input.charCodeAt(end) === 0x0a) return ''; // CRLF -> LF
      }
      this.replaced++;
      return String.fromCharCode(0x2400 + cp); // Control Pictures block: ␀ ␉ ␊ ␍ ␛ …
    }
    if (cp === 0x7f) {
      this.replaced++;
      return '\u2421'; // ␡
    }
    if (cp >= 0x80 && cp <= 0x9f) {
      this.replaced++;
      return `[U+${hex(cp)}]`;
    }
    if (cp >= 0xd800 && cp <= 0xdfff) {
      // Only lone surrogates get here: pairs were combined by the caller.
      this.replaced++;
      return REPLACEMENT_CHAR;
    }
    if (cp >= 0xfe00 && cp <= 0xfe0f) {
      // A variation selector is kept after a base character (VS16 makes ❤ an emoji), but not at
      // the start nor stacked (a run of selectors can smuggle data and renders as nothing).
      if (prev !== -1 && !(prev >= 0xfe00 && prev <= 0xfe0f)) return String.fromCodePoint(cp);
      this.replaced++;
      return `[U+${hex(cp)}]`;
    }
    if (cp === 0x200d) {
      // ZWJ is kept only inside an emoji ZWJ sequence such as 👨‍👩‍👧 or 🏳️‍🌈.
      const next = this.input.codePointAt(end) ?? -1;
      const prevIsEmoji = isPictographic(prev) || prev === 0xfe0f || (prev >= 0x1f3fb && prev <= 0x1f3ff);
      if (prevIsEmoji && isPictographic(next)) return '\u200D';
      this.replaced++;
      return '[U+200D]';
    }
    if (cp >= 0xe0020 && cp <= 0xe007f && inTags) {
      this.inTagSequence = cp !== 0xe007f;
      return String.fromCodePoint(cp); // part of a subdivision flag such as 🏴󠁧󠁢󠁳󠁣󠁴󠁿
    }
    if (isInvisible(cp)) {
      this.replaced++;
      return `[U+${hex(cp)}]`;
    }
    return String.fromCodePoint(cp);
  }
}

/** Reads the code point at `i`; a lone surrogate is returned as its own code unit value. */
function codePointAndLength(s: string, i: number): [number, number] {
  const hi = s.charCodeAt(i);
  if (hi >= 0xd800 && hi <= 0xdbff && i + 1 < s.length) {
    const lo = s.charCodeAt(i + 1);
    if (lo >= 0xdc00 && lo <= 0xdfff) return [(hi - 0xd800) * 0x400 + (lo - 0xdc00) + 0x10000, 2];
  }
  return [hi, 1];
}

function checkMax(max: number): void {
  if (!Number.isInteger(max) || max < 0) throw new RangeError(`max must be a non-negative integer, got ${max}`);
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const GRAPHEME_WINDOW = 16; // pieces of context on each side of a cut
const GRAPHEME_BACKOFF = 32; // give up aligning after this many pieces (e.g. "Zalgo" text)

/** Whether cutting before piece `keep` falls on a grapheme-cluster boundary (judged on a window around it). */
function isGraphemeBoundary(pieces: readonly string[], keep: number): boolean {
  if (keep <= 0 || keep >= pieces.length) return true;
  const left = pieces.slice(Math.max(0, keep - GRAPHEME_WINDOW), keep).join('');
  const right = pieces.slice(keep, keep + GRAPHEME_WINDOW).join('');
  if (left === '' || right === '') return true;
  for (const { index } of graphemes.segment(left + right)) {
    if (index === left.length) return true;
    if (index > left.length) return false;
  }
  return false;
}

/**
 * Joins `pieces` so that the result is at most `max` code units long. Pieces are atomic (a piece is
 * one code point or one replacement), so a surrogate pair or an escape sequence is never split;
 * the cut is also moved back to a grapheme-cluster boundary where possible, so an emoji sequence
 * such as 👨‍👩‍👧 or a letter with its combining accents is dropped whole rather than halved.
 * `ends[i]` is the input offset at which piece i ends; the marker reports the input code units
 * that are left out. `complete` tells whether `pieces` covers the whole input.
 *
 * Shared with ./escape.ts; not meant for use outside src/text.
 */
export function fitPieces(
  pieces: readonly string[],
  ends: readonly number[],
  inputLength: number,
  max: number,
  complete: boolean,
): { text: string; truncated: boolean; omitted: number } {
  let total = 0;
  for (const p of pieces) total += p.length;
  if (complete && total <= max) return { text: pieces.join(''), truncated: false, omitted: 0 };

  // Drop pieces from the end until what is left plus the marker fits; the marker grows as more of
  // the input is left out, hence the recomputation on every step.
  for (const marker of [truncationMarker, (): string => ELLIPSIS]) {
    let keep = pieces.length;
    let kept = total;
    let firstFit: { keep: number; text: string; omitted: number } | undefined;
    for (;;) {
      const end = keep === 0 ? 0 : (ends[keep - 1] ?? 0);
      const omitted = inputLength - end;
      const m = marker(omitted);
      if (kept + m.length <= max) {
        const fit = { keep, text: pieces.slice(0, keep).join('') + m, omitted };
        firstFit ??= fit;
        if (isGraphemeBoundary(pieces, keep)) return { text: fit.text, truncated: true, omitted };
        if (firstFit.keep - keep >= GRAPHEME_BACKOFF) return { text: firstFit.text, truncated: true, omitted: firstFit.omitted };
      }
      if (keep === 0) break;
      keep--;
      kept -= pieces[keep]?.length ?? 0;
    }
  }
  return { text: '', truncated: true, omitted: inputLength }; // max is 0
}

/** Like `bound()` but also reports whether the text was truncated and how much was replaced. */
export function boundResult(input: string, options: BoundOptions = {}): BoundResult {
  const max = options.max ?? DEFAULT_MAX_LENGTH;
  checkMax(max);
  const multiline = options.multiline ?? false;
  const needsWork = multiline ? NEEDS_WORK_MULTILINE : NEEDS_WORK_SINGLE_LINE;
  if (input.length <= max && !needsWork.test(input)) {
    return { text: input, truncated: false, omitted: 0, replaced: 0 };
  }

  const sanitizer = new Sanitizer(input, multiline);
  const pieces: string[] = [];
  const ends: number[] = [];
  let outLength = 0;
  let i = 0;
  // Stop as soon as the output is over the limit: the rest of the input cannot be shown anyway,
  // so a 10 MB string costs no more than a `max`-sized one.
  while (i < input.length && outLength <= max) {
    const [cp, len] = codePointAndLength(input, i);
    i += len;
    const p = sanitizer.piece(cp, i);
    pieces.push(p);
    ends.push(i);
    outLength += p.length;
  }
  const fitted = fitPieces(pieces, ends, input.length, max, i >= input.length);
  return { ...fitted, replaced: sanitizer.replaced };
}

/**
 * Bounds an attacker-controlled string to `max` UTF-16 code units (default DEFAULT_MAX_LENGTH),
 * replacing control and invisible characters with visible stand-ins and appending a truncation
 * marker `…[+N chars]` when it had to cut.
 */
export function bound(input: string, options: BoundOptions = {}): string {
  return boundResult(input, options).text;
}

/** Replaces control and invisible characters without bounding the length. */
export function sanitize(input: string, options: SanitizeOptions = {}): string {
  return boundResult(input, { ...options, max: Number.MAX_SAFE_INTEGER }).text;
}
