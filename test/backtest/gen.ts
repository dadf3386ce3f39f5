import type { AuditEvent, Outcome } from '../../src/events/audit-event.js';
import { mulberry32 } from '../../src/random.js';

export const GEN_T0 = Date.UTC(2026, 2, 5, 0, 0, 0);
const TOOLS = ['search_docs', 'read_file', 'run_query', 'get_customer', 'send_email', 'list_repos'] as const;

/**
 * `n` events over `spanMs` from `callers` callers, mostly successes, arriving slightly out of
 * order (up to 5 s), with a few callers that burst rate limits, denials and error streaks.
 */
export function* realisticStream(n: number, opts: { seed?: number; callers?: number; spanMs?: number; burst?: readonly [number, number] } = {}): Generator<AuditEvent> {
  const r = mulberry32(opts.seed ?? 1);
  const callers = opts.callers ?? 20_000;
  const span = opts.spanMs ?? 24 * 3_600_000;
  const burstEvery = Math.max(1, Math.floor(n / 40));
  const [burstMin, burstMax] = opts.burst ?? [200, 800];
  let burst: { caller: string; tool: string; outcome: Outcome; left: number } | undefined;
  for (let i = 0; i < n; i++) {
    const ts = GEN_T0 + Math.floor((i / n) * span) - Math.floor(r() * 5000);
    if (burst === undefined && i % burstEvery === 0 && i > 0) {
      const outcome = (['rate_limited', 'denied', 'error'] as const)[Math.floor(r() * 3)] as Outcome;
      burst = { caller: `attacker-${Math.floor(r() * 30)}`, tool: TOOLS[Math.floor(r() * TOOLS.length)] as string, outcome, left: burstMin + Math.floor(r() * (burstMax - burstMin)) };
    }
    if (burst !== undefined && r() < 0.3) {
      burst.left--;
      const e: AuditEvent = { callerId: burst.caller, tool: burst.tool, outcome: burst.outcome, timestamp: '', ts };
      if (burst.left === 0) burst = undefined;
      yield e;
      continue;
    }
    const x = r();
    const outcome: Outcome = x < 0.9 ? 'success' : x < 0.95 ? 'error' : x < 0.98 ? 'denied' : 'rate_limited';
    yield { callerId: `caller-${Math.floor(Math.pow(r(), 2) * callers)}`, tool: TOOLS[Math.floor(r() * TOOLS.length)] as string, outcome, timestamp: '', ts };
  }
}
