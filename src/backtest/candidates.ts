import type { DetectorDef } from '../config/detectors.js';
import type { TunableDef } from './result.js';
import { formatDuration } from '../config/duration.js';

/** Multipliers of the configured threshold tried by the what-if table. */
export const THRESHOLD_MULTIPLIERS = [0.25, 0.5, 0.75, 1, 1.5, 2, 3] as const;
const MIN_CANDIDATES = 5;

/**
 * Thresholds tried around `configured`: configured × each multiplier, rounded, deduplicated,
 * ascending. Small thresholds round onto few distinct values, so the list is topped up with the
 * next integers above the configured one until it has at least five.
 */
export function thresholdCandidates(configured: number): number[] {
  const set = new Set<number>(THRESHOLD_MULTIPLIERS.map((m) => Math.round(configured * m)));
  for (let next = configured + 1; set.size < MIN_CANDIDATES; next++) set.add(next);
  return [...set].sort((a, b) => a - b);
}

/** One what-if cell: a detector definition the backtest runs next to the configured one. */
export interface Candidate {
  /** The configured detector this is a variant of. */
  readonly detectorId: string;
  readonly threshold: number;
  /** Window of a threshold variant; undefined for streaks. */
  readonly windowMs: number | undefined;
  /** True for the configured (threshold, window): its numbers are the detector's own. */
  readonly configured: boolean;
  /** The definition of the variant (the engine runs it for threshold kinds); for the configured cell, the configured definition itself. */
  readonly def: DetectorDef;
}

/**
 * Engine ids of the variants. Real ids are lowercase, digits and dashes only, so an id with a
 * space can never collide with a configured detector.
 */
function variantId(d: TunableDef, threshold: number, windowMs: number | undefined): string {
  return windowMs === undefined ? `${d.id} threshold=${threshold}` : `${d.id} threshold=${threshold} window=${formatDuration(windowMs)}`;
}

/**
 * The what-if grid of one detector: every candidate threshold × (configured window + the
 * alternatives in `windowsMs`) for threshold detectors, every candidate threshold for streaks.
 * Ordered by window (configured first, then ascending), then threshold.
 */
export function candidatesFor(d: TunableDef, windowsMs: readonly number[]): Candidate[] {
  const thresholds = thresholdCandidates(d.threshold);
  if (d.kind === 'streak') {
    return thresholds.map((t) =>
      t === d.threshold
        ? { detectorId: d.id, threshold: t, windowMs: undefined, configured: true, def: d }
        : { detectorId: d.id, threshold: t, windowMs: undefined, configured: false, def: { ...d, id: variantId(d, t, undefined), threshold: t } },
    );
  }
  const windows = [d.windowMs, ...[...new Set(windowsMs)].filter((w) => w !== d.windowMs).sort((a, b) => a - b)];
  const out: Candidate[] = [];
  for (const w of windows) {
    for (const t of thresholds) {
      const configured = t === d.threshold && w === d.windowMs;
      out.push({
        detectorId: d.id,
        threshold: t,
        windowMs: w,
        configured,
        def: configured ? d : { ...d, id: variantId(d, t, w), threshold: t, windowMs: w },
      });
    }
  }
  return out;
}
