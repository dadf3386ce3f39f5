import type { Transition } from '../engine/transition.js';

/** What one detector (or one what-if variant) did over the whole input. */
export interface AlertSummary {
  /** Fired transitions. */
  readonly alerts: number;
  /** Keys that fired at least once. */
  readonly keys: number;
  /**
   * Time spent active, in ms: for each incident, resolved at − fired at; for an incident still
   * active at the end of the input, the last event time (the final maxTs) − fired at.
   */
  readonly alertMs: number;
  /** Incidents still active at the end of the input (counted up to the last event time). */
  readonly openAtEnd: number;
}

/**
 * Counts the transitions of one detector. Open incidents are kept per key (exact epoch-ms
 * arithmetic: summing raw epoch times across thousands of incidents would lose precision).
 */
export class AlertTally {
  private alerts = 0;
  private closedMs = 0;
  private readonly alerted = new Set<string>();
  private readonly open = new Map<string, number>();

  /** `keyId` is the unambiguous encoding of the transition's key (see KeyCodec.encodeValues). */
  add(t: Transition, keyId: string): void {
    if (t.type === 'fired') {
      this.alerts++;
      this.alerted.add(keyId);
      this.open.set(keyId, t.at);
      return;
    }
    this.closedMs += t.at - t.firedAt;
    this.open.delete(keyId);
  }

  summary(endTs: number): AlertSummary {
    let alertMs = this.closedMs;
    for (const firedAt of this.open.values()) alertMs += endTs - firedAt;
    return { alerts: this.alerts, keys: this.alerted.size, alertMs, openAtEnd: this.open.size };
  }
}
