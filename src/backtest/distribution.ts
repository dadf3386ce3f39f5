/** p50, p90, p99 and max of the per-key peaks, by nearest rank. */
export interface PeakSummary {
  /** Keys with at least one matching accepted event. */
  readonly keys: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * Nearest-rank percentile of ascending values: the smallest value v such that at least p% of
 * the values are <= v (index ceil(p/100 × n) − 1). Always a value that occurred; 0 when empty.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const i = Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1));
  return sorted[i] as number;
}

export function summarize(sorted: ArrayLike<number>): PeakSummary {
  const n = sorted.length;
  return {
    keys: n,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: n === 0 ? 0 : (sorted[n - 1] as number),
  };
}

/** Keys whose peak is in [from, to]. */
export interface Bin {
  readonly from: number;
  readonly to: number;
  readonly keys: number;
}

/**
 * Histogram of ascending integer peaks into at most `maxBins` bins of equal integer width,
 * starting at 1 (every key that matched has a peak of at least 1).
 */
export function histogram(sorted: ArrayLike<number>, maxBins = 40): Bin[] {
  const n = sorted.length;
  if (n === 0) return [];
  const max = sorted[n - 1] as number;
  const width = Math.max(1, Math.ceil(max / maxBins));
  const bins: Bin[] = [];
  let i = 0;
  for (let from = 1; from <= max; from += width) {
    const to = from + width - 1;
    let keys = 0;
    while (i < n && (sorted[i] as number) <= to) {
      if ((sorted[i] as number) >= from) keys++;
      i++;
    }
    bins.push({ from, to, keys });
  }
  return bins;
}
