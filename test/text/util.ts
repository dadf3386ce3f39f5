// Helpers shared by the src/text tests.
import fc from 'fast-check';

/** True if `s` contains a high surrogate not followed by a low one, or a low one not preceded by a high one. */
export function hasLoneSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return true;
    }
  }
  return false;
}

/** Characters that matter to the code under test, mixed into random text. */
const INTERESTING = [
  '&', '<', '>', '|', '*', '_', '~', '`', '@', '#', ':', '/', '.', '!', '^', '\n', '\r', '\t', ' ',
  '&amp;', '&lt;', '&gt;', '<!channel>', '<!here|here>', '<@U123>', '<#C123|general>', '<https://evil.example|click>',
  '<!subteam^S123>', '```', '> ', 'https://', 'www.', '\u202E', '\u2066', '\u200B', '\u200D', '\u00AD', '\uFEFF',
  '\uD800', '\uDC00', '😀', '👨‍👩‍👧', '🏳️‍🌈', '\uFE0F', '日本', '\u0000', '\u001B', '\u0085',
  'password=', 'token: ', 'Bearer ', 'Authorization: ', 'ghp_', 'AKIA', 'eyJ', '-----BEGIN PRIVATE KEY-----', '4111 1111 1111 1111', '+1 555 123 4567', 'a@b.co',
] as const;

/** Random text: any UTF-16 code unit (lone surrogates included), any code point, and interesting fragments. */
export function anyText(maxLength = 60): fc.Arbitrary<string> {
  const unit = fc.oneof(
    { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 3 }) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c)) },
    { weight: 3, arbitrary: fc.constantFrom(...INTERESTING) },
  );
  // size 'max': fast-check otherwise stops arrays at about ten elements, whatever maxLength says.
  return fc.array(unit, { maxLength, size: 'max' }).map((parts) => parts.join(''));
}

const SHY = /\u00AD/g;
const ZWSP = /\u200B/g;

/** Undoes slackMrkdwnLiteral / slackPlainText: drops the invisible separators and decodes the three entities. */
export function unescapeSlack(s: string): string {
  return s.replace(SHY, '').replace(ZWSP, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Every `&` is the start of one of the three entities Slack decodes. */
export function onlyKnownEntities(s: string): boolean {
  return !s.replace(/&(?:amp|lt|gt);/g, '').includes('&');
}
