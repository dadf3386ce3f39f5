import { mulberry32 } from '../../src/random.js';

const T = Date.UTC(2026, 2, 5, 8, 0, 0);
const OUTCOMES = ['success', 'error', 'denied', 'rate_limited'];

/**
 * Several MiB of hostile input, so that it spans many read chunks and both decode threads:
 * bursts that fire and resolve every detector, late and out-of-order events, ties, leaks in
 * nested fields, odd keys (__proto__, emoji, markup), CRLF and blank lines, broken JSON, schema
 * errors, lines over the size limit and one line longer than a read chunk.
 */
export function hostileStream(lines: number, seed: number, cleanUntil = 0): string {
  const rnd = mulberry32(seed);
  const callers = ['__proto__', 'constructor', '<!channel>', 'agent-😀', 'a'.repeat(300), ...Array.from({ length: 40 }, (_, i) => `agent-${i}`)];
  const out: string[] = [];
  let t = T;
  for (let i = 0; i < lines; i++) {
    t += Math.floor(rnd() * 400);
    const r = rnd();
    const callerId = callers[Math.floor(rnd() * (rnd() < 0.5 ? 5 : callers.length))] as string;
    const ev: Record<string, unknown> = {
      timestamp: new Date(r < 0.03 ? t - Math.floor(rnd() * 60_000) : t).toISOString(),
      callerId,
      tool: rnd() < 0.7 ? 'search' : 'read_file',
      outcome: OUTCOMES[Math.floor(rnd() * (rnd() < 0.6 ? 4 : 1))],
      // A run of errors from one caller every few thousand lines: error streaks fire and reset.
      ...(i % 4000 < 30 ? { callerId: 'agent-😀', outcome: 'error' } : {}),
      sessionId: `s-${i % 97}`,
      serverVersion: rnd() < 0.9 ? '1.9.0' : '2.0.0',
    };
    if (r < 0.005) ev.params = { nested: [{ token: 'x' }] };
    if (r > 0.995) ev.note = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
    let line = JSON.stringify(ev);
    const k = i < cleanUntil ? 1 : rnd();
    if (k < 0.01) line = '{broken';
    else if (k < 0.02) line = '[1,2]';
    else if (k < 0.03) line = JSON.stringify({ ...ev, outcome: 'maybe' });
    else if (k < 0.035) line = '';
    else if (k < 0.04) line += '\r';
    else if (k < 0.042) line = JSON.stringify({ ...ev, padding: 'p'.repeat(5000) });
    out.push(line);
    if (i === Math.floor(lines / 2)) out.push('"' + 'z'.repeat(1_500_000) + '"');
  }
  return out.join('\n') + '\n';
}
