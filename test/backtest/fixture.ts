import type { DetectorDef } from '../../src/config/detectors.js';
import { Backtester } from '../../src/backtest/backtester.js';
import type { Transition } from '../../src/engine/transition.js';
import type { BacktestResult } from '../../src/backtest/result.js';
import type { AuditEvent } from '../../src/events/audit-event.js';
import { streakDef, thresholdDef } from '../engine/helpers.js';
import { GEN_T0, realisticStream } from './gen.js';

/** The shipped detectors' definitions, spelled out so the test does not follow edits to detectors/. */
export function shippedLike(): DetectorDef[] {
  return [
    thresholdDef({ id: 'denial-spike', windowMs: 3_600_000, threshold: 30, where: { outcome: 'denied' }, groupBy: ['callerId'] }),
    streakDef({ id: 'error-streak', threshold: 20, where: { outcome: 'error' }, resetWhere: { outcome: 'success' }, groupBy: ['callerId'] }),
    thresholdDef({ id: 'rate-limit-burst', windowMs: 3_600_000, threshold: 100, where: { outcome: 'rate_limited' }, groupBy: ['callerId', 'tool'] }),
  ];
}

/** Attacker-controlled key values that must come out of the report as inert text. */
export const HOSTILE_CALLERS = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(2)>',
  "'><svg onload=alert(3)>",
  'a&amp;b &lt;c&gt; &#x3c;',
  `long-${'x'.repeat(5000)}`,
  'admin\u202Egnp.exe\nforged line',
] as const;

/** Bursts of rate limits from each hostile caller, louder than any generated burst: they are the top keys. */
export function* hostileBursts(at: number): Generator<AuditEvent> {
  for (let i = 0; i < 1200; i++) {
    for (const [j, callerId] of HOSTILE_CALLERS.entries()) {
      yield { callerId, tool: `<b>tool</b>"${j}`, outcome: 'rate_limited', timestamp: '', ts: at + i * 1000 + j };
    }
  }
}

/** A realistic stream of `n` events with the hostile bursts interleaved in time from its second hour. */
export function backtestWithHostileKeys(n: number, windowsMs: number[] = [1_800_000]): BacktestResult {
  const bt = Backtester.create(shippedLike(), { latenessMs: 30_000, windowsMs });
  const out: Transition[] = [];
  const hostile = [...hostileBursts(GEN_T0 + 3_600_000)];
  let next = 0;
  for (const e of realisticStream(n, { spanMs: 6 * 3_600_000 })) {
    while (next < hostile.length && (hostile[next]?.ts ?? Infinity) <= e.ts) bt.process(hostile[next++] as AuditEvent, out);
    bt.process(e, out);
    out.length = 0;
  }
  return bt.result();
}
