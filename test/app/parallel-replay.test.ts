import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { replay } from '../../src/app/replay.js';
import { backtest } from '../../src/app/backtest.js';
import { decodeSetup } from '../../src/app/parallel/piece.js';
import { DecodePool } from '../../src/app/parallel/pool.js';
import { readPieces, OVERSIZED } from '../../src/sources/lines.js';
import { cli } from '../helpers/cli.js';
import { hostileStream } from '../helpers/hostile.js';
import { tempDir } from '../helpers/tmp.js';

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
  const line = Buffer.from(JSON.stringify({ callerId: 'c', tool: 't', outcome: 'success', timestamp: '2026-03-05T10:00:00Z' }) + '\n');
  const setup = decodeSetup([], { format: 'canonical' }, 4096);

  it('sends nothing to a thread before it has started, then at most what a thread may hold', async () => {
    const pool = new DecodePool(1, setup, 2);
    try {
      // Still loading its modules: this thread must decode the piece itself.
      assert.equal(pool.trySend(line), undefined);
      await pool.whenStarted(0);
      const a = pool.trySend(line);
      const b = pool.trySend(Buffer.concat([line, line]));
      assert.ok(a !== undefined && b !== undefined);
      assert.equal(pool.trySend(line), undefined, 'a third piece while two are in hand');
      await pool.whenReady(b);
      assert.equal(pool.ready(a), true, 'a thread finishes its pieces in order');
      assert.equal(pool.trySend(line), undefined, 'finished but not taken still counts as in hand');
      assert.equal(pool.take(a).count, 1);
      assert.equal(pool.take(b).count, 2);
      assert.ok(pool.trySend(line) !== undefined);
    } finally {
      await pool.close();
    }
  });

  it('refuses to hand over a thread\'s pieces out of order', async () => {
    const pool = new DecodePool(1, setup, 4);
    try {
      await pool.whenStarted(0);
      const a = pool.trySend(line);
      const b = pool.trySend(line);
      assert.ok(a !== undefined && b !== undefined);
      await pool.whenReady(b);
      assert.throws(() => pool.take(b), /piece 1 taken out of order/);
    } finally {
      await pool.close();
    }
  });

  it('fails the pieces in hand with the thread that ended, instead of leaving them pending', async () => {
    const pool = new DecodePool(1, setup, 4);
    await pool.whenStarted(0);
    const first = pool.trySend(line);
    assert.ok(first !== undefined);
    await pool.whenReady(first);
    assert.equal(pool.take(first).count, 1);
    const pending = pool.trySend(Buffer.concat(Array.from({ length: 20_000 }, () => line)));
    assert.ok(pending !== undefined);
    await pool.close();
    await assert.rejects(pool.whenReady(pending), /decode thread 1 exited .* with pieces in hand/);
    assert.throws(() => pool.trySend(line), /decode thread 1 exited/);
  });
});
