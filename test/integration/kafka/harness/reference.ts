// The exact reference for a Kafka run: each partition of the topic detection reads, read back in
// offset order and replayed by `auditwatch replay` (every partition has its own engine and
// watermark, so this is what the run must produce, partition by partition). For the re-keyed
// topic, copies the re-key stage sent twice are dropped first, by the rule detection applies.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { replay } from '../../../../src/app/replay.js';
import type { ReadRecord } from './cluster.js';
import type { Delivered } from './instance.js';
import { TEST_LATENESS_MS, TEST_MAX_BYTES } from './stream.js';

function collect(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => text };
}

/** Values of a partition in offset order, re-keying duplicates dropped (same rule as detection). */
export function partitionLines(records: readonly ReadRecord[], rekeyed: boolean): string[] {
  const seen = new Map<string, number>();
  const lines: string[] = [];
  for (const r of records) {
    if (rekeyed) {
      const src = r.headers['aw-src'];
      const off = r.headers['aw-src-offset'];
      if (src !== undefined && off !== undefined) {
        const prev = seen.get(src);
        if (prev !== undefined && Number(off) <= prev) continue;
        seen.set(src, Number(off));
      }
    }
    lines.push(r.value === null ? '' : r.value.toString('utf8'));
  }
  return lines;
}

/** partition → the transitions `auditwatch replay` writes for it, as JSON lines. */
export async function referenceAlerts(dir: string, topicRecords: ReadonlyMap<number, readonly ReadRecord[]>, detectorsDir: string, rekeyed: boolean): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  mkdirSync(dir, { recursive: true });
  for (const [p, records] of topicRecords) {
    const file = join(dir, `partition-${p}.jsonl`);
    writeFileSync(file, partitionLines(records, rekeyed).join('\n') + '\n');
    const stdout = collect();
    const stderr = collect();
    const code = await replay({ input: file, detectorsDir, latenessMs: TEST_LATENESS_MS, maxBytes: TEST_MAX_BYTES, stdout: stdout.stream, stderr: stderr.stream });
    if (code !== 0) throw new Error(`replay of partition ${p} exited ${code}: ${stderr.text()}`);
    out.set(
      p,
      stdout
        .text()
        .split('\n')
        .filter((l) => l !== ''),
    );
  }
  return out;
}

export interface Comparison {
  /** Notifications delivered more than once (same id, same content): possible repeats. */
  readonly repeats: number;
  /** Same id delivered with different content: never allowed. */
  readonly conflicting: string[];
  /** Per partition, the first difference between the run and the reference. */
  readonly differences: string[];
  readonly total: number;
}

/** Compares what the instances delivered with the reference, partition by partition. */
export function compare(delivered: readonly Delivered[], reference: ReadonlyMap<number, readonly string[]>): Comparison {
  const byId = new Map<string, Delivered>();
  let repeats = 0;
  const conflicting: string[] = [];
  for (const d of delivered) {
    const prev = byId.get(d.id);
    if (prev === undefined) byId.set(d.id, d);
    else if (prev.transition === d.transition && prev.partition === d.partition) repeats++;
    else conflicting.push(`${d.id}: ${prev.transition} vs ${d.transition}`);
  }
  const byPartition = new Map<number, Delivered[]>();
  for (const d of byId.values()) {
    const list = byPartition.get(d.partition) ?? [];
    list.push(d);
    byPartition.set(d.partition, list);
  }
  const differences: string[] = [];
  for (const [p, expected] of reference) {
    const got = (byPartition.get(p) ?? []).sort((a, b) => a.offset - b.offset || a.instance.localeCompare(b.instance) || a.seq - b.seq).map((d) => d.transition);
    const n = Math.max(got.length, expected.length);
    for (let i = 0; i < n; i++) {
      if (got[i] !== expected[i]) {
        differences.push(`partition ${p}: ${got.length} delivered, ${expected.length} expected; first difference at #${i}: got ${got[i] ?? '(nothing)'}, expected ${expected[i] ?? '(nothing)'}`);
        break;
      }
    }
  }
  for (const p of byPartition.keys()) if (!reference.has(p)) differences.push(`partition ${p} delivered alerts but is not in the topic`);
  return { repeats, conflicting, differences, total: byId.size };
}
