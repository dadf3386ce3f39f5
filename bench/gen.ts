import type { AuditEvent, Outcome } from '../src/events/audit-event.js';
import { mulberry32 } from '../src/random.js';

const TOOLS = ['search_docs', 'read_file', 'run_query', 'create_ticket', 'list_repos', 'get_customer', 'send_email', 'deploy_preview'];

/**
 * A synthetic stream: `n` events over `callers` callers at `rate` events/s of event time, mostly
 * successes, with a few hot callers bursting so that alerts fire and resolve during the run.
 */
export function syntheticEvents(n: number, callers: number, rate = 1000, seed = 1): AuditEvent[] {
  const rnd = mulberry32(seed);
  const start = Date.UTC(2026, 2, 5, 0, 0, 0);
  const callerIds = Array.from({ length: callers }, (_, i) => `agent-${i.toString(36)}-${(i * 7919).toString(16)}`);
  const out: AuditEvent[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const hot = rnd() < 0.02;
    const caller = hot ? (callerIds[Math.floor(rnd() * 20)] as string) : (callerIds[Math.floor(rnd() * callers)] as string);
    const r = rnd();
    const outcome: Outcome = hot ? (r < 0.5 ? 'rate_limited' : r < 0.8 ? 'denied' : 'error') : r < 0.86 ? 'success' : r < 0.92 ? 'error' : r < 0.96 ? 'rate_limited' : 'denied';
    const ts = start + Math.floor((i * 1000) / rate) - (rnd() < 0.05 ? Math.floor(rnd() * 5000) : 0);
    out[i] = { callerId: caller, tool: TOOLS[Math.floor(rnd() * (hot ? 2 : TOOLS.length))] as string, outcome, timestamp: new Date(ts).toISOString(), ts };
  }
  return out;
}

export function toLine(e: AuditEvent, i: number): string {
  return JSON.stringify({
    timestamp: e.timestamp,
    callerId: e.callerId,
    tool: e.tool,
    outcome: e.outcome,
    sessionId: `sess-${(i >> 6).toString(16)}`,
    argsHash: 'sha256:9f86d081884c7d659a2feaa0c55ad015',
    argsSize: 120 + (i % 300),
    durationMs: 35,
    serverVersion: '1.9.0',
    ...(e.outcome === 'error' ? { errorType: 'timeout' } : {}),
  });
}
