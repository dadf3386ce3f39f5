import { formatDuration } from '../config/duration.js';
import { formatTimestamp } from '../events/timestamp.js';
import { keyLabel } from './bound.js';
import type { PeakSummary } from './distribution.js';
import type { BacktestResult, DetectorResult, TunableDef, WhatIfRow } from './result.js';

/** Alert-minutes with one decimal: the unit people tune alert volume in. */
export function alertMinutes(ms: number): string {
  return (ms / 60_000).toFixed(1);
}

function int(n: number): string {
  return n.toLocaleString('en-US');
}

function describe(d: DetectorResult['def']): string {
  const by = d.groupBy.join(', ');
  const kind: string = d.kind;
  if (d.kind === 'threshold') return `threshold: more than ${d.threshold} in ${formatDuration(d.windowMs)} per ${by}`;
  if (d.kind === 'streak') return `streak: more than ${d.threshold} in a row per ${by}`;
  return `${kind} per ${by}`;
}

function peakLine(s: PeakSummary): string {
  return `p50 ${int(s.p50)}  p90 ${int(s.p90)}  p99 ${int(s.p99)}  max ${int(s.max)}  (${int(s.keys)} keys)`;
}

function table(rows: readonly WhatIfRow[], withWindow: boolean): string[] {
  // The threshold column carries a trailing '*' (configured) or ' ', so its header does too.
  const head = [...(withWindow ? ['window'] : []), 'threshold ', 'alerts', 'keys', 'alert-minutes'];
  const body = rows.map((r) => [
    ...(withWindow ? [formatDuration(r.windowMs ?? 0)] : []),
    `${int(r.threshold)}${r.configured ? '*' : ' '}`,
    int(r.alerts),
    int(r.keys),
    alertMinutes(r.alertMs),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: readonly string[]) => '    ' + cells.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ');
  return [line(head), ...body.map(line)];
}

function tuningText(def: TunableDef, t: NonNullable<DetectorResult['tuning']>): string[] {
  const lines: string[] = [];
  if (def.kind === 'threshold') {
    for (const w of t.windowPeaks) {
      const label = `peak count in ${formatDuration(w.windowMs)}${w.configured ? '' : ' (what-if)'}`;
      lines.push(`  ${label.padEnd(30)}${peakLine(w.summary)}`);
    }
  } else {
    lines.push(`  ${'peak streak'.padEnd(30)}${peakLine(t.peakSummary)}`);
  }
  lines.push(`  what-if (* = configured):`);
  lines.push(...table(t.whatIf, def.kind === 'threshold'));
  if (t.top.length > 0) {
    lines.push(`  top keys by peak:`);
    for (const k of t.top) lines.push(`    ${int(k.peak).padStart(8)}  ${keyLabel(def.groupBy, k.values)}`);
  }
  return lines;
}

function detectorText(d: DetectorResult): string[] {
  const a = d.alerts;
  const lines = [
    `${d.def.id}  (${describe(d.def)})`,
    `  alerts fired    ${int(a.alerts)}`,
    `  keys alerted    ${int(a.keys)}`,
    `  alert-minutes   ${alertMinutes(a.alertMs)}${a.openAtEnd > 0 ? `  (${a.openAtEnd} still active at the end, counted up to the last event time)` : ''}`,
  ];
  if (d.tuning !== undefined) lines.push(...tuningText(d.tuning.def, d.tuning));
  return lines;
}

/** The backtest report for a terminal: every number of the analysis, none of the charts. */
export function formatBacktest(r: BacktestResult): string {
  const range =
    r.firstTs === undefined || r.lastTs === undefined ? 'no events accepted' : `events from ${formatTimestamp(r.firstTs)} to ${formatTimestamp(r.lastTs)}`;
  const lines = [
    `backtest: ${int(r.accepted)} events accepted, ${int(r.late)} late (lateness ${formatDuration(r.latenessMs)}); ${range}`,
    'alert-minutes: for each incident, resolved at − fired at; an incident still active at the end counts up to the last event time.',
    'peak: per key, the largest window count at any time (threshold) or the longest streak (streak); percentiles by nearest rank over the keys with a matching event.',
    'what-if: what each threshold (and window) would have fired over the same single pass: threshold detectors run every variant in the engine, streak detectors derive every threshold from the streaks.',
    '',
  ];
  for (const d of r.detectors) lines.push(...detectorText(d), '');
  return lines.join('\n');
}
