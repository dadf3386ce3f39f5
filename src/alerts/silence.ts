// Silences mute notifications while they are active, as Alertmanager's do: they are evaluated
// against the wall-clock `now` at which a transition reaches the pipeline (or a reminder is
// due), not against event time.
import type { SilenceDef } from '../config/silences.js';
import type { Transition } from '../engine/transition.js';
import { labelValue } from './labels.js';

export type SilenceState = 'active' | 'pending' | 'expired';

export function silenceState(s: SilenceDef, now: number): SilenceState {
  if (now < s.startsAt) return 'pending';
  return now < s.endsAt ? 'active' : 'expired';
}

/** True when every matcher of the silence accepts the transition's label value. */
export function silenceMatches(s: SilenceDef, t: Transition): boolean {
  for (const [label, values] of s.matchers) {
    const v = labelValue(t, label);
    if (v === undefined || !values.has(v)) return false;
  }
  return true;
}

export class SilenceSet {
  private readonly defs: readonly SilenceDef[];

  constructor(defs: readonly SilenceDef[]) {
    this.defs = defs;
  }

  get size(): number {
    return this.defs.length;
  }

  /** The first silence active at `now` that matches, if any. */
  match(t: Transition, now: number): SilenceDef | undefined {
    for (const s of this.defs) {
      if (silenceState(s, now) === 'active' && silenceMatches(s, t)) return s;
    }
    return undefined;
  }
}
