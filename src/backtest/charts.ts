import { formatDuration } from '../config/duration.js';
import { boundText, keyLabel } from './bound.js';
import { histogram } from './distribution.js';
import { escapeHtml } from './html.js';
import type { KeyTimeline, Tuning } from './result.js';
import { frame, linear, n1, niceTicks, polyline, shortNumber, svg, timeTicks, valueTicks, xAxis, yAxis } from './svg.js';

// Series colours for the windows of the what-if chart; the configured window is always the first.
const SERIES = ['#1f6feb', '#8250df', '#bf8700', '#1a7f37', '#cf222e', '#57606a'] as const;
const DASHES = ['', '7 4', '2 3', '10 3 2 3', '4 2', '1 2'] as const;

/** Alerts fired against threshold, one line per window tried; the configured cell is marked. */
export function whatIfChart(d: Tuning): string {
  const f = frame(560, 270, { right: 130, top: 28 });
  const rows = d.whatIf;
  const xs = rows.map((r) => r.threshold);
  const maxX = Math.max(...xs);
  const minX = Math.min(...xs);
  const yTicks = valueTicks(Math.max(1, ...rows.map((r) => r.alerts)));
  const x = linear(minX, maxX, f.left + 8, f.right - 8);
  const y = linear(0, yTicks[yTicks.length - 1] ?? 1, f.bottom, f.top);
  let body = yAxis(f, yTicks, y, 'alerts fired') + xAxis(f, niceTicks(minX, maxX, 6, true), x, 'threshold (fires when the count exceeds it)');
  const cx = n1(x(d.def.threshold));
  body += `<line class="configured" x1="${cx}" x2="${cx}" y1="${f.top}" y2="${f.bottom}"/>`;
  body += `<text class="note" x="${cx}" y="${f.top - 12}" text-anchor="middle">configured ${d.def.threshold}</text>`;
  const windows = [...new Set(rows.map((r) => r.windowMs))];
  if (windows[0] !== undefined) body += `<text class="label" x="${f.right + 10}" y="${f.top + 4}">window</text>`;
  windows.forEach((w, i) => {
    const series = rows.filter((r) => r.windowMs === w);
    const color = SERIES[i % SERIES.length] as string;
    // Windows often give identical counts: distinct dash patterns keep overlapping lines apart.
    const dash = DASHES[i % DASHES.length] as string;
    body += polyline('series', series.map((r) => x(r.threshold)), series.map((r) => y(r.alerts)), `stroke="${color}"${dash === '' ? '' : ` stroke-dasharray="${dash}"`}`);
    for (const r of series) {
      body += `<circle cx="${n1(x(r.threshold))}" cy="${n1(y(r.alerts))}" r="${r.configured ? 5 : 3}" fill="${r.configured ? '#fff' : color}" stroke="${color}" stroke-width="2"><title>threshold ${r.threshold}${w === undefined ? '' : `, window ${formatDuration(w)}`}: ${r.alerts} alerts, ${r.keys} keys</title></circle>`;
    }
    const label = w === undefined ? 'alerts' : `${formatDuration(w)}${i === 0 ? ' (configured)' : ''}`;
    const ly = f.top + 24 + i * 18;
    body += `<line x1="${f.right + 10}" x2="${f.right + 28}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2.5"${dash === '' ? '' : ` stroke-dasharray="${dash}"`}/>`;
    body += `<text class="tick" x="${f.right + 32}" y="${ly}" dominant-baseline="middle">${escapeHtml(label)}</text>`;
  });
  return svg(f, `${escapeHtml(d.def.id)}: alerts fired against threshold`, body);
}

/** Keys per peak value; bars above the configured threshold (keys that alerted) are highlighted. */
export function peakHistogram(d: Tuning): string {
  const f = frame(560, 230, { top: 28 });
  const bins = histogram(d.peaks, 40);
  const unit = d.def.kind === 'threshold' ? `peak count in ${formatDuration(d.def.windowMs)}` : 'peak streak length';
  if (bins.length === 0) return svg(f, `${escapeHtml(d.def.id)}: no key had a matching event`, `<text class="note" x="${f.width / 2}" y="${f.height / 2}" text-anchor="middle">no key had a matching event</text>`);
  const lastBin = bins[bins.length - 1] as (typeof bins)[number];
  const maxX = Math.max(lastBin.to + 1, d.def.threshold + 1);
  const x = linear(1, maxX, f.left, f.right);
  // Peaks are heavily skewed (most keys are quiet), so the key axis is logarithmic. Its baseline
  // is half a key, so that a bar of one key still shows.
  const maxKeys = Math.max(...bins.map((b) => b.keys));
  const decades = Math.max(1, Math.ceil(Math.log10(maxKeys)));
  const logY = linear(Math.log10(0.5), decades, f.bottom, f.top);
  const y = (k: number) => logY(Math.log10(k));
  const yTicks = Array.from({ length: decades + 1 }, (_, i) => Math.pow(10, i));
  let body = yAxis(f, yTicks, y, 'keys (log scale)') + xAxis(f, niceTicks(1, maxX, 6, true), x, unit);
  for (const b of bins) {
    if (b.keys === 0) continue;
    const x0 = x(b.from);
    const x1 = x(b.to + 1);
    const cls = b.to > d.def.threshold ? 'bar hot' : 'bar';
    body += `<rect class="${cls}" x="${n1(x0 + 0.5)}" y="${n1(y(b.keys))}" width="${n1(Math.max(1, x1 - x0 - 1))}" height="${n1(f.bottom - y(b.keys))}"><title>peak ${b.from === b.to ? b.from : `${b.from}–${b.to}`}: ${b.keys} keys</title></rect>`;
  }
  const tx = n1(x(d.def.threshold + 1));
  body += `<line class="threshold" x1="${tx}" x2="${tx}" y1="${f.top}" y2="${f.bottom}"/>`;
  body += `<text class="note hot" x="${tx}" y="${f.top - 12}" text-anchor="middle">alerts above ${d.def.threshold}</text>`;
  return svg(f, `${escapeHtml(d.def.id)}: distribution of each key's ${unit}`, body);
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

function dateTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + 'Z';
}

/** One key's window count over time against the threshold, with its fires and resolves. */
export function timelineChart(d: Tuning, k: KeyTimeline): string {
  const f = frame(560, 180, { top: 30, bottom: 40 });
  const thr = d.def.threshold;
  const times = [...k.points.map((p) => p.t), ...k.marks.map((m) => m.at), ...(k.untracked === undefined ? [] : [k.untracked.from, k.untracked.since])];
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const yTicks = valueTicks(Math.max(thr + 1, k.peak));
  const x = linear(t0, t1, f.left, f.right);
  const y = linear(0, yTicks[yTicks.length - 1] ?? 1, f.bottom, f.top);
  // Short enough for the chart's width: each value to 32 characters, the whole label to 64.
  const label = escapeHtml(boundText(keyLabel(d.def.groupBy, k.values, 32), 64));
  const xTicks = timeTicks(t0, t1, 4);
  let body = yAxis(f, yTicks, y, 'window count') + xAxis(f, xTicks, x, `${dateTime(t0)} → ${dateTime(t1)} (UTC)`, clock);
  if (k.untracked !== undefined) {
    const u = k.untracked;
    body += `<rect class="untracked" x="${n1(x(u.from))}" y="${f.top}" width="${n1(Math.max(0, x(u.since) - x(u.from)))}" height="${f.bottom - f.top}"><title>not recorded: count at most ${u.atMost}</title></rect>`;
    body += `<text class="note" x="${f.left + 4}" y="${f.top + 12}">grey: not recorded, count ≤ ${u.atMost}</text>`;
  }
  const ty = n1(y(thr));
  body += `<line class="threshold" x1="${f.left}" x2="${f.right}" y1="${ty}" y2="${ty}"/>`;
  body += `<text class="note hot" x="${f.right}" y="${n1(y(thr) - 4)}" text-anchor="end">threshold ${thr}</text>`;
  for (const m of k.marks) {
    const mx = n1(x(m.at));
    body += `<line class="${m.type}" x1="${mx}" x2="${mx}" y1="${f.top}" y2="${f.bottom}"><title>${m.type} at ${dateTime(m.at)}</title></line>`;
  }
  // The count holds between samples (it only changes at an event or an expiry): draw steps.
  const xs: number[] = [];
  const ys: number[] = [];
  k.points.forEach((p, i) => {
    if (i > 0) {
      xs.push(x(p.t));
      ys.push(ys[ys.length - 1] as number);
    }
    xs.push(x(p.t));
    ys.push(y(p.c));
  });
  body += polyline('count', xs, ys);
  // A line needs two points; sparse keys also get a dot per sample.
  if (k.points.length <= 60) for (const p of k.points) body += `<circle class="dot" cx="${n1(x(p.t))}" cy="${n1(y(p.c))}" r="2.5"/>`;
  body += `<text class="keylabel" x="${f.left}" y="12">${label} · peak ${shortNumber(k.peak)}</text>`;
  return svg(f, `${escapeHtml(d.def.id)}: window count of ${label} over time`, body);
}
