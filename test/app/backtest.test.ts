import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runBacktest } from '../../src/app/backtest.js';
import { bundledSample, packageRoot } from '../../src/app/paths.js';
import { replay } from '../../src/app/replay.js';
import { formatDuration } from '../../src/config/duration.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { realisticStream } from '../backtest/gen.js';

const SHIPPED = ['denial-spike.yaml', 'error-streak.yaml', 'rate-limit-burst.yaml'];

/** A detectors folder with copies of the shipped threshold and streak detectors. */
function shippedDetectors(t: ReturnType<typeof tempDir>, sub = 'detectors'): string {
  for (const f of SHIPPED) t.write(`${sub}/${f}`, readFileSync(join(packageRoot(), 'detectors', f), 'utf8'));
  return join(t.dir, sub);
}

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

/** `auditwatch replay` in-process with one detector file; what it fired, summed the documented way. */
async function replayNumbers(t: ReturnType<typeof tempDir>, name: string, yaml: string, input: string, endTs: number) {
  const dir = join(t.dir, name);
  t.write(`${name}/d.yaml`, yaml);
  const out = new Collect();
  assert.equal(await replay({ input, detectorsDir: dir, latenessMs: 30_000, stdout: out, stderr: new Collect() }), 0);
  const open = new Map<string, number>();
  const keys = new Set<string>();
  let alerts = 0;
  let alertMs = 0;
  for (const line of out.text.split('\n').filter((l) => l !== '')) {
    const j = JSON.parse(line) as { type: string; key: unknown; at: string };
    const key = JSON.stringify(j.key);
    const at = Date.parse(j.at);
    if (j.type === 'fired') {
      alerts++;
      keys.add(key);
      open.set(key, at);
    } else {
      alertMs += at - (open.get(key) ?? NaN);
      open.delete(key);
    }
  }
  for (const firedAt of open.values()) alertMs += endTs - firedAt;
  return { alerts, keys: keys.size, alertMs, openAtEnd: open.size };
}

describe('auditwatch backtest', () => {
  it('prints the numbers and the what-if tables, and writes the report', async () => {
    const t = tempDir();
    const report = join(t.dir, 'report.html');
    const r = await cli(['backtest', bundledSample(), '--detectors', shippedDetectors(t), '--window', '30m', '--report', report]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /backtest: 4,542 lines read/);
    assert.match(r.stderr, /rate-limit-burst +fired +1 +resolved +1/);
    assert.match(r.stderr, /report: .*report\.html \(\d+ KiB\)/);
    assert.match(r.stdout, /^rate-limit-burst {2}\(threshold: more than 100 in 1h per callerId, tool\)$/m);
    assert.match(r.stdout, /^ {2}alerts fired {4}1$/m);
    assert.match(r.stdout, /^ {2}alert-minutes {3}44\.8$/m);
    assert.match(r.stdout, /^ {2}peak count in 1h {14}p50 1 {2}p90 1 {2}p99 140 {2}max 140 {2}\(84 keys\)$/m);
    assert.match(r.stdout, /^ {2}peak count in 30m \(what-if\) +p50 1/m);
    assert.match(r.stdout, /^ +1h +100\* +1 +1 +44\.8$/m);
    assert.match(r.stdout, /^ +30m +100 +1 +1 +14\.8$/m);
    assert.match(r.stdout, /^error-streak {2}\(streak: more than 20 in a row per callerId\)$/m);
    assert.match(r.stdout, /^ +20\* +1 +1 +1\.3$/m);
    assert.ok(existsSync(report));
    const html = readFileSync(report, 'utf8');
    assert.match(html, /<svg class="chart"/);
    assert.ok(statSync(report).size < 200_000);
  });

  it('what-if numbers equal a separate replay with each threshold and window', async () => {
    const t = tempDir();
    const lines: string[] = [];
    for (const e of realisticStream(15_000, { seed: 3, callers: 300, spanMs: 4 * 3_600_000, burst: [10, 400] })) {
      lines.push(JSON.stringify({ callerId: e.callerId, tool: e.tool, outcome: e.outcome, timestamp: new Date(e.ts).toISOString() }));
    }
    const input = t.write('in.jsonl', lines.join('\n') + '\n');
    const { result } = await runBacktest({ input, detectorsDir: shippedDetectors(t), latenessMs: 30_000, windowsMs: [1_800_000] });
    const end = result.lastTs ?? 0;
    let compared = 0;
    for (const d of result.detectors) {
      if (d.def.id === 'denial-spike' || d.tuning === undefined) continue;
      for (const row of d.tuning.whatIf) {
        const yaml =
          d.def.kind === 'threshold'
            ? `id: v\nkind: threshold\nwhere: { outcome: rate_limited }\ngroupBy: [callerId, tool]\nwindow: ${formatDuration(row.windowMs ?? 0)}\nthreshold: ${row.threshold}\nseverity: info\n`
            : `id: v\nkind: streak\nwhere: { outcome: error }\nresetWhere: { outcome: success }\ngroupBy: [callerId]\nthreshold: ${row.threshold}\nseverity: info\n`;
        const want = await replayNumbers(t, `v${compared}`, yaml, input, end);
        assert.deepEqual({ alerts: row.alerts, keys: row.keys, alertMs: row.alertMs, openAtEnd: row.openAtEnd }, want, `${d.def.id} threshold ${row.threshold} window ${row.windowMs}`);
        compared++;
      }
    }
    assert.equal(compared, 7 * 2 + 7);
    // The stream is busy enough that the cells differ: the comparison is not all zeros.
    const burst = result.detectors.find((d) => d.def.id === 'rate-limit-burst')?.tuning?.whatIf ?? [];
    assert.ok(new Set(burst.map((r) => r.alerts)).size >= 3, JSON.stringify(burst.map((r) => r.alerts)));
  });

  it('reports a kind without a threshold (leak) by its alerts only, and honours --format', async () => {
    const t = tempDir();
    const report = join(t.dir, 'r.html');
    const r = await cli(['backtest', bundledSample(), '--detectors', join(packageRoot(), 'detectors'), '--format', 'auto', '--report', report]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^unscrubbed-event {2}\(leak per callerId, serverVersion\)\n {2}alerts fired {4}\d+\n {2}keys alerted {4}\d+\n {2}alert-minutes {3}[\d.]+$/m);
    assert.match(r.stdout, /^rate-limit-burst /m);
    assert.match(readFileSync(report, 'utf8'), /id="d-unscrubbed-event"[^]*no threshold to tune/);
    // auto: the one line whose shape no adapter claims is rejected as such, not as a missing field.
    assert.match(r.stderr, /unknown-format: 1/);
  });

  it('reads standard input with -', async () => {
    const t = tempDir();
    const ev = (ms: number) => JSON.stringify({ callerId: 'c-1', tool: 'search', outcome: 'rate_limited', timestamp: new Date(Date.UTC(2026, 2, 5) + ms).toISOString() });
    const r = await cli(['backtest', '-', '--detectors', shippedDetectors(t)], { stdin: [ev(0), ev(1000), '{broken'].join('\n') });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /3 lines read/);
    assert.match(r.stdout, /backtest: 2 events accepted, 0 late/);
  });

  it('exits 2 with a clear message on bad usage', async () => {
    const t = tempDir();
    const dir = shippedDetectors(t);
    const badWindow = await cli(['backtest', '-', '--detectors', dir, '--window', '30m,0s']);
    assert.equal(badWindow.code, 2);
    assert.match(badWindow.stderr, /--window.*longer than 0/);
    const badFormat = await cli(['backtest', '-', '--detectors', dir, '--format', 'nope']);
    assert.equal(badFormat.code, 2);
    assert.match(badFormat.stderr, /format/);
    const badReport = await cli(['backtest', '-', '--detectors', dir, '--report', join(t.dir, 'missing', 'dir', 'r.html')], { stdin: '' });
    assert.equal(badReport.code, 2);
    assert.match(badReport.stderr, /cannot write the report/);
  });
});
