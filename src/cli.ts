import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { parseDuration } from './config/duration.js';
import { AuditwatchError } from './errors.js';
import { backtest } from './app/backtest.js';
import { bundledSample, configDir } from './app/paths.js';
import { replay } from './app/replay.js';
import { runFile } from './app/run.js';
import { kafkaRuntimeConfig, runKafkaFromConfig } from './app/kafka/from-config.js';
import { silenceAdd, silenceExpire, silenceList, silencesFileFor } from './app/silence.js';
import { parseTimestamp } from './events/timestamp.js';
import { validate } from './app/validate.js';
import { registerProvisionCommands } from './app/provision-command.js';
import { DEFAULT_LATENESS_MS } from './engine/engine.js';

function duration(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError('expected an integer and a unit: ms, s, m, h or d (e.g. 30s)');
  return ms;
}

function time(value: string): number {
  const ms = parseTimestamp(value);
  if (ms === undefined) throw new InvalidArgumentError('expected an RFC 3339 time with a zone, e.g. 2026-03-05T12:00:00Z');
  return ms;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError('expected a port number (0 picks a free one)');
  return n;
}

function bytes(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive number of bytes');
  return n;
}

function threadCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 64) throw new InvalidArgumentError('expected a number of threads from 0 to 64');
  return n;
}

/** Repeatable and comma-separated: --window 30m --window 2h, or --window 30m,2h. */
function windows(value: string, previous: number[]): number[] {
  const ms = value.split(',').map((v) => duration(v.trim()));
  if (ms.some((w) => w <= 0)) throw new InvalidArgumentError('a window must be longer than 0');
  return [...previous, ...ms];
}

// No .default(): commander shows no default whose value is undefined, so the rule is in the text.
const threadsOption = () => new Option('--threads <n>', 'decode threads beside the main one; 0 decodes on the main thread (default: one per core but one, at most 4, for a file of 8 MiB or more; 0 for smaller files and stdin)').argParser(threadCount);
const latenessOption = () => new Option('--lateness <duration>', 'allowed lateness: events older than the newest minus this are dropped as late').argParser(duration).default(DEFAULT_LATENESS_MS, '30s');
const detectorsOption = () => new Option('--detectors <dir>', 'directory of detector YAML files (default: ./detectors, else the bundled ones)');
const maxBytesOption = () => new Option('--max-bytes <n>', 'largest accepted event in bytes').argParser(bytes).default(1024 * 1024, '1 MiB');
const formatOption = () => new Option('--format <name>', 'input format: canonical, redisctl, toolhive, obot, audit-trail, ecs, or auto (per message); default: input.format of auditwatch.yaml, else canonical');
const callerOption = () => new Option('--caller <id>', 'callerId for formats whose events carry no caller (redisctl), e.g. the profile name');
const callerFieldOption = () => new Option('--caller-field <path>', 'message field holding the caller for those formats, e.g. span.profile');
interface InputFlagOptions {
  format?: string;
  caller?: string;
  callerField?: string;
}
const inputFlags = (o: InputFlagOptions) => ({ format: o.format, caller: o.caller, callerField: o.callerField });

/** Exit codes: 0 done, 1 failed while running, 2 bad usage or bad configuration. */
export async function main(argv: readonly string[]): Promise<number> {
  let code = 0;
  const program = new Command()
    .name('auditwatch')
    .description('Security alerting for MCP server audit events: exact event-time detection, alerts to Slack and PagerDuty.')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('run')
    .description('run detection; with no Kafka configured, reads --input (default: the bundled sample stream) and prints alerts')
    .option('--input <file>', 'read JSON lines from a file, or - for standard input')
    .addOption(detectorsOption())
    .addOption(latenessOption())
    .addOption(maxBytesOption())
    .addOption(formatOption())
    .addOption(callerOption())
    .addOption(callerFieldOption())
    .option('--no-color', 'never colour the output')
    .addOption(new Option('--log-format <format>', "auditwatch's own log lines: json (default) or pretty; also AUDITWATCH_LOG_FORMAT or ops.log.format").choices(['json', 'pretty']))
    .addOption(new Option('--health-port <port>', 'serve /healthz, /readyz and /metrics on this port (default 9464 when running until stopped)').argParser(port))
    .action(async (o: { input?: string; detectors?: string; lateness: number; maxBytes: number; color: boolean; logFormat?: 'json' | 'pretty'; healthPort?: number } & InputFlagOptions) => {
      // Kafka when configured (kafka section or AUDITWATCH_KAFKA_BROKERS) and no --input given.
      const kafka = o.input === undefined ? kafkaRuntimeConfig(undefined, process.env) : undefined;
      if (kafka !== undefined) {
        code = await runKafkaFromConfig({
          config: kafka,
          env: process.env,
          detectorsDir: o.detectors === undefined ? undefined : configDir(o.detectors, 'detectors'),
          inputFlags: inputFlags(o),
          ops: { logFormat: o.logFormat, healthPort: o.healthPort },
          color: o.color && process.stderr.isTTY === true && process.env.NO_COLOR === undefined,
          stdout: process.stdout,
          stderr: process.stderr,
        });
        return;
      }
      code = await runFile({
        ops: { logFormat: o.logFormat, healthPort: o.healthPort },
        inputFlags: inputFlags(o),
        input: o.input ?? bundledSample(),
        detectorsDir: configDir(o.detectors, 'detectors'),
        latenessMs: o.lateness,
        maxBytes: o.maxBytes,
        color: o.color && process.stdout.isTTY === true && process.env.NO_COLOR === undefined,
        stdout: process.stdout,
        stderr: process.stderr,
      });
    });

  program
    .command('replay')
    .description('replay JSON lines through the detectors and write each alert transition as a JSON line')
    .argument('<file>', 'input file, or - for standard input')
    .addOption(detectorsOption())
    .addOption(latenessOption())
    .addOption(maxBytesOption())
    .addOption(formatOption())
    .addOption(callerOption())
    .addOption(callerFieldOption())
    .addOption(threadsOption())
    .action(async (file: string, o: { detectors?: string; lateness: number; maxBytes: number; threads?: number } & InputFlagOptions) => {
      code = await replay({ input: file, detectorsDir: configDir(o.detectors, 'detectors'), latenessMs: o.lateness, maxBytes: o.maxBytes, threads: o.threads, inputFlags: inputFlags(o), stdout: process.stdout, stderr: process.stderr });
    });

  program
    .command('backtest')
    .description('run the detectors over historical events: alerts, alert-minutes, per-key peaks and what-if tables of thresholds and windows')
    .argument('<file>', 'input file, or - for standard input')
    .addOption(detectorsOption())
    .addOption(formatOption())
    .addOption(callerOption())
    .addOption(callerFieldOption())
    .addOption(latenessOption())
    .addOption(new Option('--window <durations>', 'alternative window(s) for the what-if tables; repeat or separate with commas (e.g. 30m,2h)').argParser(windows).default([], 'none'))
    .option('--report <file>', 'also write a self-contained HTML report with charts')
    .addOption(maxBytesOption())
    .addOption(threadsOption())
    .action(async (file: string, o: { detectors?: string; lateness: number; window: number[]; report?: string; maxBytes: number; threads?: number } & InputFlagOptions) => {
      code = await backtest({ input: file, detectorsDir: configDir(o.detectors, 'detectors'), latenessMs: o.lateness, windowsMs: o.window, reportFile: o.report, maxBytes: o.maxBytes, threads: o.threads, inputFlags: inputFlags(o), stdout: process.stdout, stderr: process.stderr });
    });

  const silence = program.command('silence').description('silence alerts for a while (alerts/silences.yaml): add, list, expire');
  silence
    .command('add')
    .description('add a silence: matching alerts are recorded and counted, not sent')
    .requiredOption('--match <label=value>', 'repeatable, all must match; labels: detector, severity or a key field (callerId, tool, ...)', (v: string, acc: string[]) => [...acc, v], [])
    .option('--duration <duration>', 'how long, e.g. 2h', duration)
    .option('--starts <time>', 'start (RFC 3339), default now', time)
    .option('--ends <time>', 'end (RFC 3339), instead of --duration', time)
    .option('--author <name>', 'who silences', process.env.USER ?? 'unknown')
    .requiredOption('--comment <text>', 'why')
    .option('--file <path>', 'silences file (default: ./alerts/silences.yaml)')
    .action((o: { match: string[]; duration?: number; starts?: number; ends?: number; author: string; comment: string; file?: string }) => {
      silenceAdd({ file: silencesFileFor(o.file), matchers: o.match, durationMs: o.duration, startsAt: o.starts, endsAt: o.ends, createdBy: o.author, comment: o.comment, now: Date.now(), stdout: process.stdout });
    });
  silence
    .command('list')
    .description('list active and pending silences')
    .option('--all', 'include expired ones')
    .option('--file <path>', 'silences file')
    .action((o: { all?: boolean; file?: string }) => silenceList({ file: silencesFileFor(o.file), all: o.all === true, now: Date.now(), stdout: process.stdout }));
  silence
    .command('expire')
    .description('end a silence now')
    .argument('<id>', 'silence id (see silence list)')
    .option('--file <path>', 'silences file')
    .action((id: string, o: { file?: string }) => silenceExpire({ file: silencesFileFor(o.file), id, now: Date.now(), stdout: process.stdout }));

  program
    .command('validate')
    .description('check the detector files and print what each one detects')
    .addOption(detectorsOption())
    .action((o: { detectors?: string }) => {
      code = validate({ detectorsDir: configDir(o.detectors, 'detectors'), stdout: process.stdout });
    });

  registerProvisionCommands(program, (c) => {
    code = c;
  });

  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof AuditwatchError) {
      process.stderr.write(`auditwatch: ${err.message}\n`);
      return err.code === 'CONFIG_INVALID' || err.code === 'CONFIG_NOT_FOUND' || err.code === 'USAGE' || err.code === 'SECRET_MISSING' ? 2 : 1;
    }
    throw err;
  }
}
