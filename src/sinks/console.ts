// The console sink: one aligned line per alert for a person watching `auditwatch run` (the
// default when no other sink is configured). Values were bounded and their control characters
// made visible when the notification was built; they are cut shorter here for one line.
import type { Writable } from 'node:stream';
import type { AlertItem, Notification } from '../alerts/notification.js';
import type { ConsoleSinkConfig } from '../config/sink-schemas.js';
import { bound } from '../text/bound.js';
import { countText, humanDuration, POSSIBLE_REPEAT_TEXT, undeliveredText } from './format.js';
import type { SendContext, Sink, SinkDeps } from './sink.js';
import { OK, type Verdict } from './verdict.js';

const MAX_VALUE = 80;

const COLORS = { red: '\u001b[31m', yellow: '\u001b[33m', green: '\u001b[32m', cyan: '\u001b[36m', dim: '\u001b[2m', bold: '\u001b[1m', reset: '\u001b[0m' } as const;

export interface ConsoleFormat {
  readonly color: boolean;
  readonly detectorWidth: number;
}

function paint(on: boolean, color: keyof typeof COLORS, s: string): string {
  return on ? `${COLORS[color]}${s}${COLORS.reset}` : s;
}

/** `2026-03-05 09:30:00.000Z  FIRED     warning   rate-limit-burst  callerId=c-1 tool=search  101 > 100 in 1h` */
export function formatAlertLine(a: AlertItem, status: 'firing' | 'resolved', f: ConsoleFormat): string {
  const at = new Date(status === 'resolved' ? (a.resolvedAt ?? a.firedAt) : a.firedAt).toISOString().replace('T', ' ');
  const kind = status === 'firing' ? 'FIRED   ' : 'RESOLVED';
  const kindColor = status === 'resolved' ? 'green' : a.severity === 'critical' ? 'red' : a.severity === 'warning' ? 'yellow' : 'cyan';
  const key = a.key.map(([field, v]) => `${field}=${bound(v ?? '-', { max: MAX_VALUE })}`).join(' ');
  const detail = status === 'resolved' ? `after ${humanDuration((a.resolvedAt ?? a.firedAt) - a.firedAt)}` : countText(a, MAX_VALUE);
  return [paint(f.color, 'dim', at), paint(f.color, kindColor, kind), a.severity.padEnd(8), paint(f.color, 'bold', a.detector.padEnd(f.detectorWidth)), key, paint(f.color, 'dim', detail)].join('  ');
}

export function formatNotification(n: Notification, ctx: SendContext, f: ConsoleFormat): string {
  const b = n.body;
  const lines: string[] = [];
  if (b.type === 'alert') lines.push(formatAlertLine(b.alert, b.status, f));
  else if (b.type === 'operator') lines.push(paint(f.color, 'red', `auditwatch: ${bound(b.title, { max: 200 })}: ${bound(b.detail, { max: 500 })}`));
  else {
    lines.push(`${b.status.toUpperCase()} group ${b.route}: ${b.firing.total} firing, ${b.resolved.total} resolved`);
    for (const a of b.firing.top) lines.push(`  ${formatAlertLine(a, 'firing', f)}`);
    for (const a of b.resolved.top) lines.push(`  ${formatAlertLine(a, 'resolved', f)}`);
  }
  if (ctx.possibleRepeat) lines.push(paint(f.color, 'dim', `  (${POSSIBLE_REPEAT_TEXT})`));
  if (ctx.undelivered !== undefined) lines.push(paint(f.color, 'yellow', `  ${undeliveredText(ctx.undelivered)}`));
  return lines.join('\n') + '\n';
}

function write(out: Writable, text: string): Promise<void> {
  if (out.write(text)) return Promise.resolve();
  return new Promise<void>((resolve) => out.once('drain', () => resolve()));
}

export function createConsoleSink(name: string, _config: ConsoleSinkConfig, deps: SinkDeps): Sink {
  const f: ConsoleFormat = { color: deps.color, detectorWidth: deps.detectorWidth ?? 16 };
  return {
    name,
    kind: 'console',
    mode: 'alert',
    durable: false,
    rateLimit: undefined,
    concurrency: 1,
    async send(n: Notification, ctx: SendContext): Promise<Verdict> {
      await write(deps.stdout, formatNotification(n, ctx, f));
      return OK;
    },
    close(): Promise<void> {
      return Promise.resolve();
    },
  };
}
