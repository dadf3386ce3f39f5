// The whole rendering pipeline for attacker-controlled text, driven by
// test/fixtures/adversarial-strings.json: slackMrkdwnLiteral(bound(screen(x).text)).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { bound } from '../../src/text/bound.js';
import { slackMrkdwnLiteral, slackPlainText } from '../../src/text/escape.js';
import { screen } from '../../src/text/secrets.js';
import { ALNUM, B64, B64URL, DIGITS, HEX, UPPER_B32, rand } from './samples.js';
import { anyText, hasLoneSurrogate, onlyKnownEntities, unescapeSlack } from './util.js';

const MAX = 500; // bound() limit used for these tests
const SLACK_MAX = 3000; // Slack's limit for a text object
const EXPANSION = 5; // slackMrkdwnLiteral turns one input code unit into at most 5 ('&' -> '&amp;', '>' at line start -> SHY + '&gt;')

// ---------------------------------------------------------------------------------------------
// Fixture loading (validated by hand: the file is data, not code).

type Part = string | { readonly [alphabet: string]: number } | { readonly base64: readonly Part[] };

interface Case {
  readonly name: string;
  readonly text: string;
  /** Random runs of the secret (each must be gone after screening); empty for non-secret cases. */
  readonly secretParts: readonly string[];
  readonly secret: string | undefined;
}

const ALPHABETS: Readonly<Record<string, string>> = {
  alnum: ALNUM,
  digits: DIGITS,
  hex: HEX,
  lower: 'abcdefghijklmnopqrstuvwxyz',
  upper32: UPPER_B32,
  b64: B64,
  b64url: B64URL,
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Expands secret parts; returns the text and the random runs it contains. */
function expand(parts: unknown): { text: string; random: string[] } {
  assert.ok(Array.isArray(parts), 'secret must be a list of parts');
  let text = '';
  const random: string[] = [];
  for (const part of parts as unknown[]) {
    if (typeof part === 'string') {
      text += part;
    } else if (isRecord(part) && 'base64' in part) {
      const inner = expand(part['base64']);
      const encoded = Buffer.from(inner.text, 'utf8').toString('base64');
      text += encoded;
      random.push(encoded);
    } else if (isRecord(part)) {
      const [alphabet, length] = Object.entries(part)[0] ?? [];
      const chars = ALPHABETS[alphabet ?? ''];
      assert.ok(chars !== undefined && typeof length === 'number', `bad part ${JSON.stringify(part)}`);
      const run = rand(length, chars);
      text += run;
      random.push(run);
    } else {
      assert.fail(`bad part ${JSON.stringify(part)}`);
    }
  }
  return { text, random };
}

function loadCases(): Case[] {
  const raw: unknown = JSON.parse(readFileSync(new URL('../fixtures/adversarial-strings.json', import.meta.url), 'utf8'));
  assert.ok(isRecord(raw) && Array.isArray(raw['cases']));
  return (raw['cases'] as unknown[]).map((c): Case => {
    assert.ok(isRecord(c) && typeof c['name'] === 'string');
    const name = c['name'];
    if (typeof c['text'] === 'string') return { name, text: c['text'], secretParts: [], secret: undefined };
    const repeat = c['repeat'];
    if (isRecord(repeat) && typeof repeat['unit'] === 'string' && typeof repeat['times'] === 'number') {
      return { name, text: repeat['unit'].repeat(repeat['times']), secretParts: [], secret: undefined };
    }
    const template = c['template'];
    assert.ok(typeof template === 'string' && template.includes('{secret}'), `case ${name} needs text, repeat or template`);
    const secret = expand(c['secret'] as Part[]);
    const one = template.replace('{secret}', secret.text);
    const times = typeof c['repeatTemplate'] === 'number' ? c['repeatTemplate'] : 1;
    return { name, text: one.repeat(times), secretParts: secret.random, secret: secret.text };
  });
}

const CASES = loadCases();

// ---------------------------------------------------------------------------------------------

function assertSafeMrkdwn(out: string, max: number, label: string): void {
  assert.doesNotMatch(out, /[<>]/, `${label}: raw < or >`);
  assert.ok(onlyKnownEntities(out), `${label}: raw &`);
  assert.ok(out.length <= max, `${label}: length ${out.length} > ${max}`);
  assert.equal(hasLoneSurrogate(out), false, `${label}: lone surrogate`);
  assert.doesNotMatch(out, /[\p{Cc}\u202A-\u202E\u2066-\u2069\u200C\u200E\u200F\u2060\uFEFF]/u, `${label}: control or bidi character`);
  assert.ok(zwjOnlyInEmoji(out), `${label}: ZWJ outside an emoji sequence`);
}

/** Every ZWJ sits between an emoji (optionally with VS16 or a skin tone) and another emoji. */
function zwjOnlyInEmoji(s: string): boolean {
  const cps = Array.from(s);
  return cps.every((c, i) => {
    if (c !== '\u200D') return true;
    const prev = cps[i - 1] ?? '';
    const next = cps[i + 1] ?? '';
    return /^(?:\p{Extended_Pictographic}|\uFE0F|\p{Emoji_Modifier})$/u.test(prev) && /^\p{Extended_Pictographic}$/u.test(next);
  });
}

function assertNoSecret(out: string, c: Case): void {
  if (c.secret === undefined) return;
  assert.ok(!out.includes(c.secret), `${c.name}: secret survived`);
  for (const run of c.secretParts) {
    if (run.length >= 8) assert.ok(!out.includes(run), `${c.name}: part of the secret survived: ${run}`);
  }
}

describe('fixture', () => {
  it('loads and covers mentions, controls, 10 KB strings and secrets', () => {
    assert.ok(CASES.length > 60);
    assert.ok(CASES.some((c) => c.text.includes('<!channel>')));
    assert.ok(CASES.some((c) => c.text.length >= 10 * 1024));
    assert.ok(CASES.filter((c) => c.secret !== undefined).length >= 40);
  });
});

describe('pipeline slackMrkdwnLiteral(bound(screen(x))) on the adversarial corpus', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const screened = screen(c.text).text;
      assertNoSecret(screened, c);

      const bounded = bound(screened, { max: MAX });
      assert.ok(bounded.length <= MAX);

      const out = slackMrkdwnLiteral(bounded);
      assertSafeMrkdwn(out, EXPANSION * MAX, c.name);
      // What the reader sees is exactly the bounded text: escaping only adds invisible characters.
      assert.equal(unescapeSlack(out), bounded);
      assertNoSecret(unescapeSlack(out), c);

      // With Slack's own limit applied at the escaping step.
      const capped = slackMrkdwnLiteral(bounded, { max: SLACK_MAX });
      assertSafeMrkdwn(capped, SLACK_MAX, `${c.name} (capped)`);

      // plain_text objects get the same guarantees for <, > and &.
      const plain = slackPlainText(bounded, { max: SLACK_MAX });
      assert.doesNotMatch(plain, /[<>]/);
      assert.ok(onlyKnownEntities(plain));
      assertNoSecret(plain, c);
    });
  }

  it('multiline mode keeps line breaks but still neutralises everything else', () => {
    for (const c of CASES) {
      const out = slackMrkdwnLiteral(bound(screen(c.text).text, { max: MAX, multiline: true }));
      assert.doesNotMatch(out, /[<>]/, c.name);
      assert.ok(onlyKnownEntities(out), c.name);
      assert.doesNotMatch(out, /[\u202A-\u202E\u2066-\u2069]|[^\P{Cc}\n\t]/u, c.name);
      assertNoSecret(out, c);
    }
  });
});

describe('pipeline: properties', () => {
  it('random text: no raw <, >, &; bounded; no lone surrogate; no control or bidi character', () => {
    fc.assert(
      fc.property(anyText(120), fc.integer({ min: 0, max: 200 }), (s, max) => {
        const out = slackMrkdwnLiteral(bound(screen(s).text, { max }));
        assertSafeMrkdwn(out, EXPANSION * max, JSON.stringify(s));
        assert.equal(unescapeSlack(out), bound(screen(s).text, { max }));
      }),
      { numRuns: 1500 },
    );
  });

  it('random text around fixture secrets: the secret never survives', () => {
    const secretCases = CASES.filter((c) => c.secret !== undefined && c.text.length < 2000);
    fc.assert(
      fc.property(fc.constantFrom(...secretCases), anyText(8), anyText(8), (c, before, after) => {
        const out = slackMrkdwnLiteral(bound(screen(`${before} ${c.text} ${after}`).text, { max: 4000 }));
        assertNoSecret(unescapeSlack(out), c);
      }),
      { numRuns: 1000 },
    );
  });
});
