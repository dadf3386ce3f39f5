/*
 * Generates samples/mcp-audit-sample.jsonl: a deterministic, realistic MCP audit stream of a
 * few thousand events over three hours, with one planted incident per shipped detector, a few
 * malformed lines and one late event. Run: node --import tsx scripts/generate-sample.ts
 */
import { writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { mulberry32 } from '../src/random.js';

const rnd = mulberry32(20260305);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
const START = Date.UTC(2026, 2, 5, 8, 0, 0);
const HOURS = 3;

const callers = [
  ...Array.from({ length: 14 }, (_, i) => `agent-support-${i + 1}`),
  ...Array.from({ length: 8 }, (_, i) => `ci-runner-${i + 1}`),
  ...Array.from({ length: 10 }, (_, i) => `svc-account-${(i * 37 + 11).toString(16)}`),
  'copilot-workspace', 'release-bot', 'nightly-indexer',
];
const tools = ['search_docs', 'read_file', 'run_query', 'create_ticket', 'list_repos', 'get_customer', 'send_email', 'deploy_preview'];
const errorTypes = ['timeout', 'upstream_5xx', 'invalid_arguments', 'not_found'];

interface Row {
  timestamp: string;
  callerId: string;
  tool: string;
  outcome: 'success' | 'error' | 'denied' | 'rate_limited';
  sessionId: string;
  argsHash: string;
  argsSize: number;
  durationMs: number;
  serverVersion: string;
  errorType?: string;
}

const rows: { ts: number; line: string }[] = [];
function add(ts: number, callerId: string, tool: string, outcome: Row['outcome']): void {
  const row: Row = {
    timestamp: new Date(ts).toISOString(),
    callerId,
    tool,
    outcome,
    sessionId: `sess-${createHash('sha256').update(callerId + Math.floor(ts / 900_000)).digest('hex').slice(0, 12)}`,
    argsHash: `sha256:${createHash('sha256').update(String(rnd())).digest('hex').slice(0, 16)}`,
    argsSize: 40 + Math.floor(rnd() * 900),
    durationMs: outcome === 'rate_limited' || outcome === 'denied' ? 1 + Math.floor(rnd() * 4) : 8 + Math.floor(rnd() * 400),
    serverVersion: pick(['1.8.2', '1.8.2', '1.9.0']),
  };
  if (outcome === 'error') row.errorType = pick(errorTypes);
  rows.push({ ts, line: JSON.stringify(row) });
}

// Background traffic: about one event every 2.5 s.
for (let ts = START; ts < START + HOURS * 3_600_000; ts += Math.floor(rnd() * 5000)) {
  const r = rnd();
  const outcome = r < 0.9 ? 'success' : r < 0.96 ? 'error' : r < 0.98 ? 'denied' : 'rate_limited';
  add(ts, pick(callers), pick(tools), outcome);
}
// Planted: a scraper loops on search_docs and hits the rate limit 140 times in 35 minutes.
for (let i = 0; i < 140; i++) add(START + 20 * 60_000 + i * 15_000, 'agent-scraper-7', 'search_docs', 'rate_limited');
// Planted: a prompt-injected agent probes tools it may not use: 45 denials in 25 minutes.
for (let i = 0; i < 45; i++) add(START + 75 * 60_000 + i * 33_000, 'agent-support-9', pick(tools), 'denied');
// Planted: a CI runner with a broken credential fails 24 times in a row, then recovers.
for (let i = 0; i < 24; i++) add(START + 130 * 60_000 + i * 20_000, 'ci-runner-404', 'run_query', 'error');
add(START + 130 * 60_000 + 24 * 20_000, 'ci-runner-404', 'run_query', 'success');

rows.sort((a, b) => a.ts - b.ts);
// Shippers batch and reorder a little: swap neighbours a few seconds apart.
for (let i = 1; i < rows.length; i++) {
  const a = rows[i - 1] as (typeof rows)[number];
  const b = rows[i] as (typeof rows)[number];
  if (rnd() < 0.05 && b.ts - a.ts < 5000) {
    rows[i - 1] = b;
    rows[i] = a;
  }
}
// Planted: a release candidate of one MCP server logs the tool arguments it should have scrubbed
// (two calls, ten minutes apart). Added after the shuffle with fixed values, so the rest of the
// stream stays as it was.
for (const [minute, query] of [[95, 'refund policy for order 88412'], [105, 'open tickets for ACME Corp']] as const) {
  const ts = START + minute * 60_000;
  const leak = { timestamp: new Date(ts).toISOString(), callerId: 'copilot-workspace', tool: 'search_docs', outcome: 'success', sessionId: 'sess-5f1c0a9e2b47', argsHash: 'sha256:2c26b46b68ffc68f', argsSize: 61, durationMs: 112, serverVersion: '1.9.1-rc.1', arguments: { query, limit: 20 } };
  rows.splice(rows.findIndex((r) => r.ts > ts), 0, { ts, line: JSON.stringify(leak) });
}
const lines = rows.map((r) => r.line);
// A few broken producers, and one event that arrives far too late.
lines.splice(500, 0, '{"timestamp":"2026-03-05T08:20:00Z","tool":"search_docs","outcome":"success"}');
lines.splice(1200, 0, '{"timestamp":"2026-03-05 09:01:00","callerId":"agent-support-1","tool":"read_file","outcome":"success"}');
lines.splice(1900, 0, '{"callerId":"agent-support-2","tool":"read_file","outcome":"succeeded","timestamp":"2026-03-05T09:31:00Z"}');
lines.splice(2600, 0, 'this is not json');
lines.splice(3000, 0, JSON.stringify({ timestamp: '2026-03-05T08:00:05Z', callerId: 'agent-support-3', tool: 'read_file', outcome: 'success' }));
writeFileSync(new URL('../samples/mcp-audit-sample.jsonl', import.meta.url), lines.join('\n') + '\n');
console.log(`wrote ${lines.length} lines`);
