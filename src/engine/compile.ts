import type { DetectorDef } from '../config/detectors.js';
import type { Agenda, DetectorRuntime, Sequence } from './detector.js';
import { LeakDetector } from './leak.js';
import { StreakDetector } from './streak.js';
import { ThresholdDetector } from './threshold.js';

/** Detector kinds: one explicit table from kind to constructor. */
export function compileDetector(def: DetectorDef, seq: Sequence, agenda: Agenda): DetectorRuntime {
  switch (def.kind) {
    case 'threshold':
      return new ThresholdDetector(def, seq, agenda);
    case 'streak':
      return new StreakDetector(def, seq);
    case 'leak':
      return new LeakDetector(def, seq, agenda);
  }
}
