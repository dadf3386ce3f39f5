import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../deploy/compose/producer.mjs', import.meta.url));
const SAMPLE = fileURLToPath(new URL('../../samples/mcp-audit-sample.jsonl', import.meta.url));

interface ProducerModule {
  message(line: string, shiftMs: number): { key: string | null; value: string };
  span(lines: readonly string[]): number;
}

async function load(): Promise<ProducerModule> {
  // A plain .mjs of the compose stack (it runs in the image, without a TypeScript loader).
  const url: string = pathToFileURL(SCRIPT).href;
  return (await import(url)) as ProducerModule;
}

describe('compose sample producer', () => {
  it('keys each event by callerId and sends malformed lines unkeyed, as they are', async () => {
    const p = await load();
    const e = p.message('{"callerId":"c-1","tool":"search","outcome":"success","timestamp":"2026-03-05T10:00:00.000Z"}', 0);
    assert.equal(e.key, 'c-1');
    assert.equal((JSON.parse(e.value) as { timestamp: string }).timestamp, '2026-03-05T10:00:00.000Z');
    assert.deepEqual(p.message('{not json', 0), { key: null, value: '{not json' });
    assert.equal(p.message('{"tool":"x"}', 0).key, null);
    assert.equal(p.message('[1,2]', 0).key, null);
  });

  it('moves the timestamps of each further round past the sample, so rounds never overlap', async () => {
    const p = await load();
    const lines = readFileSync(SAMPLE, 'utf8').split('\n').filter((l) => l.trim() !== '');
    const step = p.span(lines);
    assert.ok(step > 2 * 3_600_000, 'the sample spans hours');
    const stamp = (text: string): number[] => {
      try {
        const t = Date.parse((JSON.parse(text) as { timestamp: string }).timestamp);
        return Number.isFinite(t) ? [t] : [];
      } catch {
        return [];
      }
    };
    const stamps = lines.flatMap((l) => stamp(p.message(l, step).value));
    const original = lines.flatMap(stamp);
    assert.ok(stamps.length > 4_000);
    assert.ok(Math.min(...stamps) > Math.max(...original));
  });
});
