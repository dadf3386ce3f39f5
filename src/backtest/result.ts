import type { DetectorDef, StreakDef, ThresholdDef } from '../config/detectors.js';
import type { KeyValues } from '../engine/key.js';
import type { PeakSummary } from './distribution.js';
import type { AlertSummary } from './tally.js';
import type { Mark, Sample } from './timeline.js';

/** One what-if cell: what the detector would have done with this threshold (and window). */
export interface WhatIfRow extends AlertSummary {
  readonly threshold: number;
  readonly windowMs: number | undefined;
  readonly configured: boolean;
}

/** Peaks per key for one window of a threshold detector. */
export interface WindowPeakResult {
  readonly windowMs: number;
  readonly configured: boolean;
  readonly summary: PeakSummary;
}

/** A top key of a threshold detector, with the timeline of its window count. */
export interface KeyTimeline {
  readonly values: KeyValues;
  readonly peak: number;
  /** count(t) at the key's event times, min/max-decimated to a bounded number of points. */
  readonly points: readonly Sample[];
  /** How many samples the points stand for. */
  readonly samples: number;
  /** Set when recording started late: from `from` (the key's first event) to `since` its counts were all <= `atMost`. */
  readonly untracked: { readonly from: number; readonly since: number; readonly atMost: number } | undefined;
  readonly marks: readonly Mark[];
  readonly marksDropped: number;
}

export interface TopKey {
  readonly values: KeyValues;
  readonly peak: number;
}

/** Detector kinds with a threshold to tune; other kinds (leak) only get their alert numbers. */
export type TunableDef = ThresholdDef | StreakDef;

export function isTunable(d: DetectorDef): d is TunableDef {
  return d.kind === 'threshold' || d.kind === 'streak';
}

/** The tuning analysis of a threshold or streak detector. */
export interface Tuning {
  readonly def: TunableDef;
  /** Per-key peaks for the configured window (threshold) or peak streak lengths (streak), ascending. */
  readonly peaks: Float64Array;
  readonly peakSummary: PeakSummary;
  /** Threshold detectors: one entry per window tried, configured first. */
  readonly windowPeaks: readonly WindowPeakResult[];
  readonly whatIf: readonly WhatIfRow[];
  /** Top keys by peak; with timelines for threshold detectors. */
  readonly top: readonly TopKey[];
  readonly timelines: readonly KeyTimeline[];
}

export interface DetectorResult {
  readonly def: DetectorDef;
  /** The configured detector: exactly what `replay` reports. */
  readonly alerts: AlertSummary;
  /** Undefined for kinds without a threshold. */
  readonly tuning: Tuning | undefined;
}

export interface BacktestResult {
  readonly latenessMs: number;
  readonly accepted: number;
  readonly late: number;
  /** Smallest and largest accepted event time; undefined when nothing was accepted. */
  readonly firstTs: number | undefined;
  readonly lastTs: number | undefined;
  readonly detectors: readonly DetectorResult[];
}
