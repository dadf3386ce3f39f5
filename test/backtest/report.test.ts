import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Backtester } from '../../src/backtest/backtester.js';
import type { Transition } from '../../src/engine/transition.js';
import { renderReport } from '../../src/backtest/report.js';
import { MAX_TIMELINE_POINTS } from '../../src/backtest/timeline.js';
import { GEN_T0, realisticStream } from './gen.js';
import { HOSTILE_CALLERS, backtestWithHostileKeys, shippedLike } from './fixture.js';

const ALLOWED_TAGS = new Set(['!doctype', 'html', 'head', 'meta', 'title', 'style', 'body', 'h1', 'h2', 'h3', 'p', 'span', 'b', 'code', 'a', 'table', 'tr', 'th', 'td', 'div', 'section', 'svg', 'line', 'text', 'rect', 'circle', 'polyline']);

/** What a self-contained, script-free report must never contain. */
function assertInert(html: string): void {
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">/);
  // Every tag is one the renderer writes; none carries an event handler; links stay in the page.
  for (const m of html.matchAll(/<\/?([a-z!][a-z0-9]*)([^>]*)>/gi)) {
    const [tag, name = '', attrs = ''] = m;
    assert.ok(ALLOWED_TAGS.has(name.toLowerCase()), `unexpected tag ${tag.slice(0, 80)}`);
    assert.doesNotMatch(attrs, /\son\w+\s*=/i, tag.slice(0, 80));
    if (name === 'a' && !tag.startsWith('</')) assert.match(attrs, /^ href="#d-[a-z0-9-]+"$/);
  }
  for (const bad of [/https?:\/\//i, /url\(/i, /@import/i, /javascript:/i]) assert.doesNotMatch(html, bad, `report contains ${bad}`);
}

describe('renderReport', () => {
  it('shows hostile key values as bounded, escaped text and nothing else', () => {
    const r = backtestWithHostileKeys(20_000);
    const burst = r.detectors.find((d) => d.def.id === 'rate-limit-burst');
    // The hostile callers are the top keys, so their values reach labels, titles and tables.
    assert.ok(burst?.tuning?.timelines.some((k) => k.values[0] === '<script>alert(1)</script>'));
    const html = renderReport(r, { name: '<input "file">.jsonl', read: 1, rejected: 0 });
    assertInert(html);
    assert.ok(html.includes('callerId=&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(html.includes('callerId=&quot;&gt;&lt;img src=x onerror=alert(2)&gt;'));
    assert.ok(html.includes('callerId=a&amp;amp;b &amp;lt;c&amp;gt; &amp;#x3c;'));
    assert.ok(html.includes('admin\ufffdgnp.exe\ufffdforged line'));
    assert.ok(html.includes('&lt;input &quot;file&quot;&gt;.jsonl'));
    // The 5,000-character value is cut (and so is every other).
    assert.doesNotMatch(html, /x{100}/);
    for (const c of HOSTILE_CALLERS) if (/[<>"'&]/.test(c)) assert.ok(!html.includes(c), `raw ${c.slice(0, 20)} in the report`);
  });

  it('stays a few hundred KB for a million events: bounded timelines, no per-key tables', () => {
    const started = performance.now();
    const bt = Backtester.create(shippedLike(), { latenessMs: 30_000, windowsMs: [] });
    const out: Transition[] = [];
    for (const e of realisticStream(1_000_000, { spanMs: 24 * 3_600_000 })) {
      bt.process(e, out);
      out.length = 0;
    }
    const r = bt.result();
    const ms = performance.now() - started;
    const html = renderReport(r, { name: 'generated', read: 1_000_000, rejected: 0 });
    const kb = Buffer.byteLength(html) / 1024;
    console.log(`# 1M events: backtest ${(ms / 1000).toFixed(1)} s, report ${kb.toFixed(0)} KiB`);
    assert.equal(r.accepted, 1_000_000);
    assert.ok(r.lastTs !== undefined && r.lastTs > GEN_T0);
    assert.ok(kb < 400, `report is ${kb.toFixed(0)} KiB`);
    assertInert(html);
    // Every timeline polyline: at most 500 samples, drawn as steps (two vertices per sample).
    const lines = [...html.matchAll(/<polyline class="count" points="([^"]*)"/g)].map((m) => (m[1] ?? '').split(' ').length);
    assert.equal(lines.length, r.detectors.reduce((n, d) => n + (d.tuning?.timelines.length ?? 0), 0));
    assert.ok(lines.length >= 6);
    assert.ok(Math.max(...lines) <= 2 * MAX_TIMELINE_POINTS);
    const heavy = r.detectors.flatMap((d) => d.tuning?.timelines ?? []).filter((k) => k.samples > MAX_TIMELINE_POINTS);
    assert.ok(heavy.length > 0, 'some timeline had to be decimated');
  });
});
