// Small helpers for the report's inline SVG charts. Only numbers and text the caller has already
// escaped go into markup here; nothing in this file sees an event string.

/** A coordinate with one decimal: enough for a screen, and keeps a 500-point line small. */
export function n1(x: number): string {
  return (Math.round(x * 10) / 10).toString();
}

/** Plot area inside an SVG of `width` × `height`, with margins for axes and labels. */
export interface Frame {
  readonly width: number;
  readonly height: number;
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

export function frame(width: number, height: number, m: { left?: number; right?: number; top?: number; bottom?: number } = {}): Frame {
  return { width, height, left: m.left ?? 56, right: width - (m.right ?? 16), top: m.top ?? 16, bottom: height - (m.bottom ?? 36) };
}

/** A linear map from [d0, d1] to [r0, r1]; a zero-width domain maps to the middle. */
export function linear(d0: number, d1: number, r0: number, r1: number): (x: number) => number {
  if (d1 === d0) return () => (r0 + r1) / 2;
  const k = (r1 - r0) / (d1 - d0);
  return (x) => r0 + (x - d0) * k;
}

function niceStep(lo: number, hi: number, count: number, integer: boolean): number {
  const raw = (hi - lo) / count;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  return Math.max(integer ? 1 : 0, [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p);
}

/** About `count` round tick values (1, 2 or 5 × a power of ten apart) within [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5, integer = false): number[] {
  if (!(hi > lo)) return [lo];
  const step = niceStep(lo, hi, count, integer);
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
  return out;
}

/** Ticks for a value axis from 0: the last tick is at or above `max`, so the data never touches the top. */
export function valueTicks(max: number, count = 4): number[] {
  if (!(max > 0)) return [0, 1];
  const step = niceStep(0, max, count, true);
  const out: number[] = [];
  for (let v = 0; v < max + step; v += step) out.push(v);
  return out;
}

/** Compact axis labels: 1200 → 1.2k, 3000000 → 3M. */
export function shortNumber(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toFixed(1)}k`;
  return `${+v.toFixed(2)}`;
}

/** Left axis with horizontal grid lines at `ticks` (y values mapped by `y`). */
export function yAxis(f: Frame, ticks: readonly number[], y: (v: number) => number, label: string, fmt: (v: number) => string = shortNumber): string {
  let s = '';
  for (const t of ticks) {
    const py = n1(y(t));
    s += `<line class="grid" x1="${f.left}" x2="${f.right}" y1="${py}" y2="${py}"/>`;
    s += `<text class="tick" x="${f.left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${fmt(t)}</text>`;
  }
  s += `<line class="axis" x1="${f.left}" x2="${f.left}" y1="${f.top}" y2="${f.bottom}"/>`;
  s += `<text class="label" transform="translate(14 ${n1((f.top + f.bottom) / 2)}) rotate(-90)" text-anchor="middle">${label}</text>`;
  return s;
}

/** Bottom axis with tick marks at `ticks` (x values mapped by `x`). */
export function xAxis(f: Frame, ticks: readonly number[], x: (v: number) => number, label: string, fmt: (v: number) => string = shortNumber): string {
  let s = `<line class="axis" x1="${f.left}" x2="${f.right}" y1="${f.bottom}" y2="${f.bottom}"/>`;
  for (const t of ticks) {
    const px = n1(x(t));
    s += `<line class="axis" x1="${px}" x2="${px}" y1="${f.bottom}" y2="${f.bottom + 4}"/>`;
    s += `<text class="tick" x="${px}" y="${f.bottom + 16}" text-anchor="middle">${fmt(t)}</text>`;
  }
  s += `<text class="label" x="${n1((f.left + f.right) / 2)}" y="${f.height - 4}" text-anchor="middle">${label}</text>`;
  return s;
}

/** An `<svg>` element; `title` (already escaped) names the chart for screen readers. It goes in element content only, never an attribute. */
export function svg(f: Frame, title: string, body: string): string {
  return `<svg class="chart" viewBox="0 0 ${f.width} ${f.height}" width="${f.width}" height="${f.height}" role="img"><title>${title}</title>${body}</svg>`;
}

/** A polyline through points already in pixel coordinates; `attrs` is extra (trusted) markup. */
export function polyline(cls: string, xs: readonly number[], ys: readonly number[], attrs = ''): string {
  let pts = '';
  for (let i = 0; i < xs.length; i++) pts += `${i === 0 ? '' : ' '}${n1(xs[i] as number)},${n1(ys[i] as number)}`;
  return `<polyline class="${cls}" points="${pts}"${attrs === '' ? '' : ' ' + attrs}/>`;
}

// Tick spacings a clock reader finds natural, in ms.
const TIME_STEPS = [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86_400, 7 * 86_400, 30 * 86_400].map((s) => s * 1000);

/** About `count` ticks over [t0, t1] (epoch ms) on round clock times (UTC). */
export function timeTicks(t0: number, t1: number, count = 4): number[] {
  if (!(t1 > t0)) return [t0];
  const raw = (t1 - t0) / count;
  const step = TIME_STEPS.find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(t0 / step) * step; v <= t1; v += step) out.push(v);
  return out;
}
