import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { eachLine, readPieces, type Line } from '../../src/sources/lines.js';

async function collect(chunks: (string | Buffer)[], max = 100): Promise<Line[]> {
  const out: Line[] = [];
  let n = 0;
  for await (const pieces of readPieces('-', max, Readable.from(chunks))) for (const p of pieces) n = eachLine(p, n, max, (l) => out.push(l));
  return out;
}

describe('readPieces and eachLine', () => {
  it('splits lines across chunks, strips CRLF and keeps a last line without newline', async () => {
    const lines = await collect(['a\r\nb', 'c\nd']);
    assert.deepEqual(lines.map((l) => [l.n, l.text]), [[1, 'a'], [2, 'bc'], [3, 'd']]);
  });

  it('decodes a multi-byte character split between chunks', async () => {
    const buf = Buffer.from('é€😀\n');
    const lines = await collect([buf.subarray(0, 1), buf.subarray(1, 4), buf.subarray(4)]);
    assert.equal(lines[0]?.text, 'é€😀');
  });

  it('reports an oversized line once and skips it without buffering it, then carries on', async () => {
    const lines = await collect(['ok\n', 'x'.repeat(80), 'x'.repeat(80), 'x'.repeat(80) + '\nnext\n'], 100);
    assert.deepEqual(lines.map((l) => [l.n, l.oversized, l.text]), [[1, false, 'ok'], [2, true, ''], [3, false, 'next']]);
  });

  it('measures the limit in UTF-8 bytes, without the CR of a CRLF split across chunks', async () => {
    const exact = 'x'.repeat(100);
    const lines = await collect([exact + '\r', '\n' + 'é'.repeat(51) + '\n', 'é'.repeat(50) + '\r\n', exact + 'y']);
    assert.deepEqual(lines.map((l) => [l.n, l.oversized, l.text.length]), [[1, false, 100], [2, true, 0], [3, false, 50], [4, true, 0]]);
  });

  it('reads a missing file as a clear INPUT_UNREADABLE error', async () => {
    await assert.rejects(async () => {
      for await (const _ of readPieces('/nonexistent/file.jsonl', 10)) void _;
    }, /cannot read \/nonexistent\/file\.jsonl/);
  });
});
