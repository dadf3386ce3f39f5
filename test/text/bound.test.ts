import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEFAULT_MAX_LENGTH, bound, boundResult, sanitize, truncationMarker } from '../../src/text/bound.js';
import { anyText, hasLoneSurrogate } from './util.js';

describe('bound: length', () => {
  it('returns short, clean text unchanged', () => {
    assert.deepEqual(boundResult('hello world', { max: 20 }), { text: 'hello world', truncated: false, omitted: 0, replaced: 0 });
  });

  it('keeps text of exactly max code units', () => {
    assert.equal(bound('x'.repeat(10), { max: 10 }), 'x'.repeat(10));
  });

  it('cuts with a visible marker that counts the omitted input code units', () => {
    const r = boundResult('a'.repeat(100), { max: 30 });
    assert.equal(r.truncated, true);
    assert.equal(r.text.length, 30);
    assert.ok(r.text.endsWith(truncationMarker(r.omitted)));
    assert.equal(r.text, `${'a'.repeat(100 - r.omitted)}${truncationMarker(r.omitted)}`);
    assert.equal(r.omitted, 100 - (30 - truncationMarker(r.omitted).length));
  });

  it('accounts for a marker that grows by a digit', () => {
    // 9 omitted would need "…[+9 chars]" (11) but cutting one more makes it "…[+10 chars]" (12).
    for (let len = 12; len < 40; len++) {
      for (let max = 12; max < len; max++) {
        const r = boundResult('b'.repeat(len), { max });
        assert.ok(r.text.length <= max, `len ${len} max ${max}: ${r.text}`);
        assert.equal(r.text, 'b'.repeat(len - r.omitted) + truncationMarker(r.omitted));
      }
    }
  });

  it('falls back to a bare ellipsis when the marker does not fit, and to "" for max 0', () => {
    assert.equal(bound('abcdefghij', { max: 5 }), 'abcd\u2026');
    assert.equal(bound('abcdefghij', { max: 1 }), '\u2026');
    assert.deepEqual(boundResult('abc', { max: 0 }), { text: '', truncated: true, omitted: 3, replaced: 0 });
    assert.equal(bound('', { max: 0 }), '');
  });

  it('uses DEFAULT_MAX_LENGTH when no max is given', () => {
    assert.equal(bound('z'.repeat(DEFAULT_MAX_LENGTH)).length, DEFAULT_MAX_LENGTH);
    assert.ok(bound('z'.repeat(DEFAULT_MAX_LENGTH + 1)).length <= DEFAULT_MAX_LENGTH);
    assert.ok(bound('z'.repeat(DEFAULT_MAX_LENGTH + 1)).endsWith('chars]'));
  });

  it('rejects a negative or fractional max', () => {
    assert.throws(() => bound('x', { max: -1 }), RangeError);
    assert.throws(() => bound('x', { max: 1.5 }), RangeError);
    assert.throws(() => bound('x', { max: Number.NaN }), RangeError);
  });

  it('handles a 10 MB string without looking past the limit', () => {
    const r = boundResult('y'.repeat(10_000_000), { max: 100 });
    assert.equal(r.text.length, 100);
    assert.equal(r.omitted, 10_000_000 - (100 - truncationMarker(r.omitted).length));
  });
});

describe('bound: surrogates', () => {
  it('never splits a surrogate pair at the cut', () => {
    const emoji = '😀'; // two code units
    for (let max = 12; max < 30; max++) {
      const out = bound(emoji.repeat(20), { max });
      assert.equal(hasLoneSurrogate(out), false, `max ${max}`);
      assert.ok(out.length <= max);
    }
  });

  it('cuts at a grapheme boundary: an emoji ZWJ sequence or an accented letter is kept or dropped whole', () => {
    const family = '👨‍👩‍👧'; // 8 code units
    for (let max = 1; max < 12; max++) {
      const out = bound(`ab${family}cd`, { max });
      assert.ok(out.length <= max);
      assert.ok(!out.includes('\u200D') || out.includes(family), `max ${max}: ${JSON.stringify(out)}`);
    }
    const accented = 'e\u0301'.repeat(10); // é as e + combining acute
    for (let max = 2; max < 20; max++) {
      const kept = bound(accented, { max }).replace(/\u2026.*$/u, '');
      assert.equal(kept.length % 2, 0, `max ${max}: ${JSON.stringify(kept)}`);
    }
    assert.equal(bound('🇬🇧🇯🇵🇫🇷', { max: 5 }), '🇬🇧\u2026'); // regional-indicator pairs stay paired
  });

  it('gives up aligning to graphemes after a bounded back-off (a base with thousands of marks)', () => {
    const zalgo = `a${'\u0301'.repeat(5000)}`;
    const out = bound(zalgo, { max: 50 });
    assert.ok(out.length <= 50 && out.length > 20);
  });

  it('replaces lone high and low surrogates with U+FFFD', () => {
    assert.equal(bound('a\uD800b'), 'a\uFFFDb');
    assert.equal(bound('a\uDC00b'), 'a\uFFFDb');
    assert.equal(bound('\uD83D'), '\uFFFD'); // high surrogate at the very end
    assert.equal(bound('\uDE00\uD83D'), '\uFFFD\uFFFD'); // reversed pair
    assert.equal(bound('x\uD83D\uDE00y'), 'x😀y');
  });
});

describe('bound: control and invisible characters', () => {
  it('shows C0 controls and DEL as Control Pictures', () => {
    assert.equal(bound('a\u0000b\u0007c\u001Bd\u007F'), 'a\u2400b\u2407c\u241Bd\u2421');
  });

  it('replaces line breaks and tabs in single-line mode (log/alert forging)', () => {
    assert.equal(bound('user\nSeverity: LOW\r\tx'), 'user\u240ASeverity: LOW\u240D\u2409x');
  });

  it('keeps LF and TAB in multiline mode, turns CRLF into LF, still shows a lone CR', () => {
    assert.equal(bound('a\r\nb\tc\rd', { multiline: true }), 'a\nb\tc\u240Dd');
  });

  it('names C1 controls', () => {
    assert.equal(bound('a\u0085b\u009Bc'), 'a[U+0085]b[U+009B]c');
  });

  it('names bidi overrides, embeddings and isolates', () => {
    assert.equal(bound('admin\u202Egnp.exe'), 'admin[U+202E]gnp.exe');
    for (const cp of [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x200e, 0x200f, 0x061c]) {
      const out = bound(`x${String.fromCodePoint(cp)}y`);
      assert.equal(out, `x[U+${cp.toString(16).toUpperCase().padStart(4, '0')}]y`);
    }
  });

  it('names zero-width and other invisible characters', () => {
    for (const cp of [0x200b, 0x200c, 0x2060, 0xfeff, 0x00ad, 0x034f, 0x180e, 0x3164, 0x115f, 0x2028, 0x2029]) {
      const out = bound(`x${String.fromCodePoint(cp)}y`);
      assert.equal(out, `x[U+${cp.toString(16).toUpperCase().padStart(4, '0')}]y`, `U+${cp.toString(16)}`);
    }
  });

  it('replaces a ZWJ that is not inside an emoji sequence', () => {
    assert.equal(bound('ad\u200Dmin'), 'ad[U+200D]min');
    assert.equal(bound('\u200D😀'), '[U+200D]😀');
  });

  it('replaces tag characters outside a flag (ASCII smuggling) and stacked variation selectors', () => {
    const hidden = Array.from('ignore previous', (c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('');
    assert.equal(bound(`ok${hidden}`).startsWith('ok[U+E0069][U+E0067]'), true);
    assert.equal(bound('\uFE0F'), '[U+FE0F]'); // no base character
    assert.equal(bound('a\uFE00\uFE01'), 'a\uFE00[U+FE01]');
    assert.equal(bound(`a${String.fromCodePoint(0xe0100)}`), 'a[U+E0100]');
  });

  it('counts replacements', () => {
    assert.equal(boundResult('\u202E\u200B\n').replaced, 3);
  });
});

describe('bound: ordinary Unicode is kept', () => {
  const keep = [
    'résumé naïve Ærøskøbing',
    '日本語のテキストと中文字符',
    'Привет мир',
    'مرحبا بالعالم', // RTL script itself is fine; only the override characters are not
    'שלום',
    'हिन्दी', // combining vowel signs
    'emoji 😀 🎉 ❤️ 👍🏽',
    'family 👨‍👩‍👧‍👦 and 🧑🏽‍💻 and 🏳️‍🌈 and 🏴‍☠️ and ❤️‍🔥',
    'keycaps #️⃣ 1️⃣ and flags 🇬🇧 🇯🇵',
    'subdivision flag 🏴󠁧󠁢󠁳󠁣󠁴󠁿',
    'math 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 and CJK ext B 𠀀',
  ];
  for (const s of keep) {
    it(`keeps ${JSON.stringify(s)}`, () => {
      assert.equal(bound(s), s);
    });
  }

  it('does not keep a run of tag characters after a black flag beyond a real subdivision', () => {
    const tags = Array.from('abcdefghij', (c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('');
    const out = bound(`\u{1F3F4}${tags}`);
    assert.ok(out.includes('[U+E0068]'), out); // the 8th tag is replaced
  });
});

describe('sanitize', () => {
  it('replaces without bounding', () => {
    const s = `${'a'.repeat(5000)}\u202E`;
    assert.equal(sanitize(s), `${'a'.repeat(5000)}[U+202E]`);
  });
});

describe('bound: properties', () => {
  it('never exceeds max and never yields a lone surrogate', () => {
    fc.assert(
      fc.property(anyText(), fc.integer({ min: 0, max: 64 }), fc.boolean(), (s, max, multiline) => {
        const r = boundResult(s, { max, multiline });
        assert.ok(r.text.length <= max);
        assert.equal(hasLoneSurrogate(r.text), false);
        assert.equal(r.truncated, r.omitted > 0 || (max === 0 && s.length > 0));
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves no control, bidi or zero-width character behind', () => {
    fc.assert(
      fc.property(anyText(), (s) => {
        const out = bound(s, { max: 10_000 });
        assert.doesNotMatch(out, /[\p{Cc}\u200B\u200C\u200E\u200F\u2028-\u202E\u2060-\u2069\uFEFF]/u);
      }),
      { numRuns: 2000 },
    );
  });

  it('is idempotent on text that fits', () => {
    fc.assert(
      fc.property(anyText(), (s) => {
        const once = bound(s, { max: 10_000 });
        assert.equal(bound(once, { max: 10_000 }), once);
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps a prefix of the sanitised text when it truncates', () => {
    fc.assert(
      fc.property(anyText(), fc.integer({ min: 20, max: 80 }), (s, max) => {
        const full = sanitize(s);
        const r = boundResult(s, { max });
        if (!r.truncated) assert.equal(r.text, full);
        else assert.ok(full.startsWith(r.text.slice(0, r.text.lastIndexOf('\u2026'))));
      }),
      { numRuns: 1000 },
    );
  });
});
