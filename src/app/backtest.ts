import { writeFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { Backtester } from '../backtest/backtester.js';
import { renderReport } from '../backtest/report.js';
import type { BacktestResult } from '../backtest/result.js';
import { formatBacktest } from '../backtest/text.js';
import { loadDetectors } from '../config/detectors.js';
import { loadRuntimeConfig } from '../config/runtime.js';
import { AuditwatchError } from '../errors.js';
import { DEFAULT_MAX_BYTES } from '../events/parse.js';
import { formatSummary, type IngestCounters } from './ingest.js';
import { ingestInput } from './parallel/choose.js';
import { inputDecoder, type InputFlags } from './input.js';

export interface BacktestOptions {
  readonly input: string;
  readonly detectorsDir: string;
  readonly latenessMs: number;
  /** Alternative windows for the what-if tables of threshold detectors. */
  readonly windowsMs: readonly number[];
  readonly maxBytes?: number;
  /** Decode threads beside the main one, as replay's; undefined picks. */
  readonly threads?: number;
  /** --format, --caller, --caller-field; input.format and input.formats of auditwatch.yaml otherwise (as replay). */
  readonly inputFlags?: Omit<InputFlags, 'maxBytes'>;
  /** Environment for the auditwatch.yaml lookup (default: process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** Where to write the HTML report, if anywhere. */
  readonly reportFile?: string;
  readonly stdout: Writable;
  readonly stderr: Writable;
}

export interface BacktestOutcome {
  readonly result: BacktestResult;
  readonly counters: IngestCounters;
}

/** Reads the input once through the backtester; exported for tests and benchmarks. */
export async function runBacktest(opts: Omit<BacktestOptions, 'stdout' | 'stderr' | 'reportFile'>): Promise<BacktestOutcome> {
  const defs = loadDetectors(opts.detectorsDir);
  const { config } = loadRuntimeConfig(undefined, opts.env ?? process.env);
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const decoder = inputDecoder({ ...opts.inputFlags, maxBytes }, config.input);
  const bt = Backtester.create(defs, { latenessMs: opts.latenessMs, windowsMs: opts.windowsMs });
  const counters = await ingestInput(bt, defs, decoder, {
    input: opts.input,
    maxBytes,
    threads: opts.threads,
    // The transitions themselves are replay's business; the backtest only counts them.
    onTransitions: () => {},
  });
  return { result: bt.result(), counters };
}

/**
 * `auditwatch backtest`: the per-detector numbers and what-if tables on stdout, the ingest
 * summary on stderr, and with --report a self-contained HTML file.
 */
export async function backtest(opts: BacktestOptions): Promise<number> {
  const { result, counters } = await runBacktest(opts);
  opts.stderr.write(formatSummary('backtest', counters, result.detectors.map((d) => d.def.id)));
  opts.stdout.write(formatBacktest(result));
  if (opts.reportFile !== undefined) {
    const html = renderReport(result, { name: opts.input, read: counters.read, rejected: counters.rejected });
    try {
      writeFileSync(opts.reportFile, html);
    } catch (err) {
      throw new AuditwatchError('USAGE', `cannot write the report to ${opts.reportFile}`, { file: opts.reportFile }, { cause: err });
    }
    opts.stderr.write(`report: ${opts.reportFile} (${Math.ceil(Buffer.byteLength(html) / 1024).toLocaleString('en-US')} KiB)\n`);
  }
  return 0;
}
