/*
 * Engine, replay and memory benchmarks (issue: engine). Run with `npm run bench`.
 * Prints each figure next to a naive baseline measured in the same process.
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadDetectors } from '../src/config/detectors.js';
import { Engine } from '../src/engine/engine.js';
import type { Transition } from '../src/engine/transition.js';
import { replay } from '../src/app/replay.js';
import { NaiveEngine } from './naive.js';
import { syntheticEvents, toLine } from './gen.js';
import type { AuditEvent } from '../src/events/audit-event.js';
import { thresholdDef } from '../test/engine/helpers.js';

const gc = (globalThis as { gc?: () => void }).gc;
function heap(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

export interface Row {
  readonly name: string;
  readonly value: string;
  readonly baseline: string;
  readonly ratio: string;
  readonly target: string;
}

function best(runs: number, fn: () => number): number {
  let b = 0;
  for (let i = 0; i < runs; i++) b = Math.max(b, fn());
  return b;
}

export async function engineBench(): Promise<Row[]> {
  const rows: Row[] = [];
  const defs = loadDetectors('detectors');
  const events = syntheticEvents(1_000_000, 100_000);

  const engineRate = best(3, () => {
    const engine = new Engine(defs, { latenessMs: 30_000 });
    const out: Transition[] = [];
    const t = performance.now();
    for (const e of events) {
      engine.process(e, out);
      if (out.length > 1000) out.length = 0;
    }
    return events.length / ((performance.now() - t) / 1000);
  });
  const naiveEvents = events.slice(0, 200_000);
  const naiveRate = best(2, () => {
    const naive = new NaiveEngine(defs);
    const t = performance.now();
    for (const e of naiveEvents) naive.process(e);
    return naiveEvents.length / ((performance.now() - t) / 1000);
  });
  rows.push({ name: 'engine, 3 shipped detectors, 1M events / 100k callers', value: `${fmt(engineRate)} events/s`, baseline: `${fmt(naiveRate)} events/s`, ratio: `${(engineRate / naiveRate).toFixed(1)}x`, target: '>= 2,000,000 events/s' });

  const dir = mkdtempSync(join(tmpdir(), 'auditwatch-bench-'));
  try {
    const file = join(dir, 'replay.jsonl');
    const lines = events.slice(0, 500_000).map(toLine);
    writeFileSync(file, lines.join('\n') + '\n');
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    let replayRate = 0;
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      await replay({ input: file, detectorsDir: 'detectors', latenessMs: 30_000, stdout: sink, stderr: sink });
      replayRate = Math.max(replayRate, lines.length / ((performance.now() - t) / 1000));
    }
    const parseRate = best(2, () => {
      const t = performance.now();
      for (const l of lines) JSON.parse(l);
      return lines.length / ((performance.now() - t) / 1000);
    });
    rows.push({ name: 'replay from a file (read, JSON, zod, engine), 500k lines', value: `${fmt(replayRate)} lines/s`, baseline: `${fmt(parseRate)} lines/s (JSON.parse alone)`, ratio: `${(replayRate / parseRate).toFixed(2)}x`, target: '>= 400,000 lines/s' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  rows.push(...memoryBench());
  return rows;
}

function memoryBench(): Row[] {
  const keys = 10_000;
  const thr = 100;
  const def = thresholdDef({ windowMs: 3_600_000, threshold: thr });
  const start = Date.UTC(2026, 2, 5);
  // Each key receives a burst of 300 rate-limited calls inside one window: every key is active.
  const burst = (i: number, j: number): AuditEvent => {
    const ts = start + j * 1000 + (i % 1000);
    return { callerId: `caller-${i}`, tool: 't', outcome: 'rate_limited', timestamp: '', ts };
  };
  const before = heap();
  const engine = new Engine([def], { latenessMs: 30_000 });
  const out: Transition[] = [];
  for (let j = 0; j < 300; j++) for (let i = 0; i < keys; i++) engine.process(burst(i, j), out);
  const active = engine.stats().get('burst')?.active ?? 0;
  const perKey = (heap() - before) / keys;
  // Idle: one event far in the future lets every window expire; the keys must be gone.
  engine.process({ callerId: 'tick', tool: 't', outcome: 'success', timestamp: '', ts: start + 10 * 3_600_000 }, out);
  const idlePerKey = Math.max(0, (heap() - before) / keys);
  const remaining = engine.stats().get('burst')?.keys ?? -1;

  const naiveBefore = heap();
  const naive = new Map<string, number[]>();
  for (let j = 0; j < 300; j++) for (let i = 0; i < keys; i++) {
    const e = burst(i, j);
    const a = naive.get(e.callerId) ?? [];
    a.push(e.ts);
    naive.set(e.callerId, a);
  }
  const naivePerKey = (heap() - naiveBefore) / keys;
  void naive.size;
  return [
    { name: `heap per active threshold key (threshold ${thr}, 300 events/window, ${active} active)`, value: `${fmt(perKey)} B`, baseline: `${fmt(naivePerKey)} B (all timestamps)`, ratio: `${(perKey / naivePerKey).toFixed(2)}x`, target: '<= 1,024 B' },
    { name: 'heap per key after its window expired', value: `${fmt(idlePerKey)} B (${remaining} keys left)`, baseline: '-', ratio: '-', target: '0' },
  ];
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
