// auditwatch's own log: pino, one JSON object per line on stderr (stdout carries alerts), or a
// readable line per record with `--log-format pretty`.
//
// Every record passes the secret screen before it is written, whatever produced it (message,
// merged object, child bindings, serialised errors): pino writes the record to a destination of
// ours, which parses it back, replaces the values of configured secrets (webhook URLs, routing
// keys) wherever they appear, redacts URLs (src/text/secret.ts redactUrl), runs `screenDeep`
// (src/text/secrets.ts: credentials, PII, sensitive field names) and bounds long strings. Logs are
// a few lines a second, so the parse costs nothing that matters; a field the screen misses
// because it was added by some code path would cost a credential. What the screen redacts is
// told to `onRedact` (rule, count): app/ counts it in the metrics as `where="log"`.
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { LogFormat, LogLevelName } from '../config/sections/ops.js';
import { bound } from '../text/bound.js';
import { redactUrl, type Secret } from '../text/secret.js';
import { screenDeep, type RedactionCounts } from '../text/secrets.js';

export type OpsLogger = PinoLogger;

export interface LogOptions {
  readonly level: LogLevelName;
  readonly format: LogFormat;
  /** Where lines go (default process.stderr). */
  readonly out?: { write(chunk: string): unknown };
  /** Pretty format only: ANSI colours for the level. */
  readonly color?: boolean;
  /** Values that must never appear in a log line (resolved sink secrets, SASL passwords). Read at each record. */
  readonly secrets?: () => Iterable<Secret>;
  /** Fields on every record (e.g. { service: 'auditwatch' }); pid and hostname are added in JSON. */
  readonly base?: Readonly<Record<string, string>>;
  /** Told, per record, how many values each secret-screen rule redacted (for the metrics). */
  readonly onRedact?: (rule: string, count: number) => void;
}

/** Record fields written by pino itself: not screened (a timestamp can look like a phone number). */
const OWN_FIELDS = new Set(['level', 'time', 'pid', 'hostname']);
const MAX_STRING = 4_000;

function scrubStrings(value: unknown, secrets: readonly Secret[], depth: number): unknown {
  if (typeof value === 'string') {
    let s = value;
    for (const secret of secrets) s = secret.scrub(s);
    s = redactUrl(s);
    return s.length > MAX_STRING ? bound(s, { max: MAX_STRING }) : s;
  }
  if (depth > 32 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v: unknown) => scrubStrings(v, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[scrubStrings(k, secrets, depth + 1) as string] = scrubStrings(v, secrets, depth + 1);
  return out;
}

/** The screened copy of one parsed log record; `hits` gets the redactions per rule. Exported for tests. */
export function screenRecord(record: Record<string, unknown>, secrets: readonly Secret[] = [], hits?: RedactionCounts): Record<string, unknown> {
  const own: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) (OWN_FIELDS.has(k) ? own : rest)[k] = v;
  const screened = screenDeep(scrubStrings(rest, secrets, 0), hits) as Record<string, unknown>;
  return { ...own, ...screened };
}

const COLORS: Readonly<Record<string, string>> = { trace: '90', debug: '36', info: '32', warn: '33', error: '31', fatal: '35' };

function prettyValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]{1,80}$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

/** `12:00:01.234 WARN  [outbox] message key=value key="two words"` */
export function prettyLine(record: Record<string, unknown>, color: boolean): string {
  const time = typeof record['time'] === 'string' ? record['time'].slice(11, 23) : '';
  const level = typeof record['level'] === 'string' ? record['level'] : 'info';
  const label = level.toUpperCase().padEnd(5);
  const shown = color ? `\u001b[${COLORS[level] ?? '0'}m${label}\u001b[0m` : label;
  const component = typeof record['component'] === 'string' ? ` [${record['component']}]` : '';
  const msg = typeof record['msg'] === 'string' ? ` ${record['msg']}` : '';
  const extra: string[] = [];
  for (const [k, v] of Object.entries(record)) {
    if (k === 'time' || k === 'level' || k === 'msg' || k === 'component' || k === 'service' || k === 'pid' || k === 'hostname' || v === undefined) continue;
    if (k === 'err' && v !== null && typeof v === 'object') {
      const e = v as Record<string, unknown>;
      extra.push(`err=${prettyValue(`${String(e['type'] ?? 'Error')}: ${String(e['message'] ?? '')}`)}`);
      continue;
    }
    extra.push(`${k}=${prettyValue(v)}`);
  }
  return `${time} ${shown}${component}${msg}${extra.length > 0 ? ` ${extra.join(' ')}` : ''}\n`;
}

class ScreeningDestination implements DestinationStream {
  constructor(
    private readonly out: { write(chunk: string): unknown },
    private readonly format: LogFormat,
    private readonly color: boolean,
    private readonly secrets: () => Iterable<Secret>,
    private readonly onRedact: ((rule: string, count: number) => void) | undefined,
  ) {}

  write(line: string): void {
    let record: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(line);
      record = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { level: 'error', msg: 'log record was not an object' };
    } catch {
      // Never echo what could not be parsed: it may be the very thing the screen is for.
      record = { level: 'error', time: new Date().toISOString(), msg: 'log record could not be parsed and was dropped' };
    }
    const hits: RedactionCounts | undefined = this.onRedact === undefined ? undefined : new Map();
    const safe = screenRecord(record, [...this.secrets()], hits);
    if (hits !== undefined && this.onRedact !== undefined) {
      for (const [rule, n] of hits) {
        try {
          this.onRedact(rule, n);
        } catch {
          // counting must never lose a log line
        }
      }
    }
    this.out.write(this.format === 'pretty' ? prettyLine(safe, this.color) : `${JSON.stringify(safe)}\n`);
  }
}

export function createLogger(opts: LogOptions): OpsLogger {
  const out = opts.out ?? process.stderr;
  const dest = new ScreeningDestination(out, opts.format, opts.color === true, opts.secrets ?? (() => []), opts.onRedact);
  return pino(
    {
      level: opts.level,
      base: opts.format === 'pretty' ? { ...opts.base } : { pid: process.pid, ...opts.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    dest,
  );
}

export type LineLevel = 'info' | 'warn' | 'error';

/**
 * The `log(level, message)` interface the delivery half (app/delivery-log.ts Logger) and the Kafka
 * runtime (app/kafka/log.ts KafkaLog) take, backed by a pino logger.
 */
export function lineLog(logger: OpsLogger, component?: string): { log(level: LineLevel, message: string): void } {
  const l = component === undefined ? logger : logger.child({ component });
  return {
    log(level, message) {
      l[level](message);
    },
  };
}
