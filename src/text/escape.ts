// Slack escaping for attacker-controlled strings.
//
// What Slack documents (https://docs.slack.dev/messaging/formatting-message-text#escaping, formerly
// api.slack.com/reference/surfaces/formatting#escaping):
//   - `&`, `<` and `>` are control characters "for special parsing in text objects" and must be
//     sent as `&amp;`, `&lt;`, `&gt;`; only these three entities are decoded for display, so the
//     rest of the text must NOT be HTML-encoded.
//   - Everything Slack turns into a mention or link is written inside `<…>`: `<!channel>`,
//     `<!here>`, `<!everyone>`, `<!subteam^ID>`, `<@U…>`, `<#C…>`, `<!date^…>`, `<url|text>`. With
//     the three characters escaped, none of these can be formed from untrusted text.
//   - In a `mrkdwn` text object with `verbatim: false` (the default) Slack also auto-links bare
//     URLs, links channel names and parses "certain mentions"; `verbatim: true` turns that
//     preprocessing off (https://docs.slack.dev/reference/block-kit/composition-objects/text-object).
//     `slackMrkdwnText()` below always sets it.
//   - mrkdwn has no escape for `*bold*`, `_italic_`, `~strike~`, `` `code` `` or a leading `>`
//     quote; a backslash is shown literally (Slack staff, slackhq/slack-api-docs#34: "The backslash
//     won't escape the formatting … You can also prevent it by adding a space on either side of
//     the formatting character").
//
// What we do on top of that for `mrkdwn` (not documented by Slack, chosen to be harmless if it is
// not needed): a formatting character is wrapped in invisible soft hyphens (U+00AD) so it never
// sits directly against the text it would format; a `>` at the start of a line gets a soft hyphen
// in front (the approach jsx-slack uses for the same problem); `@`/`#` before a word, the `:` of
// `://` and a `.` between a letter/digit and a letter get a zero-width space (U+200B) after them,
// so that `@here`, `#general`, `https://evil.example` and `evil.example` are not linkified even
// when someone forgets `verbatim: true`. None of this changes what the reader sees. These
// insertions have not been checked against a live Slack workspace; the three-character escaping
// (which is what stops mention and link injection) is the documented part.

import { bound, fitPieces } from './bound.js';

const SHY = '\u00AD';
const ZWSP = '\u200B';
const LINK_LABEL_MAX = 200;
const URL_MAX = 3000;

export interface SlackEscapeOptions {
  /**
   * Upper bound for the length of the *escaped* result (UTF-16 code units). The text is cut
   * between characters, never inside an entity such as `&amp;`, and ends with `…[+N chars]`
   * (N counts input code units). Slack rejects mrkdwn/plain_text objects over 3000 characters.
   */
  readonly max?: number;
}

/** Escapes exactly the three characters Slack documents: `&`, `<`, `>`. */
export function slackEscape(s: string): string {
  return s.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

const WORD_CHAR = /^[\p{L}\p{N}]$/u;
const LETTER = /^\p{L}$/u;

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && WORD_CHAR.test(c);
}

/**
 * Renders `s` by mapping each code point to a piece with `map`, then joins the pieces within
 * `max` (if given) without splitting a piece.
 */
function render(s: string, map: (chars: readonly string[], i: number) => string, max: number | undefined): string {
  const chars = Array.from(s); // code points; a lone surrogate stays one element
  const pieces: string[] = new Array<string>(chars.length);
  const ends: number[] = new Array<number>(chars.length);
  let offset = 0;
  for (let i = 0; i < chars.length; i++) {
    pieces[i] = map(chars, i);
    offset += chars[i]?.length ?? 0;
    ends[i] = offset;
  }
  if (max === undefined) return pieces.join('');
  return fitPieces(pieces, ends, s.length, max, true).text;
}

/**
 * Renders an untrusted string so that it shows literally inside a Slack `mrkdwn` text object:
 * no mention, link, date or formatting can be produced from it, and the only characters added are
 * invisible. Run `bound()` first (this function does not remove control characters), and put the
 * result in an object built by `slackMrkdwnText()` (verbatim: true).
 */
export function slackMrkdwnLiteral(s: string, options: SlackEscapeOptions = {}): string {
  let atLineStart = true; // only blanks seen since the start of the line
  return render(
    s,
    (chars, i) => {
      const c = chars[i] ?? '';
      const prev = chars[i - 1];
      const next = chars[i + 1];
      const lineStart = atLineStart;
      atLineStart = c === '\n' || (atLineStart && (c === ' ' || c === '\t'));
      switch (c) {
        case '&':
          return '&amp;';
        case '<':
          return '&lt;';
        case '>':
          return lineStart ? `${SHY}&gt;` : '&gt;';
        case '*':
        case '~':
        case '`':
          return `${SHY}${c}${SHY}`;
        case '_':
          // snake_case stays untouched: Slack only treats `_` as a delimiter at a word boundary.
          return isWordChar(prev) && isWordChar(next) ? '_' : `${SHY}_${SHY}`;
        case '@':
        case '#':
          return isWordChar(next) ? `${c}${ZWSP}` : c;
        case ':':
          return next === '/' && chars[i + 2] === '/' ? `:${ZWSP}` : c;
        case '.':
          return isWordChar(prev) && next !== undefined && LETTER.test(next) ? `.${ZWSP}` : c;
        default:
          return c;
      }
    },
    options.max,
  );
}

/**
 * Renders an untrusted string for a Slack `plain_text` text object.
 *
 * Slack does not apply mrkdwn formatting or mentions to plain_text, but its escaping rule is
 * stated for text objects in general ("Slack uses &, <, and > as control characters for special
 * parsing in text objects"), and Slack itself stores plain_text with those three characters
 * entity-encoded (a button labelled "Answer & 1" comes back as "Answer &amp; 1" in interaction
 * payloads, slackapi/bolt-python#513), i.e. it decodes the three entities for display. So we
 * escape `&`, `<`, `>` here too: the text then shows literally, and a consumer that later copies a
 * plain_text value into mrkdwn cannot turn it into `<!channel>`. Nothing else is changed:
 * formatting characters are not special in plain_text.
 */
export function slackPlainText(s: string, options: SlackEscapeOptions = {}): string {
  return render(
    s,
    (chars, i) => {
      const c = chars[i] ?? '';
      return c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c;
    },
    options.max,
  );
}

/** A Slack mrkdwn text object for an untrusted string, with Slack's automatic parsing turned off. */
export function slackMrkdwnText(
  s: string,
  options: SlackEscapeOptions = {},
): { readonly type: 'mrkdwn'; readonly text: string; readonly verbatim: true } {
  return { type: 'mrkdwn', text: slackMrkdwnLiteral(s, options), verbatim: true };
}

function encodePathSegment(segment: string): string {
  if (segment.length === 0) throw new RangeError('slackLink: empty path segment');
  // The URL standard treats "%2E%2E" like ".." (a double-dot segment), so a dot segment is
  // double-encoded: it stays a literal name and cannot climb out of the base path.
  if (segment === '.' || segment === '..') return segment.replace(/\./g, '%252E');
  const wellFormed = segment.replace(/[\uD800-\uDFFF]/gu, '\uFFFD'); // encodeURIComponent throws on lone surrogates
  // encodeURIComponent leaves !'()* alone; encode them too so nothing in the URL is special.
  return encodeURIComponent(wellFormed).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * Builds a Slack mrkdwn link `<url|label>` where the URL is a configured base URL followed by
 * percent-encoded path segments, and the label is untrusted text.
 *
 * - `baseUrl` must be absolute http(s) without credentials, query or fragment; it comes from
 *   configuration, never from an event.
 * - Every segment is percent-encoded (`.`/`..` double-encoded, so a segment cannot walk out of
 *   the base path), hence the URL contains no `|`, `<`, `>`, `&` or whitespace that could end
 *   the link.
 * - The label is bounded to 200 code units, put on one line, rendered with `slackMrkdwnLiteral`
 *   (so it contains no raw `<`, `>`, `&`), and `|` is replaced with U+2223 (∣) so the label cannot
 *   be mistaken for a second separator.
 *
 * Throws TypeError for a bad base URL and RangeError for an empty segment or a URL over 3000
 * characters.
 */
export function slackLink(baseUrl: string | URL, pathSegments: readonly string[], label: string): string {
  const base = new URL(baseUrl);
  if (base.protocol !== 'https:' && base.protocol !== 'http:') {
    throw new TypeError(`slackLink: base URL must be http(s), got ${base.protocol}`);
  }
  if (base.username !== '' || base.password !== '') throw new TypeError('slackLink: base URL must not carry credentials');
  if (base.search !== '' || base.hash !== '') throw new TypeError('slackLink: base URL must not have a query or fragment');

  const basePath = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
  const path = basePath + pathSegments.map(encodePathSegment).join('/');
  // The WHATWG parser leaves `|` (and a few others) unencoded in paths; encode what could end
  // the link, then apply Slack's escaping for `&`.
  const href = `${base.origin}${path}`.replace(/[|<>"\s]/g, (c) => encodeURIComponent(c));
  if (href.length > URL_MAX) throw new RangeError(`slackLink: URL longer than ${URL_MAX} characters`);
  const url = slackEscape(href);

  const oneLine = bound(label, { max: LINK_LABEL_MAX }); // also turns line breaks into visible ␊
  const text = slackMrkdwnLiteral(oneLine).replace(/\|/g, '\u2223');
  return text === '' ? `<${url}>` : `<${url}|${text}>`;
}
