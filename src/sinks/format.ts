// Wording shared by the sinks: times, durations, keys and counts. Plain text only; each sink
// escapes the result for its own format (src/text/escape.ts for Slack).
import type { AlertItem, KeyPair } from '../alerts/notification.js';
import { formatDuration } from '../config/duration.js';
import { bound } from '../text/bound.js';
import type { UndeliveredReport } from './sink.js';

/** `2026-03-05 09:30:00 UTC` (milliseconds only when present). */
export function formatTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  const base = iso.slice(0, 19).replace('T', ' ');
  const frac = iso.slice(19, 23);
  return `${base}${frac === '.000' ? '' : frac} UTC`;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** `2h 5m` for how long something lasted. */
export function humanDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = Math.round(ms / 1000);
  const parts: [number, string][] = [
    [Math.floor(s / 86_400), 'd'],
    [Math.floor(s / 3600) % 24, 'h'],
    [Math.floor(s / 60) % 60, 'm'],
    [s % 60, 's'],
  ];
  return parts
    .filter(([n]) => n > 0)
    .map(([n, u]) => `${n}${u}`)
    .join(' ');
}

/** `callerId=c-1, tool=search`, each value cut to `maxValue` (a missing field shows as `-`). */
export function keyText(key: readonly KeyPair[], maxValue: number): string {
  return key.map(([f, v]) => `${f}=${v === null ? '-' : bound(v, { max: maxValue })}`).join(', ');
}

/**
 * `101 > 100 in 1h`, `21 in a row > 20`, or for a leak `unscrubbed field params.token (github-token)`
 * (a leak's count is its number of leaking events against threshold 0: as a count it would read
 * `1 in a row > 0`); empty when the count is unknown (a resolve after a restart). The leak's field
 * path is cut to `maxEvidence` characters.
 */
export function countText(a: AlertItem, maxEvidence = 200): string {
  if (a.evidence !== undefined) {
    const events = a.count !== undefined && a.count > 1 ? `, ${a.count} events` : '';
    return `unscrubbed field ${bound(a.evidence.path, { max: maxEvidence })} (${bound(a.evidence.rule, { max: 80 })})${events}`;
  }
  if (a.count === undefined || a.threshold === undefined) return '';
  return a.windowMs !== undefined ? `${a.count} > ${a.threshold} in ${formatDuration(a.windowMs)}` : `${a.count} in a row > ${a.threshold}`;
}

/** The counted window of a windowed alert: `08:30:00 → 09:30:00 UTC (1h)`. */
export function windowText(a: AlertItem): string | undefined {
  if (a.windowMs === undefined) return undefined;
  return `${formatTime(a.firedAt - a.windowMs)} → ${formatTime(a.firedAt)} (${formatDuration(a.windowMs)})`;
}

export function undeliveredText(r: UndeliveredReport): string {
  const what = r.count === 1 ? '1 earlier notification' : `${r.count} earlier notifications`;
  const reasons = r.reasons.length > 0 ? ` Last reasons: ${r.reasons.map((x) => bound(x, { max: 160 })).join('; ')}.` : '';
  return `${what} to this destination could not be delivered (oldest from ${formatTime(r.oldestAt)}); see the auditwatch log.${reasons}`;
}

export const POSSIBLE_REPEAT_TEXT =
  'Possible repeat: auditwatch may already have sent this message (it stopped, or the connection broke, before the answer was recorded). A repeated security alert is better than a lost one.';
