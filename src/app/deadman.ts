// The dead-man's switch: a silent audit pipeline is itself a security event (a shipper stopped,
// a topic was re-pointed, someone turned auditing off). When a source that was busy delivers no
// event at all for `silenceMs`, a critical `audit-stream-silent` alert fires through the normal
// routing; it resolves as soon as events arrive again.
//
// Wall-clock based, unlike the detectors: it is about events arriving, not about their
// timestamps. Nothing here reads the clock; `now` comes in with every call.
//
// Definitions (per source):
//   - arrivals are observed as counts at sampling times (`arrived(source, n, now)`, or
//     `observe(source, cumulativeTotal, now)`); `lastArrival` is the latest time with n > 0;
//   - the source is BUSY when more than `busyEvents` events arrived in the `busyWindowMs` that
//     ends at `lastArrival` (a source that never delivered that much is not watched: a quiet test
//     stream must not page anybody);
//   - it is SILENT at `now` when `now - lastArrival >= silenceMs`;
//   - busy and silent: fires once, at event time `lastArrival + silenceMs`, with the count of the
//     busy window (count > threshold = busyEvents, window = busyWindowMs + silenceMs, which ends
//     at the fire and covers the busy period and the silence); the next arrival resolves it.
// State is not persisted: after a restart a source must be busy again before it is watched.
// In Kafka mode the total observed is topic-wide (the sum of the input topics' end offsets, read
// by the leader that runs the job: app/kafka/from-config.ts, watchKafka), not what this instance
// read: with several instances in a group the leader only processes its own partitions.
import type { EventStringField } from '../events/audit-event.js';
import type { FiredTransition, ResolvedTransition, Transition } from '../engine/transition.js';

export const DEADMAN_DETECTOR = 'audit-stream-silent';
/**
 * The alert is keyed by source, which is not an event field; the transition model types key
 * fields as event fields, and nothing downstream relies on that beyond displaying the name.
 */
const SOURCE_FIELD = ['source'] as readonly string[] as readonly EventStringField[];

export interface DeadmanOptions {
  readonly silenceMs: number;
  readonly busyWindowMs: number;
  readonly busyEvents: number;
}

export interface SourceStatus {
  readonly source: string;
  readonly lastArrival: number | undefined;
  /** Events in the busy window that ends at the last arrival. */
  readonly recent: number;
  readonly busy: boolean;
  readonly silent: boolean;
  readonly alerting: boolean;
}

interface SourceState {
  total: number | undefined;
  lastArrival: number | undefined;
  /** (time, count) of arrivals, oldest first, within the busy window of the last arrival. */
  readonly samples: { at: number; n: number }[];
  active: FiredTransition | undefined;
}

export class DeadmanSwitch {
  private readonly sources = new Map<string, SourceState>();

  constructor(private readonly o: DeadmanOptions) {}

  private state(source: string): SourceState {
    let s = this.sources.get(source);
    if (s === undefined) {
      s = { total: undefined, lastArrival: undefined, samples: [], active: undefined };
      this.sources.set(source, s);
    }
    return s;
  }

  /** Declares a source before anything arrived (it shows in `status()`). */
  watch(source: string): void {
    this.state(source);
  }

  /**
   * A cumulative count (events read so far) sampled at `now`. The first sample of a source is a
   * baseline, not arrivals; a count that went down (a restarted counter) is a new baseline.
   */
  observe(source: string, total: number, now: number): Transition[] {
    const s = this.state(source);
    const prev = s.total;
    s.total = total;
    if (prev === undefined || total < prev) return [];
    return this.arrived(source, total - prev, now);
  }

  /** `n` events arrived from `source` by `now`. Returns the resolve if the source was held silent. */
  arrived(source: string, n: number, now: number): Transition[] {
    if (n <= 0) return [];
    const s = this.state(source);
    const out: Transition[] = [];
    if (s.active !== undefined) {
      const resolved: ResolvedTransition = { type: 'resolved', detector: DEADMAN_DETECTOR, severity: 'critical', keyFields: SOURCE_FIELD, key: [source], at: Math.max(now, s.active.at), firedAt: s.active.at };
      out.push(resolved);
      s.active = undefined;
      // The silence is over: what came before it no longer says anything about "busy".
      s.samples.length = 0;
    }
    s.samples.push({ at: now, n });
    s.lastArrival = s.lastArrival === undefined ? now : Math.max(s.lastArrival, now);
    this.prune(s);
    return out;
  }

  private prune(s: SourceState): void {
    if (s.lastArrival === undefined) return;
    const from = s.lastArrival - this.o.busyWindowMs;
    let drop = 0;
    while (drop < s.samples.length && (s.samples[drop]?.at ?? Infinity) <= from) drop++;
    if (drop > 0) s.samples.splice(0, drop);
  }

  private recent(s: SourceState): number {
    let n = 0;
    for (const x of s.samples) n += x.n;
    return n;
  }

  /** Fires for every busy source that has been silent for `silenceMs` by `now`. */
  check(now: number): Transition[] {
    const out: Transition[] = [];
    for (const [source, s] of this.sources) {
      if (s.active !== undefined || s.lastArrival === undefined) continue;
      if (now - s.lastArrival < this.o.silenceMs) continue;
      const count = this.recent(s);
      if (count <= this.o.busyEvents) continue;
      const fired: FiredTransition = {
        type: 'fired',
        detector: DEADMAN_DETECTOR,
        severity: 'critical',
        keyFields: SOURCE_FIELD,
        key: [source],
        at: s.lastArrival + this.o.silenceMs,
        count,
        threshold: this.o.busyEvents,
        windowMs: this.o.busyWindowMs + this.o.silenceMs,
      };
      s.active = fired;
      out.push(fired);
    }
    return out;
  }

  status(now: number): SourceStatus[] {
    return [...this.sources].map(([source, s]) => {
      const recent = this.recent(s);
      return {
        source,
        lastArrival: s.lastArrival,
        recent,
        busy: recent > this.o.busyEvents,
        silent: s.lastArrival !== undefined && now - s.lastArrival >= this.o.silenceMs,
        alerting: s.active !== undefined,
      };
    });
  }
}
