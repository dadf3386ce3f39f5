import { formatDuration } from '../config/duration.js';
import type { Transition } from '../engine/transition.js';

const MAX_VALUE = 80;

/**
 * Event strings reach a terminal here: control characters (ANSI escapes can rewrite the screen
 * or the title) become visible escapes and long values are cut.
 */
export function terminalSafe(s: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return clean.length > MAX_VALUE ? `${clean.slice(0, MAX_VALUE)}…(${clean.length} chars)` : clean;
}

function humanDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, ms)}ms`;
  const s = Math.round(ms / 1000);
  const parts = [[Math.floor(s / 86_400), 'd'], [Math.floor(s / 3600) % 24, 'h'], [Math.floor(s / 60) % 60, 'm'], [s % 60, 's']] as const;
  return parts.filter(([n]) => n > 0).map(([n, u]) => `${n}${u}`).join(' ');
}

const COLORS = { red: '\u001b[31m', yellow: '\u001b[33m', green: '\u001b[32m', cyan: '\u001b[36m', dim: '\u001b[2m', bold: '\u001b[1m', reset: '\u001b[0m' } as const;

export interface ConsoleFormat {
  readonly color: boolean;
  readonly detectorWidth: number;
}

function paint(on: boolean, color: keyof typeof COLORS, s: string): string {
  return on ? `${COLORS[color]}${s}${COLORS.reset}` : s;
}

/** One aligned line per transition, for a person watching `auditwatch run`. */
export function formatTransitionLine(t: Transition, f: ConsoleFormat): string {
  const at = new Date(t.at).toISOString().replace('T', ' ');
  const kind = t.type === 'fired' ? 'FIRED   ' : 'RESOLVED';
  const kindColor = t.type === 'resolved' ? 'green' : t.severity === 'critical' ? 'red' : t.severity === 'warning' ? 'yellow' : 'cyan';
  const key = t.keyFields.map((field, i) => `${field}=${terminalSafe(t.key[i] ?? '-')}`).join(' ');
  const detail =
    t.type === 'resolved'
      ? `after ${humanDuration(t.at - t.firedAt)}`
      : t.windowMs !== undefined
        ? `${t.count} > ${t.threshold} in ${formatDuration(t.windowMs)}`
        : `${t.count} in a row > ${t.threshold}`;
  return [
    paint(f.color, 'dim', at),
    paint(f.color, kindColor, kind),
    t.severity.padEnd(8),
    paint(f.color, 'bold', t.detector.padEnd(f.detectorWidth)),
    key,
    paint(f.color, 'dim', detail),
  ].join('  ');
}
