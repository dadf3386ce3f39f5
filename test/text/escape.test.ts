import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { slackEscape, slackLink, slackMrkdwnLiteral, slackMrkdwnText, slackPlainText } from '../../src/text/escape.js';
import { anyText, hasLoneSurrogate, onlyKnownEntities, unescapeSlack } from './util.js';

const SHY = '\u00AD';
const ZWSP = '\u200B';

describe('slackEscape', () => {
  it('escapes exactly &, < and >', () => {
    assert.equal(slackEscape(`a & b < c > d "e" 'f'`), `a &amp; b &lt; c &gt; d "e" 'f'`);
  });

  it('re-escapes entities instead of trusting them (double-escape attempts show literally)', () => {
    assert.equal(slackEscape('&lt;!channel&gt;'), '&amp;lt;!channel&amp;gt;');
  });
});

describe('slackMrkdwnLiteral: mentions and links cannot be formed', () => {
  const injections = [
    '<!channel>',
    '<!here>',
    '<!here|here>',
    '<!everyone>',
    '<!subteam^S123>',
    '<!subteam^S123|@oncall>',
    '<@U123ABC>',
    '<#C123|general>',
    '<https://evil.example|click here>',
    '<mailto:x@evil.example|mail>',
    '<!date^1392734382^{date}|Feb 18>',
  ];
  for (const s of injections) {
    it(`renders ${s} literally`, () => {
      const out = slackMrkdwnLiteral(s);
      assert.doesNotMatch(out, /[<>]/);
      assert.ok(onlyKnownEntities(out));
      assert.equal(unescapeSlack(out), s);
    });
  }

  it('does not decode pre-escaped input', () => {
    const out = slackMrkdwnLiteral('&lt;!channel&gt; &amp;lt;');
    assert.equal(out, '&amp;lt;!channel&amp;gt; &amp;amp;lt;');
  });
});

describe('slackMrkdwnLiteral: formatting characters', () => {
  it('wraps *, ~ and ` in soft hyphens', () => {
    assert.equal(slackMrkdwnLiteral('*bold*'), `${SHY}*${SHY}bold${SHY}*${SHY}`);
    assert.equal(slackMrkdwnLiteral('~x~'), `${SHY}~${SHY}x${SHY}~${SHY}`);
    assert.equal(slackMrkdwnLiteral('```code```').replaceAll(SHY, ''), '```code```');
    assert.ok(!slackMrkdwnLiteral('```').includes('``'));
  });

  it('wraps _ at word boundaries but leaves snake_case identifiers alone', () => {
    assert.equal(slackMrkdwnLiteral('read_file'), 'read_file');
    assert.equal(slackMrkdwnLiteral('_it_'), `${SHY}_${SHY}it${SHY}_${SHY}`);
    assert.equal(slackMrkdwnLiteral('a _b_ c'), `a ${SHY}_${SHY}b${SHY}_${SHY} c`);
  });

  it('puts a soft hyphen before > at the start of a line (block quote), not elsewhere', () => {
    assert.equal(slackMrkdwnLiteral('> quoted'), `${SHY}&gt; quoted`);
    assert.equal(slackMrkdwnLiteral('a\n  > b'), `a\n  ${SHY}&gt; b`);
    assert.equal(slackMrkdwnLiteral('a > b'), 'a &gt; b');
    assert.equal(slackMrkdwnLiteral('>>> all'), `${SHY}&gt;&gt;&gt; all`);
  });

  it('breaks auto-linking of URLs, domains, e-mails, @mentions and #channels with zero-width spaces', () => {
    assert.equal(slackMrkdwnLiteral('https://evil.example/x'), `https:${ZWSP}//evil.${ZWSP}example/x`);
    assert.equal(slackMrkdwnLiteral('www.evil.com'), `www.${ZWSP}evil.${ZWSP}com`);
    assert.equal(slackMrkdwnLiteral('a@b.co'), `a@${ZWSP}b.${ZWSP}co`);
    assert.equal(slackMrkdwnLiteral('@here @channel #general'), `@${ZWSP}here @${ZWSP}channel #${ZWSP}general`);
    assert.equal(slackMrkdwnLiteral('v1.2.3 and 10.0.0.1'), 'v1.2.3 and 10.0.0.1');
  });

  it('keeps ordinary text as is', () => {
    for (const s of ['tool call read_file by user-42', '日本語 😀 👨‍👩‍👧', 'a - b + c = d (e) [f] {g}', 'ratio 3/4, 50%']) {
      assert.equal(slackMrkdwnLiteral(s), s);
    }
  });

  it('only ever adds invisible characters and entities', () => {
    fc.assert(
      fc.property(anyText(), (s) => {
        const clean = s.replaceAll(SHY, '').replaceAll(ZWSP, '');
        assert.equal(unescapeSlack(slackMrkdwnLiteral(clean)), clean);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('slackMrkdwnLiteral / slackPlainText: max', () => {
  it('bounds the escaped length without cutting an entity', () => {
    const out = slackMrkdwnLiteral('&'.repeat(100), { max: 23 });
    assert.ok(out.length <= 23);
    assert.ok(onlyKnownEntities(out));
    assert.match(out, /^(?:&amp;)+\u2026\[\+\d+ chars\]$/);
  });

  it('does not split a surrogate pair', () => {
    for (let max = 1; max < 30; max++) {
      const out = slackPlainText('😀'.repeat(20), { max });
      assert.ok(out.length <= max);
      assert.equal(hasLoneSurrogate(out), false);
    }
  });

  it('counts omitted input code units in the marker', () => {
    assert.equal(slackPlainText('<'.repeat(10), { max: 20 }), `&lt;&lt;…[+8 chars]`);
  });

  it('property: within max, no raw < or >, only known entities', () => {
    fc.assert(
      fc.property(anyText(), fc.integer({ min: 0, max: 80 }), (s, max) => {
        for (const out of [slackMrkdwnLiteral(s, { max }), slackPlainText(s, { max })]) {
          assert.ok(out.length <= max);
          assert.doesNotMatch(out, /[<>]/);
          assert.ok(onlyKnownEntities(out));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('slackPlainText', () => {
  it('escapes &, <, > and nothing else', () => {
    assert.equal(slackPlainText('<!here> *not bold* _x_ & co > 1'), '&lt;!here&gt; *not bold* _x_ &amp; co &gt; 1');
  });

  it('property: never contains < or >, round-trips', () => {
    fc.assert(
      fc.property(anyText(), (s) => {
        const out = slackPlainText(s);
        assert.doesNotMatch(out, /[<>]/);
        assert.equal(out.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'), s);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('slackMrkdwnText', () => {
  it('builds a mrkdwn object with verbatim: true', () => {
    assert.deepEqual(slackMrkdwnText('<!channel>'), { type: 'mrkdwn', text: '&lt;!channel&gt;', verbatim: true });
  });
});

describe('slackLink', () => {
  const base = 'https://console.example.com/app';

  it('joins the base URL and percent-encoded segments, escapes the label', () => {
    assert.equal(
      slackLink(base, ['events', 'evt 1/2'], 'Event <1>'),
      '<https://console.example.com/app/events/evt%201%2F2|Event &lt;1&gt;>',
    );
    assert.equal(slackLink('https://console.example.com/app/', ['x'], 'x'), '<https://console.example.com/app/x|x>');
    assert.equal(slackLink(new URL('https://h.example'), [], 'home'), '<https://h.example/|home>');
  });

  it('encodes everything that could end the link or inject into it', () => {
    const link = slackLink(base, ['a|b', 'c>d', '<!channel>', 'e&f', "g'(h)*!", 'new\nline'], 'label');
    const url = link.slice(1, link.indexOf('|'));
    assert.doesNotMatch(url, /[|<>\s'()*!]/);
    assert.ok(onlyKnownEntities(url));
    assert.ok(url.includes('a%7Cb') && url.includes('%3C!channel%3E'.replace('!', '%21')));
  });

  it('does not let . or .. segments climb out of the base path', () => {
    const link = slackLink(base, ['..', '.', 'admin'], 'x');
    assert.ok(link.startsWith('<https://console.example.com/app/%252E%252E/%252E/admin|'));
    const url = new URL(link.slice(1, link.indexOf('|')));
    assert.equal(url.pathname, '/app/%252E%252E/%252E/admin');
    // %2E%2E would not do: the URL standard resolves it like "..".
    assert.equal(new URL('https://console.example.com/app/%2E%2E/admin').pathname, '/admin');
  });

  it('keeps the label to one escaped line without | or >', () => {
    const link = slackLink(base, ['x'], 'a|b > c\n<!here> *bold*');
    const label = link.slice(link.indexOf('|') + 1, -1);
    assert.ok(!label.includes('|'));
    assert.doesNotMatch(label, /[<>\n]/);
    assert.ok(label.includes('\u2223'));
    assert.ok(label.includes('&lt;!here&gt;'));
  });

  it('bounds the label', () => {
    const link = slackLink(base, ['x'], 'y'.repeat(5000));
    assert.ok(link.length < 300);
    assert.ok(link.includes('chars]'));
  });

  it('omits an empty label', () => {
    assert.equal(slackLink(base, ['x'], ''), '<https://console.example.com/app/x>');
  });

  it('survives lone surrogates in segments', () => {
    assert.equal(slackLink(base, ['\uD800'], 'x'), '<https://console.example.com/app/%EF%BF%BD|x>');
  });

  it('rejects unsafe base URLs and empty segments', () => {
    assert.throws(() => slackLink('javascript:alert(1)', [], 'x'), TypeError);
    assert.throws(() => slackLink('ftp://example.com/', [], 'x'), TypeError);
    assert.throws(() => slackLink('https://user:pw@example.com/', [], 'x'), TypeError);
    assert.throws(() => slackLink('https://example.com/?q=1', [], 'x'), TypeError);
    assert.throws(() => slackLink('https://example.com/#f', [], 'x'), TypeError);
    assert.throws(() => slackLink('not a url', [], 'x'), TypeError);
    assert.throws(() => slackLink(base, [''], 'x'), RangeError);
    assert.throws(() => slackLink(base, ['a'.repeat(4000)], 'x'), RangeError);
  });

  it('encodes a | that the URL parser leaves in a configured base path', () => {
    const link = slackLink('https://example.com/a|b/', ['c'], 'x');
    assert.equal(link, '<https://example.com/a%7Cb/c|x>');
  });

  it('property: the URL part stays under the base path and never contains |, <, > or whitespace, the label never contains raw <, > or |', () => {
    fc.assert(
      fc.property(fc.array(anyText(20).filter((s) => s.length > 0), { maxLength: 4 }), anyText(), (segments, label) => {
        const link = slackLink(base, segments, label);
        assert.ok(link.startsWith('<https://console.example.com/app/') && link.endsWith('>'));
        const inner = link.slice(1, -1);
        const bar = inner.indexOf('|');
        const url = bar === -1 ? inner : inner.slice(0, bar);
        const text = bar === -1 ? '' : inner.slice(bar + 1);
        assert.doesNotMatch(url, /[|<>\s]/);
        assert.ok(new URL(url.replace(/&amp;/g, '&')).pathname.startsWith('/app/'));
        assert.doesNotMatch(text, /[|<>]/);
        assert.ok(onlyKnownEntities(inner));
      }),
      { numRuns: 1000 },
    );
  });
});
