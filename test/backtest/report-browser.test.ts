// The report in a real browser: Debian's `chromium` package driven by playwright-core. It must
// load from a file:// URL with no console error (a CSP violation is one), make no request but the
// file itself, show its charts, and keep hostile key values as text. A screenshot is written
// during the run; set AUDITWATCH_TEST_ARTIFACTS to a folder to keep a copy of it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { renderReport } from '../../src/backtest/report.js';
import { tempDir } from '../helpers/tmp.js';
import { backtestWithHostileKeys } from './fixture.js';

const CHROMIUM = process.env.AUDITWATCH_CHROMIUM ?? '/usr/bin/chromium';

async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    assert.fail(`Chromium not found at ${CHROMIUM}: install Debian's chromium package (apt-get install -y chromium), or set AUDITWATCH_CHROMIUM to a Chromium binary`);
  }
  let pw: typeof import('playwright-core');
  try {
    pw = await import('playwright-core');
  } catch (err) {
    assert.fail(`playwright-core is not installed (a devDependency: run npm install): ${String(err)}`);
  }
  return pw.chromium.launch({ executablePath: CHROMIUM, headless: true });
}

describe('the backtest report in headless Chromium', () => {
  it('loads offline with no console error and no request, shows every chart, and renders a screenshot', async (t) => {
    const tmp = tempDir('auditwatch-report-');
    const result = backtestWithHostileKeys(60_000);
    const file = join(tmp.dir, 'report.html');
    writeFileSync(file, renderReport(result, { name: 'generated.jsonl', read: 60_000, rejected: 0 }));
    const url = pathToFileURL(file).href;

    // Launched inside the test, so a missing browser fails it (with the install hint) rather than cancelling it.
    const browser = await launch();
    t.after(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    const response = await page.goto(url, { waitUntil: 'load' });
    assert.ok(response === null || response.ok());

    // Per tuned detector: the what-if curve and the histogram, plus one timeline per top key.
    const expected = result.detectors.reduce((n, d) => n + (d.tuning === undefined ? 0 : 2 + d.tuning.timelines.length), 0);
    assert.ok(expected >= 2 * 3 + 6);
    assert.equal(await page.locator('svg.chart').count(), expected);
    assert.equal(await page.locator('svg.chart polyline.count').count(), result.detectors.reduce((n, d) => n + (d.tuning?.timelines.length ?? 0), 0));
    assert.equal(await page.locator('svg.chart rect.bar').count() > 0, true);
    // Each chart has a real size on the page (it rendered, it is not collapsed).
    for (const box of await page.locator('svg.chart').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().width * e.getBoundingClientRect().height))) {
      assert.ok(box > 10_000);
    }
    // Hostile key values are text: no element was injected, the text is there verbatim.
    assert.equal(await page.locator('script, img, iframe, object, embed').count(), 0);
    const text = (await page.locator('body').textContent()) ?? '';
    assert.ok(text.includes('callerId=<script>alert(1)</script>'));
    assert.ok(text.includes(`callerId="><img src=x onerror=alert(2)>`));

    const shot = join(tmp.dir, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    await page.close();

    assert.deepEqual(problems, []);
    assert.deepEqual(requests, [url]);
    assert.ok(existsSync(shot));
    const size = statSync(shot).size;
    assert.ok(size > 50_000, `screenshot is only ${size} bytes`);
    const keep = process.env.AUDITWATCH_TEST_ARTIFACTS;
    if (keep !== undefined && keep !== '') {
      mkdirSync(keep, { recursive: true });
      copyFileSync(shot, join(keep, 'backtest-report.png'));
      copyFileSync(file, join(keep, 'backtest-report.html'));
    }
  });
});
