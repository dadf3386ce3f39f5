import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import { AuditwatchError } from '../errors.js';

export interface Line {
  /** 1-based line number in the input. */
  readonly n: number;
  readonly text: string;
  /** The line was longer than the limit; `text` is empty and the rest was skipped. */
  readonly oversized: boolean;
}

/**
 * Reads JSON lines from a file or stdin ("-") in batches: one await per chunk instead of one per
 * line keeps replay fast. A line over `maxChars` is not buffered: it is reported as oversized and
 * skipped up to its newline, so one giant line cannot exhaust memory.
 */
export async function* readLineBatches(input: string, maxChars: number, stdin: Readable = process.stdin): AsyncGenerator<Line[]> {
  const stream: Readable = input === '-' ? stdin : createReadStream(input, { highWaterMark: 256 * 1024 });
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let skipping = false;
  let n = 0;
  try {
    for await (const chunk of stream) {
      const text = rest + (typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer));
      rest = '';
      const batch: Line[] = [];
      let start = 0;
      while (true) {
        const nl = text.indexOf('\n', start);
        if (nl === -1) break;
        if (skipping) {
          skipping = false;
        } else {
          n++;
          const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
          if (end - start > maxChars) batch.push({ n, text: '', oversized: true });
          else batch.push({ n, text: text.slice(start, end), oversized: false });
        }
        start = nl + 1;
      }
      if (!skipping) {
        rest = text.slice(start);
        if (rest.length > maxChars) {
          n++;
          batch.push({ n, text: '', oversized: true });
          rest = '';
          skipping = true;
        }
      }
      if (batch.length > 0) yield batch;
    }
  } catch (err) {
    throw new AuditwatchError('INPUT_UNREADABLE', `cannot read ${input === '-' ? 'standard input' : input}: ${err instanceof Error ? err.message : String(err)}`, { file: input }, { cause: err });
  }
  rest += decoder.end();
  if (!skipping && rest.length > 0) {
    n++;
    const text = rest.endsWith('\r') ? rest.slice(0, -1) : rest;
    yield [text.length > maxChars ? { n, text: '', oversized: true } : { n, text, oversized: false }];
  }
}
