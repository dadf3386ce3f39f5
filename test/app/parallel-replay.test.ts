import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { replay } from '../../src/app/replay.js';
import { backtest } from '../../src/app/backtest.js';
import { decodeSetup } from '../../src/app/parallel/piece.js';
import { DecodePool } from '../../src/app/parallel/pool.js';
import { mulberry32 } from '../../src/random.js';
import { readPieces, OVERSIZED } from '../../src/sources/lines.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const T = Date.UTC(2026, 2, 5, 8, 0, 0);
const OUTCOMES = ['success', 'error', 'denied', 'rate_limited'];

/**
 * Several MiB of hostile input, so that it spans many read chunks and both decode threads:
 * bursts that fire and resolve every detector, late and out-of-order events, ties, leaks in
 * nested fields, odd keys (__proto__, emoji, markup), CRLF and blank lines, broken JSON, schema
 * errors, lines over the size limit and one line longer than a read chunk.
 */
function hostileStream(lines: number, seed: number, cleanUntil = 0): string {
  const rnd = mulberry32(seed);
  const callers = ['__proto__', 'constructor', '<!channel>', 'agent-😀', 'a'.repeat(300), ...Array.from({ length: 40 }, (_, i) => `agent-${i}`)];
  const out: string[] = [];
  let t = T;
  for (let i = 0; i < lines; i++) {
    t += Math.floor(rnd() * 400);
    const r = rnd();
    const callerId = callers[Math.floor(rnd() * (rnd() < 0.5 ? 5 : callers.length))] as string;
    const ev: Record<string, unknown> = {
      timestamp: new Date(r < 0.03 ? t - Math.floor(rnd() * 60_000) : t).toISOString(),
      callerId,
      tool: rnd() < 0.7 ? 'search' : 'read_file',
      outcome: OUTCOMES[Math.floor(rnd() * (rnd() < 0.6 ? 4 : 1))],
      // A run of errors from one caller every few thousand lines: error streaks fire and reset.
      ...(i % 4000 < 30 ? { callerId: 'agent-😀', outcome: 'error' } : {}),
      sessionId: `s-${i % 97}`,
      serverVersion: rnd() < 0.9 ? '1.9.0' : '2.0.0',
    };
    if (r < 0.005) ev.params = { nested: [{ token: 'x' }] };
    if (r > 0.995) ev.note = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
    let line = JSON.stringify(ev);
    const k = i < cleanUntil ? 1 : rnd();
    if (k < 0.01) line = '{broken';
    else if (k < 0.02) line = '[1,2]';
    else if (k < 0.03) line = JSON.stringify({ ...ev, outcome: 'maybe' });
    else if (k < 0.035) line = '';
    else if (k < 0.04) line += '\r';
    else if (k < 0.042) line = JSON.stringify({ ...ev, padding: 'p'.repeat(5000) });
    out.push(line);
    if (i === Math.floor(lines / 2)) out.push('"' + 'z'.repeat(1_500_000) + '"');
  }
  return out.join('\n') + '\n';
}

function capture(): { stream: Writable; text: () => string } {
  const parts: Buffer[] = [];
  return {
    stream: new Writable({
      write(chunk: Buffer, _e, cb) {
        parts.push(chunk);
        cb();
      },
    }),
    text: () => Buffer.concat(parts).toString('utf8'),
  };
}

async function replayWith(input: string, threads: number): Promise<{ stdout: string; stderr: string }> {
  const stdout = capture();
  const stderr = capture();
  const code = await replay({ input, detectorsDir: 'detectors', latenessMs: 30_000, maxBytes: 4096, threads, stdout: stdout.stream, stderr: stderr.stream });
  assert.equal(code, 0);
  return { stdout: stdout.text(), stderr: stderr.text() };
}

describe('replay on decode threads', () => {
  it('gives byte for byte the transitions and summary of the serial replay', async () => {
    const t = tempDir();
    const file = t.write('hostile.jsonl', hostileStream(40_000, 11));
    const serial = await replayWith(file, 0);
    // The stream must exercise what the threads could get wrong, or the comparison proves little.
    for (const d of ['rate-limit-burst', 'error-streak', 'denial-spike', 'unscrubbed-event']) assert.match(serial.stderr, new RegExp(`${d} +fired +[1-9]`), d);
    assert.match(serial.stderr, /late +[1-9]/);
    assert.match(serial.stderr, /too-large: [1-9]/);
    assert.match(serial.stderr, /not-json: [1-9]/);
    assert.match(serial.stderr, /blank +[1-9]/);
    for (const threads of [1, 2, 3]) {
      const parallel = await replayWith(file, threads);
      assert.equal(parallel.stderr, serial.stderr, `summary with ${threads} threads`);
      assert.equal(parallel.stdout, serial.stdout, `transitions with ${threads} threads`);
    }
  });

  it('numbers rejected lines across the whole input, not within the piece a thread decoded', async () => {
    const t = tempDir();
    // Clean for the first several read chunks: the first rejections are deep in the file.
    const file = t.write('late-errors.jsonl', hostileStream(30_000, 7, 20_000));
    const serial = await replayWith(file, 0);
    const first = /line (\d+): /.exec(serial.stderr);
    assert.ok(first !== null && Number(first[1]) > 10_000, serial.stderr);
    assert.equal((await replayWith(file, 2)).stderr, serial.stderr);
  });

  it('runs from the built CLI with --threads, and refuses a bad count', async () => {
    const t = tempDir();
    const file = t.write('in.jsonl', hostileStream(6_000, 5));
    const serial = await cli(['replay', file, '--threads', '0']);
    const parallel = await cli(['replay', file, '--threads', '2']);
    assert.equal(parallel.code, 0, parallel.stderr);
    assert.equal(parallel.stdout, serial.stdout);
    assert.equal(parallel.stderr, serial.stderr);
    assert.ok(serial.stdout.length > 0);
    const piped = await cli(['replay', '-', '--threads', '2'], { stdin: hostileStream(6_000, 5) });
    assert.equal(piped.stdout, serial.stdout);
    const missing = [await cli(['replay', '/nonexistent/in.jsonl', '--threads', '0']), await cli(['replay', '/nonexistent/in.jsonl', '--threads', '2'])];
    assert.equal(missing[1]?.code, missing[0]?.code);
    assert.notEqual(missing[1]?.code, 0);
    assert.equal(missing[1]?.stderr, missing[0]?.stderr);
    assert.match(missing[1]?.stderr ?? '', /\/nonexistent\/in\.jsonl/);
    // The default is only in the help text (commander shows no undefined default): it must be there.
    for (const command of ['replay', 'backtest']) {
      const help = (await cli([command, '--help'])).stdout.replace(/\s+/g, ' ');
      assert.match(help, /--threads <n> decode threads beside the main one; 0 decodes on the main thread \(default: one per core but one, at most 4, for a file of 8 MiB or more; 0 for smaller files and stdin\)/, command);
    }
    const bad = await cli(['replay', file, '--threads', 'many']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--threads.*expected a number of threads/);
  });
});

describe('backtest on decode threads', () => {
  it('gives the tables and the summary of the serial backtest, what-if windows included', async () => {
    const t = tempDir();
    const file = t.write('bt.jsonl', hostileStream(30_000, 13));
    const run = async (threads: number): Promise<{ stdout: string; stderr: string }> => {
      const stdout = capture();
      const stderr = capture();
      const code = await backtest({ input: file, detectorsDir: 'detectors', latenessMs: 30_000, windowsMs: [600_000, 7_200_000], maxBytes: 4096, threads, stdout: stdout.stream, stderr: stderr.stream });
      assert.equal(code, 0);
      return { stdout: stdout.text(), stderr: stderr.text() };
    };
    const serial = await run(0);
    assert.match(serial.stderr, /rate-limit-burst +fired +[1-9]/);
    const parallel = await run(2);
    assert.equal(parallel.stderr, serial.stderr);
    assert.equal(parallel.stdout, serial.stdout);
  });
});

describe('readPieces', () => {
  it('hands on whole lines only, and marks a line over the limit instead of holding it', async () => {
    const t = tempDir();
    const file = t.write('p.jsonl', hostileStream(20_000, 3));
    let oversized = 0;
    let count = 0;
    let last: Buffer | undefined;
    for await (const pieces of readPieces(file, 4096)) {
      for (const p of pieces) {
        if (p === OVERSIZED) {
          oversized++;
          continue;
        }
        if (last !== undefined) assert.equal(last[last.length - 1], 10, 'only the last piece may end without a newline');
        assert.ok(p.length <= 2 * 1024 * 1024);
        count++;
        last = p;
      }
    }
    assert.equal(oversized, 1);
    assert.ok(count > 2, `${count} pieces`);
  });
});

describe('DecodePool', () => {
  it('fails the pieces in hand with the thread that ended, instead of leaving them pending', async () => {
    const setup = decodeSetup([], { format: 'canonical' }, 4096);
    const pool = new DecodePool(1, setup);
    const line = Buffer.from(JSON.stringify({ callerId: 'c', tool: 't', outcome: 'success', timestamp: '2026-03-05T10:00:00Z' }) + '\n');
    const first = await pool.decode(line);
    assert.equal(first.count, 1);
    const pending = pool.decode(Buffer.concat(Array.from({ length: 20_000 }, () => line)));
    await pool.close();
    await assert.rejects(pending, /decode thread 1 exited .* with pieces in hand/);
    await assert.rejects(pool.decode(line), /decode thread 1 exited/);
  });
});
