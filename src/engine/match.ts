import type { Where } from '../config/detectors.js';
import type { AuditEvent } from '../events/audit-event.js';
import { getter } from './key.js';

export type Predicate = (e: AuditEvent) => boolean;

const always: Predicate = () => true;

/** Compiles a `where` map into one predicate; a missing field never matches. */
export function compileWhere(where: Where): Predicate {
  const tests: Predicate[] = [];
  for (const [field, values] of where) {
    const get = getter(field);
    if (values.length === 1) {
      const v = values[0];
      tests.push((e) => get(e) === v);
    } else {
      const set = new Set(values);
      tests.push((e) => {
        const x = get(e);
        return x !== undefined && set.has(x);
      });
    }
  }
  if (tests.length === 0) return always;
  if (tests.length === 1) return tests[0] as Predicate;
  return (e) => {
    for (const t of tests) if (!t(e)) return false;
    return true;
  };
}
