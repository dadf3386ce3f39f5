import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { boundText, keyLabel } from '../../src/backtest/bound.js';
import { escapeHtml, eventText } from '../../src/backtest/html.js';

describe('escapeHtml', () => {
  it('escapes the five characters that matter in HTML text and quoted attributes', () => {
    assert.equal(escapeHtml(`<script>alert("x")</script>`), '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    assert.equal(escapeHtml(`a & b 'c' "d"`), 'a &amp; b &#39;c&#39; &quot;d&quot;');
    // Already-escaped text is escaped again: the report shows what the event said, literally.
    assert.equal(escapeHtml('&lt;'), '&amp;lt;');
    assert.equal(escapeHtml('plain ü 👩‍💻'), 'plain ü 👩‍💻');
  });

  it('leaves nothing that can open a tag, an entity or end an attribute', () => {
    const hostile = `"><img src=x onerror=alert(1)>'&#x3c;<svg/onload=alert(2)>`;
    const out = escapeHtml(hostile);
    assert.doesNotMatch(out, /[<>"']/);
    assert.doesNotMatch(out, /&(?!amp;|lt;|gt;|quot;|#39;)/);
  });
});

describe('boundText and eventText', () => {
  it('bounds length with an ellipsis and never splits a surrogate pair', () => {
    assert.equal(boundText('x'.repeat(5000), 80).length, 80);
    assert.ok(boundText('x'.repeat(5000), 80).endsWith('…'));
    const emoji = 'a' + '😀'.repeat(50);
    const cut = boundText(emoji, 10);
    assert.ok(cut.length <= 10);
    assert.doesNotMatch(cut, /[\ud800-\udbff](?![\udc00-\udfff])/);
    assert.equal(boundText('short', 80), 'short');
  });

  it('replaces control and bidi characters so a value cannot forge lines or reverse text', () => {
    assert.equal(boundText('a\nb\u001b[31mc\u202Egnp.exe'), 'a\ufffdb\ufffd[31mc\ufffdgnp.exe');
  });

  it('eventText bounds then escapes: the escaped result of a long hostile value stays short', () => {
    const out = eventText('<script>'.repeat(1000), 40);
    assert.ok(out.startsWith('&lt;script&gt;'));
    assert.doesNotMatch(out, /<|>/);
    assert.ok(out.length < 40 * 5);
  });

  it('keyLabel pairs fields with bounded values; a missing field shows as -', () => {
    assert.equal(keyLabel(['callerId', 'tool'], ['c\n1', null]), 'callerId=c\ufffd1, tool=-');
  });
});
