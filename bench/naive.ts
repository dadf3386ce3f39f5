import type { DetectorDef } from '../src/config/detectors.js';
import type { AuditEvent } from '../src/events/audit-event.js';

/**
 * The baseline the benchmark compares with: what one writes first. Every matching timestamp of
 * a key is kept in an array and filtered on every event (no watermark, no compaction).
 */
export class NaiveEngine {
  private readonly state: Map<string, number[]>[];
  private readonly streaks: Map<string, number>[];
  constructor(private readonly defs: readonly DetectorDef[]) {
    this.state = defs.map(() => new Map());
    this.streaks = defs.map(() => new Map());
  }

  process(e: AuditEvent): number {
    let fired = 0;
    this.defs.forEach((d, i) => {
      const key = d.groupBy.map((f) => String((e as unknown as Record<string, unknown>)[f])).join('|');
      const matches = [...d.where].every(([f, vs]) => vs.includes(String((e as unknown as Record<string, unknown>)[f])));
      if (d.kind === 'threshold') {
        if (!matches) return;
        const m = this.state[i] as Map<string, number[]>;
        const arr = m.get(key) ?? [];
        arr.push(e.ts);
        const inWindow = arr.filter((t) => t > e.ts - d.windowMs && t <= e.ts);
        m.set(key, arr);
        if (inWindow.length > d.threshold) fired++;
      } else if (d.kind === 'streak') {
        const m = this.streaks[i] as Map<string, number>;
        if (matches) m.set(key, (m.get(key) ?? 0) + 1);
        else if ([...d.resetWhere].every(([f, vs]) => vs.includes(String((e as unknown as Record<string, unknown>)[f])))) m.delete(key);
      }
    });
    return fired;
  }
}
