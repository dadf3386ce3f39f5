// The labels of a transition that routes, groups and silences look at: its detector, its
// severity and its key fields. Key values are attacker-controlled: they are only compared and
// used as Map keys here, never interpreted.
import type { GroupLabel } from '../config/routes.js';
import type { Transition } from '../engine/transition.js';

/** Value of a label for a transition; undefined when the detector does not key by that field or the event lacked it. */
export function labelValue(t: Transition, label: GroupLabel): string | undefined {
  if (label === 'detector') return t.detector;
  if (label === 'severity') return t.severity;
  const i = t.keyFields.indexOf(label);
  if (i < 0) return undefined;
  return t.key[i] ?? undefined;
}

/** Length-prefixed encoding of label values: no value, whatever it holds, collides with another tuple. */
export function encodeLabels(values: readonly (string | undefined)[]): string {
  return values.map((v) => (v === undefined ? '~' : `${v.length}:${v}`)).join('');
}
