import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  REDACTION_RULE_NAMES,
  SECRET_RULES,
  SENSITIVE_FIELD_RULE,
  containsCredential,
  findMatches,
  luhnValid,
  redactionToken,
  screen,
  screenDeep,
  shannonEntropy,
  type SecretRule,
} from '../../src/text/secrets.js';
import { Secret } from '../../src/text/secret.js';
import { ALNUM, DIGITS, adversarialInputs, allPositives, fakeJwt, rand, samplesFor } from './samples.js';
import { anyText } from './util.js';

const RULES: readonly SecretRule[] = SECRET_RULES;

/** True if the matches of one rule together cover every character of `secret` in `text`. */
function covers(rule: SecretRule, text: string, secret: string): boolean {
  const at = text.indexOf(secret);
  assert.ok(at >= 0, 'sample text must contain its secret');
  const matches = findMatches(rule, text);
  for (let i = at; i < at + secret.length; i++) {
    if (!matches.some((m) => m.start <= i && i < m.end)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// A small checker for "no quantified group that contains a repeating quantifier" (the shape behind
// catastrophic backtracking such as (a+)+ or (\w+\s?)*). Works on regex source text.

interface Group {
  hasRepeat: boolean;
}

function nestedQuantifiers(source: string): string[] {
  const problems: string[] = [];
  const stack: Group[] = [{ hasRepeat: false }];
  let lastGroup: Group | undefined;
  let i = 0;
  const top = (): Group => stack[stack.length - 1] ?? { hasRepeat: false };
  while (i < source.length) {
    const c = source[i];
    if (c === '\\') {
      const n = source[i + 1];
      if ((n === 'u' || n === 'p' || n === 'P') && source[i + 2] === '{') i = source.indexOf('}', i) + 1;
      else if (n === 'k' && source[i + 2] === '<') i = source.indexOf('>', i) + 1;
      else i += 2;
      lastGroup = undefined;
      continue;
    }
    if (c === '[') {
      i++;
      while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
      i++;
      lastGroup = undefined;
      continue;
    }
    if (c === '(') {
      stack.push({ hasRepeat: false });
      i++;
      if (source[i] === '?') {
        const a = source[i + 1];
        const b = source[i + 2];
        if (a === '<' && b !== '=' && b !== '!') i = source.indexOf('>', i) + 1; // named group
        else i += a === '<' ? 3 : 2; // (?<= (?<! or (?: (?= (?!
      }
      lastGroup = undefined;
      continue;
    }
    if (c === ')') {
      const g = stack.pop() ?? { hasRepeat: false };
      if (g.hasRepeat) top().hasRepeat = true;
      lastGroup = g;
      i++;
      continue;
    }
    const brace = c === '{' ? /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i)) : null;
    if (c === '*' || c === '+' || c === '?' || brace !== null) {
      let repeating = c === '*' || c === '+';
      let length = 1;
      if (brace !== null) {
        const max = brace[2] === undefined ? Number(brace[1]) : brace[3] === '' ? Infinity : Number(brace[3]);
        repeating = max > 1;
        length = brace[0].length;
      }
      if (repeating) {
        if (lastGroup?.hasRepeat === true) problems.push(`repeating group with a repeating quantifier before offset ${i}`);
        top().hasRepeat = true;
      }
      i += length;
      if (source[i] === '?') i++; // lazy
      lastGroup = undefined;
      continue;
    }
    lastGroup = undefined;
    i++;
  }
  return problems;
}

describe('nested-quantifier checker (self-test)', () => {
  it('flags the classic shapes', () => {
    assert.ok(nestedQuantifiers('(a+)+').length > 0);
    assert.ok(nestedQuantifiers('(?:\\w+\\s?)*').length > 0);
    assert.ok(nestedQuantifiers('(?:a{2,3}){1,5}').length > 0);
    assert.ok(nestedQuantifiers('(?:x(?:b*))+').length > 0);
  });
  it('accepts bounded or non-repeating shapes', () => {
    assert.deepEqual(nestedQuantifiers('(?:[ -]?\\d){12,18}'), []);
    assert.deepEqual(nestedQuantifiers('(?:a|b)*'), []);
    assert.deepEqual(nestedQuantifiers('(?:a+)?'), []);
    assert.deepEqual(nestedQuantifiers('(?<name>x+)y'), []);
    assert.deepEqual(nestedQuantifiers('(?<![a-z][\\s\\S]{4})\\u{1F600}+'), []);
  });
});

// ---------------------------------------------------------------------------------------------

describe('rule table', () => {
  it('has unique kebab-case names, lower-case keywords and sensible flags', () => {
    const names = new Set<string>();
    for (const rule of RULES) {
      assert.match(rule.name, /^[a-z0-9]+(?:-[a-z0-9]+)*$/);
      assert.ok(!names.has(rule.name), `duplicate ${rule.name}`);
      names.add(rule.name);
      assert.ok(rule.kind === 'credential' || rule.kind === 'pii');
      assert.ok(rule.pattern.global, `${rule.name} needs the g flag`);
      if (/\(\?<(?:secret|before)>/.test(rule.pattern.source)) assert.ok(rule.pattern.hasIndices, `${rule.name} needs the d flag`);
      for (const k of rule.keywords) assert.equal(k, k.toLowerCase(), `${rule.name} keyword ${k}`);
    }
  });

  it('lists credential rules before PII rules', () => {
    const firstPii = RULES.findIndex((r) => r.kind === 'pii');
    assert.ok(RULES.slice(firstPii).every((r) => r.kind === 'pii'));
  });

  it('a redaction token matches no rule', () => {
    for (const rule of RULES) assert.deepEqual(findMatches(rule, redactionToken(rule.name)), [], rule.name);
  });

  it('a redaction token is left alone in the context that produced it (e.g. "Authorization: Bearer [redacted:authorization-header]")', () => {
    for (const p of allPositives()) {
      const once = screen(p.text).text;
      assert.equal(screen(once).text, once, p.text);
      assert.equal(screen(once).hits.size, 0, p.text);
    }
  });

  for (const rule of RULES) {
    it(`${rule.name}: no nested quantifiers`, () => {
      assert.deepEqual(nestedQuantifiers(rule.pattern.source), []);
    });
  }
});

describe('rules: positive samples and near misses', () => {
  for (const rule of RULES) {
    const { positives, negatives } = samplesFor(rule);
    it(`${rule.name}: has samples`, () => {
      assert.ok(positives.length > 0 && negatives.length > 0);
    });
    positives.forEach((sample, n) => {
      it(`${rule.name}: positive #${n + 1}`, () => {
        assert.ok(covers(rule, sample.text, sample.secret), `${rule.name} does not cover ${JSON.stringify(sample.secret)} in ${JSON.stringify(sample.text)}`);
        const out = screen(sample.text);
        assert.ok(!out.text.includes(sample.secret), out.text);
        assert.ok(out.hits.size > 0);
        assert.ok(out.text.includes('[redacted:'));
      });
    });
    negatives.forEach((text, n) => {
      it(`${rule.name}: near miss #${n + 1} ${JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text)}`, () => {
        assert.deepEqual(findMatches(rule, text), []);
      });
    });
  }
});

describe('rules: specifics', () => {
  it('keeps the key name and the scheme visible', () => {
    assert.equal(screen(`api_key=${rand(32)}`).text, 'api_key=[redacted:generic-secret-assignment]');
    assert.equal(screen(`Authorization: Bearer ${rand(40)}`).text, 'Authorization: Bearer [redacted:authorization-header]');
    assert.equal(screen(`postgres://app:${rand(16)}@db:5432/x`).text, 'postgres://app:[redacted:url-userinfo]@db:5432/x');
  });

  it('does not redact short or empty assignments, placeholders or plain words', () => {
    for (const s of ['token=abc', 'password=', 'password: ""', 'key=value', 'api_key=${API_KEY}', 'secret=<secret>', 'the key is here', 'keyboard=qwerty123456789012']) {
      assert.equal(screen(s).text, s, s);
    }
  });

  it('redacts a truncated PEM key up to where the key material ends', () => {
    const out = screen(`dump -----BEGIN RSA PRIVATE KEY-----\nMIIE${rand(60, ALNUM)}\n${rand(40)}" trailing`).text;
    assert.equal(out, 'dump [redacted:pem-private-key]" trailing');
  });

  it('redacts a GCP key file private_key member but keeps the rest of the JSON', () => {
    const text = `{"type":"service_account","private_key_id":"abc","private_key":"-----BEGIN PRIVATE KEY-----\\nMIIE${rand(60)}\\n-----END PRIVATE KEY-----\\n","client_id":"123"}`;
    assert.equal(
      screen(text).text,
      '{"type":"service_account","private_key_id":"abc","private_key":"[redacted:gcp-service-account-key]","client_id":"123"}',
    );
  });

  it('splits URL userinfo at the last @ before the host', () => {
    const pw = `${rand(6)}@${rand(6)}`;
    assert.equal(screen(`https://u:${pw}@host.example/x`).text, 'https://u:[redacted:url-userinfo]@host.example/x');
  });

  it('treats e-mail-looking userinfo as userinfo, not as an address', () => {
    assert.equal(screen(`https://a:b@c.example/x?to=d@e.example`).text, 'https://a:[redacted:url-userinfo]@c.example/x?to=[redacted:email]');
  });

  it('only redacts PagerDuty-shaped keys when labelled', () => {
    const key = rand(32);
    assert.equal(screen(`routing_key=${key}`).text, 'routing_key=[redacted:pagerduty-integration-key]');
    assert.equal(findMatches(SECRET_RULES.find((r) => r.name === 'pagerduty-integration-key') ?? RULES[0]!, `dedup ${key}`).length, 0);
  });
});

describe('payment cards and Luhn', () => {
  it('luhnValid', () => {
    for (const ok of ['4111111111111111', '5500000000000004', '378282246310005', '6011111111111117', '0', '18', '79927398713']) assert.equal(luhnValid(ok), true, ok);
    for (const bad of ['4111111111111112', '79927398710', '1', '12a4', '', ' 18']) assert.equal(luhnValid(bad), false, bad);
  });

  it('a 16-digit number that fails Luhn is not redacted', () => {
    for (const s of ['4111 1111 1111 1112', '4111-1111-1111-1113', '4111111111111114']) assert.equal(screen(`card ${s}`).text, `card ${s}`);
  });

  it('a number that passes Luhn but has no card-network prefix is not redacted (timestamps, ids)', () => {
    // 1700000000004 passes Luhn; epoch milliseconds start with 1.
    assert.equal(luhnValid('1700000000004'), true);
    assert.equal(screen('ts=1700000000004').text, 'ts=1700000000004');
  });

  it('redacts numbers with mixed separators', () => {
    assert.equal(screen('4111 1111-1111 1111').text, '[redacted:payment-card]');
  });

  it('finds a card right after another number, and one that runs on into another number', () => {
    assert.equal(screen('qty 2 4111 1111 1111 1111').text, 'qty 2 [redacted:payment-card]');
    assert.equal(screen('4111 1111 1111 1111 2').text, '[redacted:payment-card]');
    // …but only splits at separators: an unseparated number is judged whole.
    assert.equal(screen('4012888888881882').text, '4012888888881882');
  });

  it('does not match inside a longer digit run', () => {
    assert.equal(screen(`id 9${'4111111111111111'}9`).text, 'id 941111111111111119');
  });
});

describe('phone numbers', () => {
  const keep = [
    'epoch 1700000000 and 1700000000123 ms',
    'date 2024-01-15, 15.01.2024, 01/15/2024, 2024-01-15T10:20:30Z',
    'took 1500 ms, 12:30:45, 00:00:05.123',
    'version 1.2.3, 10.0.19041.1234, v2024.1.15',
    'uuid 123e4567-e89b-12d3-a456-426614174000 and 12345678-1234-1234-1234-123456789012',
    'ip 192.168.100.200 and 10.0.0.1:8080',
    'port range 8000-9000, ratio 16:9, 1 000 000 items',
  ];
  for (const s of keep) {
    it(`leaves ${JSON.stringify(s)} alone`, () => {
      assert.equal(screen(s).text, s);
    });
  }
  it('finds a phone number next to other numbers (regressions from the property tests)', () => {
    for (const s of [' tel:+447911123456 4111 1111 1111 1111', 'qty 42 555-123-4567', 'a +1 555 123 4567 5 6 7']) {
      const out = screen(s).text;
      assert.doesNotMatch(out, /\d{3}/, out); // neither the phone number nor any part of the card survives
    }
  });

  it('redacts E.164 and national formats', () => {
    assert.equal(screen('call +1 (555) 123-4567 or 555.123.4567').text, 'call [redacted:phone-number] or [redacted:phone-number]');
    assert.equal(screen('+33 1 23 45 67 89').text, '[redacted:phone-number]');
    assert.equal(screen('01 23 45 67 89').text, '[redacted:phone-number]');
  });
});

describe('shannonEntropy', () => {
  it('computes bits per character', () => {
    assert.equal(shannonEntropy(''), 0);
    assert.equal(shannonEntropy('aaaa'), 0);
    assert.equal(shannonEntropy('ab'), 1);
    assert.equal(shannonEntropy('abcd'), 2);
    assert.equal(shannonEntropy('😀😁'), 1); // code points, not code units
    assert.equal(shannonEntropy('é😀'), 1);
    assert.ok(shannonEntropy(rand(64)) > 4.5);
  });
});

describe('overlaps and order', () => {
  it('merges overlapping matches into one token named after the earliest rule', () => {
    const jwt = fakeJwt();
    assert.equal(screen(`Authorization: Bearer ${jwt}`).text, 'Authorization: Bearer [redacted:jwt]');
    const gh = `ghp_${rand(36)}`;
    assert.equal(screen(`https://x:${gh}@github.com/o/r.git`).text, 'https://x:[redacted:github-token]@github.com/o/r.git');
    assert.equal(screen(`password=${gh}`).text, 'password=[redacted:github-token]');
  });

  it('counts hits per rule', () => {
    const text = `a ghp_${rand(36)} b ghp_${rand(36)} c bob@example.com`;
    const { hits } = screen(text);
    assert.deepEqual([...hits].sort(), [
      ['email', 1],
      ['github-token', 2],
    ]);
  });

  it('handles adjacent secrets without breaking either token', () => {
    const text = `ghp_${rand(36)} sk_live_${rand(24)}\nAKIA${rand(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`;
    assert.equal(screen(text).text, '[redacted:github-token] [redacted:stripe-key]\n[redacted:aws-access-key-id]');
  });

  it('never produces a token inside a token', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...allPositives().map((p) => p.text), ' ', '\n', '=', ':', '@', 'Bearer '), { maxLength: 8 }), (parts) => {
        const out = screen(parts.join('')).text;
        assert.doesNotMatch(out, /\[redacted:[^\]]*\[/);
      }),
      { numRuns: 500 },
    );
  });
});

describe('screen: properties', () => {
  it('is idempotent on random text', () => {
    fc.assert(
      fc.property(anyText(80), (s) => {
        const once = screen(s).text;
        assert.equal(screen(once).text, once);
      }),
      { numRuns: 2000 },
    );
  });

  it('is idempotent on text made of secrets and separators', () => {
    const pieces = [...allPositives().map((p) => p.text), ' ', '\n', '=', ':', '@', '"', 'key=', 'Bearer ', 'https://', DIGITS];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 10 }), (parts) => {
        const once = screen(parts.join('')).text;
        assert.equal(screen(once).text, once);
        assert.equal(screen(once).hits.size, 0);
      }),
      { numRuns: 1000 },
    );
  });

  it('removes every sample secret wherever it appears', () => {
    const positives = allPositives();
    fc.assert(
      fc.property(fc.constantFrom(...positives), anyText(10), anyText(10), (p, before, after) => {
        const out = screen(`${before} ${p.text} ${after}`).text;
        assert.ok(!out.includes(p.secret), `${p.secret} survived in ${out}`);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('containsCredential', () => {
  it('names a credential rule for every credential sample', () => {
    for (const rule of RULES.filter((r) => r.kind === 'credential')) {
      for (const p of samplesFor(rule).positives) assert.notEqual(containsCredential(p.text), undefined, `${rule.name}: ${p.text}`);
    }
  });

  it('returns the first credential rule in table order', () => {
    assert.equal(containsCredential(`x bob@example.com ghp_${rand(36)} AKIA${rand(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`), 'aws-access-key-id');
  });

  it('ignores PII, clean text and screened text', () => {
    assert.equal(containsCredential('mail bob@example.com, call +1 555 123 4567, card 4111 1111 1111 1111'), undefined);
    assert.equal(containsCredential('tool=read_file caller=user-42'), undefined);
    for (const p of allPositives()) assert.equal(containsCredential(screen(p.text).text), undefined, p.text);
  });
});

describe('screenDeep', () => {
  it('screens strings in nested objects and arrays, keys included, without mutating the input', () => {
    const gh = `ghp_${rand(36)}`;
    const input = { a: [{ msg: `token ${gh}` }, 42, true, null], [`k ${gh}`]: 'v', nested: { deeper: { mail: 'bob@example.com' } } };
    const copy = structuredClone(input);
    assert.deepEqual(screenDeep(input), {
      a: [{ msg: 'token [redacted:github-token]' }, 42, true, null],
      'k [redacted:github-token]': 'v',
      nested: { deeper: { mail: '[redacted:email]' } },
    });
    assert.deepEqual(input, copy);
  });

  it('counts what it redacts per rule when asked, sensitive fields included', () => {
    const gh = `ghp_${rand(36)}`;
    const hits = new Map<string, number>();
    const out = screenDeep({ msg: `token ${gh} for bob@example.com`, list: ['carol@example.com'], password: 'hunter22', already: { token: '[redacted:sensitive-field]' }, n: 3 }, hits);
    assert.deepEqual(Object.fromEntries(hits), { 'github-token': 1, email: 2, [SENSITIVE_FIELD_RULE]: 1 });
    assert.equal(JSON.stringify(out).includes(gh), false);
    const none = new Map<string, number>();
    screenDeep({ msg: 'nothing to see', tool: 'read_file' }, none);
    assert.equal(none.size, 0);
  });

  it('names every redaction by a rule of one closed list', () => {
    assert.deepEqual(REDACTION_RULE_NAMES, [...SECRET_RULES.map((r) => r.name), SENSITIVE_FIELD_RULE]);
    const names = new Set(REDACTION_RULE_NAMES);
    for (const p of allPositives()) for (const rule of screen(p.text).hits.keys()) assert.ok(names.has(rule), rule);
  });

  it('replaces whole values under sensitive field names', () => {
    assert.deepEqual(
      screenDeep({ password: 'hunter2', apiKey: 'abc', 'x-api-key': 'abc', client_secret: 'x', Authorization: 'Basic abc', pin: 1234, tokenCount: 3, keyId: 'k1', token: '', secret: null }),
      {
        password: '[redacted:sensitive-field]',
        apiKey: '[redacted:sensitive-field]',
        'x-api-key': '[redacted:sensitive-field]',
        client_secret: '[redacted:sensitive-field]',
        Authorization: '[redacted:sensitive-field]',
        pin: 1234,
        tokenCount: 3,
        keyId: 'k1',
        token: '',
        secret: null,
      },
    );
  });

  it('handles cycles, depth, errors, maps, sets, buffers, dates and toJSON (Secret)', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic['self'] = cyclic;
    assert.deepEqual(screenDeep(cyclic), { name: 'loop', self: '[circular]' });

    let deep: unknown = 'bottom';
    for (let i = 0; i < 40; i++) deep = [deep];
    assert.ok(JSON.stringify(screenDeep(deep)).includes('[depth-limit]'));

    const shared = { x: 1 };
    assert.deepEqual(screenDeep({ a: shared, b: shared }), { a: { x: 1 }, b: { x: 1 } });

    const err = new Error(`failed with ghp_${rand(36)}`, { cause: new Error('inner bob@example.com') });
    const out = screenDeep(err) as Record<string, unknown>;
    assert.equal(out['message'], 'failed with [redacted:github-token]');
    assert.equal((out['cause'] as Record<string, unknown>)['message'], 'inner [redacted:email]');
    assert.ok(typeof out['stack'] === 'string' && !(out['stack'] as string).includes('ghp_'));

    assert.deepEqual(screenDeep(new Map([['mail', 'bob@example.com']])), { mail: '[redacted:email]' });
    assert.deepEqual(screenDeep(new Set(['bob@example.com'])), ['[redacted:email]']);
    assert.equal(screenDeep(Buffer.from('secret')), '[binary 6 bytes]');
    const d = new Date(0);
    assert.equal(screenDeep(d), d);
    assert.deepEqual(screenDeep({ webhook: new Secret('https://hooks.slack.com/services/x') }), { webhook: '<secret>' });
    assert.equal(screenDeep(() => 1), '[function]');
    assert.equal(screenDeep(10n), 10n);
  });

  it('property: no sample secret survives in any string of the result', () => {
    const positives = allPositives();
    fc.assert(
      fc.property(fc.constantFrom(...positives), fc.string({ maxLength: 8 }), (p, key) => {
        const out = JSON.stringify(screenDeep({ [key]: [p.text, { inner: p.text }], [p.text]: 1 }));
        assert.ok(!out.includes(JSON.stringify(p.secret).slice(1, -1)), out);
      }),
      { numRuns: 300 },
    );
  });
});

describe('adversarial 100 KB inputs (completion only; timings are measured by measure-screen.ts)', () => {
  for (const rule of RULES) {
    it(`${rule.name}: every adversarial input completes`, () => {
      for (const { label, text } of adversarialInputs(rule)) {
        assert.equal(text.length >= 100 * 1024, true, label);
        findMatches(rule, text);
      }
    });
  }

  it('screen() completes on the generic adversarial inputs and stays idempotent', () => {
    const seen = new Set<string>();
    for (const rule of RULES.slice(0, 1)) {
      for (const { label, text } of adversarialInputs(rule)) {
        if (seen.has(label)) continue;
        seen.add(label);
        const once = screen(text).text;
        assert.equal(screen(once).text, once, label);
      }
    }
  });
});
