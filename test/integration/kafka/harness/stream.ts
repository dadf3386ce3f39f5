// A generated audit stream for the Kafka tests: many callers, a few hot ones bursting into rate
// limits, denials and error streaks (so a small detector set fires hundreds of times), arrivals
// out of order within the allowed lateness (and a few beyond it), malformed messages mixed in.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '../../../../src/random.js';

export const TEST_LATENESS = '30s';
export const TEST_LATENESS_MS = 30_000;
/** input.maxBytes of the tests: small, so that "too large" messages stay small too. */
export const TEST_MAX_BYTES = 2048;

export interface StreamEvent {
  /** The message value. */
  readonly value: string;
  /** callerId when the value is a valid-looking event (what a producer would key by). */
  readonly callerId: string | undefined;
}

const TOOLS = ['search_docs', 'read_file', 'run_query', 'create_ticket', 'send_email'];

/**
 * `n` messages. Event time advances 20 ms per message (50 events per second); 4% of messages
 * arrive up to 12 s early or late relative to their neighbours (two of them stay within the 30 s
 * lateness of each other), 0.2%
 * more than 40 s late (dropped as late), 0.5% are malformed. 8% come from a hot set of 12
 * callers that changes every 5,000 messages.
 */
export function generateStream(n: number, seed: number, callers = 1500): StreamEvent[] {
  const rnd = mulberry32(seed);
  const start = Date.UTC(2026, 2, 5, 9, 0, 0);
  const ids = Array.from({ length: callers }, (_, i) => `agent-${i}-${(i * 2654435761) % 10007}`);
  const out: StreamEvent[] = [];
  for (let i = 0; i < n; i++) {
    const r = rnd();
    if (r < 0.005) {
      out.push({ value: malformed(i, rnd), callerId: undefined });
      continue;
    }
    const hot = rnd() < 0.08;
    const hotBase = (Math.floor(i / 5_000) * 12) % callers;
    const callerId = hot ? (ids[(hotBase + Math.floor(rnd() * 12)) % callers] as string) : (ids[Math.floor(rnd() * callers)] as string);
    const o = rnd();
    const outcome = hot ? (o < 0.45 ? 'rate_limited' : o < 0.75 ? 'denied' : o < 0.95 ? 'error' : 'success') : o < 0.9 ? 'success' : o < 0.95 ? 'error' : o < 0.98 ? 'rate_limited' : 'denied';
    let ts = start + i * 20;
    const j = rnd();
    if (j < 0.04) ts += Math.floor((rnd() * 2 - 1) * 12_000);
    else if (j < 0.042) ts -= 40_000 + Math.floor(rnd() * 60_000);
    const tool = TOOLS[Math.floor(rnd() * (hot ? 2 : TOOLS.length))] as string;
    out.push({
      value: JSON.stringify({
        timestamp: new Date(ts).toISOString(),
        callerId,
        tool,
        outcome,
        sessionId: `s-${(i >> 5).toString(16)}`,
        argsHash: 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
        argsSize: 100 + (i % 400),
        durationMs: 5 + (i % 90),
        serverVersion: '1.9.0',
        ...(outcome === 'error' ? { errorType: 'timeout' } : {}),
      }),
      callerId,
    });
  }
  return out;
}

function malformed(i: number, rnd: () => number): string {
  const k = Math.floor(rnd() * 5);
  if (k === 0) return `{"callerId":"broken-${i}", "tool":`;
  if (k === 1) return JSON.stringify({ callerId: `c-${i}`, outcome: 'success', timestamp: '2026-03-05T09:00:00Z' });
  if (k === 2) return JSON.stringify({ callerId: `c-${i}`, tool: 'x', outcome: 'success', timestamp: '2026-03-05 09:00:00' });
  if (k === 3) return JSON.stringify({ callerId: `c-${i}`, tool: 'x', outcome: 'exploded', timestamp: '2026-03-05T09:00:00Z' });
  // Over TEST_MAX_BYTES: rejected as too large (and truncated in the dead-letter topic).
  return JSON.stringify({ callerId: `c-${i}`, tool: 'x', outcome: 'success', timestamp: '2026-03-05T09:00:00Z', pad: 'x'.repeat(TEST_MAX_BYTES + 500) });
}

/** Low thresholds so that the generated stream fires often. */
export const TEST_DETECTORS: Readonly<Record<string, string>> = {
  'burst.yaml': 'id: burst\nkind: threshold\nwhere: { outcome: rate_limited }\ngroupBy: [callerId, tool]\nwindow: 1m\nthreshold: 6\nseverity: warning\n',
  'denials.yaml': 'id: denials\nkind: threshold\nwhere: { outcome: denied }\ngroupBy: [callerId]\nwindow: 2m\nthreshold: 8\nseverity: critical\n',
  'errors.yaml': 'id: errors\nkind: streak\nwhere: { outcome: error }\nresetWhere: { outcome: success }\ngroupBy: [callerId]\nthreshold: 3\nseverity: critical\n',
};

export function writeDetectors(dir: string): string {
  const d = join(dir, 'detectors');
  mkdirSync(d, { recursive: true });
  for (const [file, text] of Object.entries(TEST_DETECTORS)) writeFileSync(join(d, file), text);
  return d;
}
