import { formatDuration } from '../config/duration.js';
import { formatTimestamp } from '../events/timestamp.js';
import { keyLabel } from './bound.js';
import { peakHistogram, timelineChart, whatIfChart } from './charts.js';
import type { PeakSummary } from './distribution.js';
import { escapeHtml } from './html.js';
import type { BacktestResult, DetectorResult, Tuning } from './result.js';
import { alertMinutes } from './text.js';

/** What the report says about the input besides the analysis (the app layer knows it). */
export interface ReportInput {
  /** The input as the user named it (a path, or "-" for standard input). */
  readonly name: string;
  readonly read: number;
  readonly rejected: number;
}

// No script, no external anything: the CSP makes the browser refuse any request the page might
// try, so the report is safe to open from an untrusted history and renders offline.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1f2328;background:#fff;margin:0 auto;max-width:1180px;padding:16px 24px 48px}
h1{font-size:22px;margin:8px 0 4px}h2{font-size:18px;margin:36px 0 4px;padding-top:12px;border-top:2px solid #d0d7de}h3{font-size:15px;margin:20px 0 4px}
p{margin:4px 0 8px;max-width:900px}.muted{color:#57606a}code{background:#f6f8fa;padding:0 3px;border-radius:3px}
table{border-collapse:collapse;margin:6px 0 10px;font-variant-numeric:tabular-nums}th,td{padding:2px 10px;border-bottom:1px solid #eaeef2;text-align:right}th{background:#f6f8fa}td.l,th.l{text-align:left}
tr.configured td,td.configured{font-weight:600;background:#fff8c5}
th.group{text-align:center;border-left:2px solid #fff}table.whatif th{font-weight:600}
.row{display:flex;flex-wrap:wrap;gap:12px 28px;align-items:flex-start}.timelines{display:flex;flex-wrap:wrap;gap:10px 20px}
svg.chart{font:11px system-ui,"DejaVu Sans",sans-serif;background:#fff;overflow:visible}
.grid{stroke:#eaeef2}.axis{stroke:#8c959f}.tick{fill:#57606a}.label{fill:#1f2328;font-size:12px}.note{fill:#57606a;font-size:11px}.hot{fill:#cf222e}
.series{fill:none;stroke-width:2.2}
.configured{stroke:#1f2328;stroke-dasharray:3 3}.threshold{stroke:#cf222e;stroke-width:1.5;stroke-dasharray:5 3}
.bar{fill:#8c959f}.bar.hot{fill:#cf222e}
.count{fill:none;stroke:#1f6feb;stroke-width:1.6}.dot{fill:#1f6feb}.fired{stroke:#cf222e;stroke-width:2}.resolved{stroke:#1a7f37;stroke-width:2}
.untracked{fill:#eaeef2}.keylabel{fill:#1f2328;font-size:12px;font-weight:600}
.swatch{display:inline-block;width:14px;height:3px;vertical-align:middle;margin:0 4px 0 10px}
`;

/** 3h 0m 0s style, for spans that are rarely a whole number of units. */
export function humanDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.floor(ms / 1000);
  const parts: [number, string][] = [[Math.floor(s / 86_400), 'd'], [Math.floor(s / 3600) % 24, 'h'], [Math.floor(s / 60) % 60, 'm'], [s % 60, 's']];
  const first = parts.findIndex(([n]) => n > 0);
  return parts.slice(first).map(([n, u]) => `${n}${u}`).join(' ');
}

function int(n: number): string {
  return n.toLocaleString('en-US');
}

function peakCells(s: PeakSummary): string {
  return `<td>${int(s.keys)}</td><td>${int(s.p50)}</td><td>${int(s.p90)}</td><td>${int(s.p99)}</td><td>${int(s.max)}</td>`;
}

function definition(d: DetectorResult['def']): string {
  // Config, not events, but escaped all the same: a where value may contain anything.
  const where = escapeHtml([...d.where].map(([f, vs]) => `${f} = ${vs.join(' or ')}`).join(', ') || 'every event');
  const by = escapeHtml(d.groupBy.join(', '));
  if (d.kind === 'threshold') return `Fires on more than <b>${d.threshold}</b> events (${where}) in any <b>${formatDuration(d.windowMs)}</b> window, per ${by}.`;
  if (d.kind === 'streak') {
    const reset = escapeHtml([...d.resetWhere].map(([f, vs]) => `${f} = ${vs.join(' or ')}`).join(', '));
    return `Fires on more than <b>${d.threshold}</b> events (${where}) in a row with no ${reset} in between, per ${by}.`;
  }
  return `Looks at ${where}, per ${by}.`;
}

function summaryTable(d: DetectorResult): string {
  const a = d.alerts;
  const open = a.openAtEnd > 0 ? `<p class="muted">${int(a.openAtEnd)} still active at the end of the input: counted up to the last event time.</p>` : '';
  return `<table><tr><th class="l">alerts fired</th><td>${int(a.alerts)}</td></tr><tr><th class="l">distinct keys alerted</th><td>${int(a.keys)}</td></tr><tr><th class="l">alert-minutes</th><td>${alertMinutes(a.alertMs)}</td></tr></table>${open}`;
}

/** Thresholds down, windows across; each window has alerts, keys and alert-minutes. */
function whatIfTable(t: Tuning): string {
  const windows = [...new Set(t.whatIf.map((r) => r.windowMs))];
  const thresholds = [...new Set(t.whatIf.map((r) => r.threshold))].sort((a, b) => a - b);
  const cell = new Map(t.whatIf.map((r) => [`${r.threshold}/${r.windowMs}`, r]));
  const windowHead = windows
    .map((w, i) => `<th colspan="3" class="group">${w === undefined ? 'alerts' : `window ${formatDuration(w)}${i === 0 ? ' (configured)' : ''}`}</th>`)
    .join('');
  const subHead = windows.map(() => '<th>alerts</th><th>keys</th><th>alert-min</th>').join('');
  const rows = thresholds
    .map((thr) => {
      const configured = thr === t.def.threshold;
      const cells = windows
        .map((w) => {
          const r = cell.get(`${thr}/${w}`);
          if (r === undefined) return '<td></td><td></td><td></td>';
          const c = r.configured ? ' class="configured"' : '';
          return `<td${c}>${int(r.alerts)}</td><td${c}>${int(r.keys)}</td><td${c}>${alertMinutes(r.alertMs)}</td>`;
        })
        .join('');
      return `<tr><th>${int(thr)}${configured ? '*' : ''}</th>${cells}</tr>`;
    })
    .join('');
  // Streaks have no window: one header row is enough.
  const head = windows[0] === undefined ? `<tr><th>threshold</th>${subHead}</tr>` : `<tr><th rowspan="2">threshold</th>${windowHead}</tr><tr>${subHead}</tr>`;
  return `<table class="whatif">${head}${rows}</table>`;
}

function peakTable(d: Tuning): string {
  const head = '<tr><th class="l">peak of</th><th>keys</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>';
  if (d.def.kind === 'streak') return `<table>${head}<tr><td class="l">streak length</td>${peakCells(d.peakSummary)}</tr></table>`;
  const rows = d.windowPeaks.map((w) => `<tr${w.configured ? ' class="configured"' : ''}><td class="l">count in ${formatDuration(w.windowMs)}${w.configured ? ' (configured)' : ''}</td>${peakCells(w.summary)}</tr>`).join('');
  return `<table>${head}${rows}</table>`;
}

function topKeys(d: Tuning): string {
  if (d.top.length === 0) return '<p class="muted">No key had a matching event.</p>';
  if (d.def.kind === 'streak') {
    const rows = d.top.map((k) => `<tr><td>${int(k.peak)}</td><td class="l">${escapeHtml(keyLabel(d.def.groupBy, k.values))}</td></tr>`).join('');
    return `<p>The keys with the longest streaks, longest first.</p><table><tr><th>peak streak</th><th class="l">key</th></tr>${rows}</table>`;
  }
  const charts = d.timelines.map((k) => `<div>${timelineChart(d, k)}${k.marksDropped > 0 ? `<p class="muted">${int(k.marksDropped)} more fires/resolves not drawn.</p>` : ''}</div>`).join('');
  return `<p>For the ${d.timelines.length} keys with the highest peak: the blue line is the key's window count over time, taken at each of its events and at each event's expiry from the window, which is every moment the count changes, so the steps are exact. At most 500 points are drawn: when there are more, each point stands for a run of changes and the lowest and highest count of each run are kept, so peaks and dips survive. The dashed red line is the threshold; a red vertical line is a fire, a green one a resolve of the configured detector. A grey band is a stretch before the key ranked among the top ones, not recorded; its counts there were at most the value shown.</p><div class="timelines">${charts}</div>`;
}

function tuningSection(t: Tuning): string {
  const unit = t.def.kind === 'threshold' ? 'window count' : 'streak length';
  return `<h3>What if the threshold were different?</h3>
<p>Alerts each threshold${t.def.kind === 'threshold' ? ' and window' : ''} would have fired over this input (* marks the configured threshold; the highlighted cells are the configured detector). ${t.def.kind === 'threshold' ? 'Computed exactly as the engine fires and resolves: every variant ran as its own detector in the same pass over the input.' : 'Computed exactly from the streaks seen in the same pass: a threshold T fires when a streak reaches T + 1 and resolves at the event that ends the streak.'} A steep drop just above the configured threshold means a small change matters; a flat stretch means the threshold sits in a quiet gap.</p>
<div class="row">${whatIfChart(t)}${whatIfTable(t)}</div>
<h3>How far is the threshold from normal behaviour?</h3>
<p>Each key's peak ${unit} over the whole input: how close it ever came to the threshold. Grey bars are keys that never exceeded the threshold, red bars keys that did. Percentiles are over the keys with at least one matching event.</p>
<div class="row">${peakHistogram(t)}${peakTable(t)}</div>
<h3>Top keys</h3>
${topKeys(t)}`;
}

function detectorSection(d: DetectorResult): string {
  const id = escapeHtml(d.def.id);
  return `<section id="d-${id}">
<h2>${id} <span class="muted">(${escapeHtml(d.def.kind)}, ${escapeHtml(d.def.severity)})</span></h2>
<p>${d.def.description === undefined ? '' : `${escapeHtml(d.def.description)}. `}${definition(d.def)}</p>
${summaryTable(d)}
${d.tuning === undefined ? '<p class="muted">This kind of detector has no threshold to tune.</p>' : tuningSection(d.tuning)}
</section>`;
}

/** The whole report: one HTML file with inline CSS and SVG, no script, no external request. */
export function renderReport(r: BacktestResult, input: ReportInput): string {
  const range =
    r.firstTs === undefined || r.lastTs === undefined ? 'No event was accepted.' : `Events from ${formatTimestamp(r.firstTs)} to ${formatTimestamp(r.lastTs)} (${humanDuration(r.lastTs - r.firstTs)}).`;
  const nav = r.detectors.map((d) => `<a href="#d-${escapeHtml(d.def.id)}">${escapeHtml(d.def.id)}</a>`).join(' · ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>auditwatch backtest</title>
<style>${STYLE}</style>
</head><body>
<h1>auditwatch backtest</h1>
<p>Input <code>${escapeHtml(input.name)}</code>: ${int(input.read)} lines, ${int(r.accepted)} events accepted, ${int(input.rejected)} rejected, ${int(r.late)} late (lateness ${formatDuration(r.latenessMs)}). ${range}</p>
<p class="muted"><b>Alerts</b> are fired transitions, exactly as <code>auditwatch replay</code> emits them. <b>Alert-minutes</b> is the time alerts were active: for each incident, resolved at − fired at; an incident still active at the end of the input counts up to the last event time. A key's <b>peak</b> is the largest window count it reached at any time (threshold detectors) or its longest streak (streak detectors).</p>
<p>${nav}</p>
${r.detectors.map(detectorSection).join('\n')}
</body></html>
`;
}
