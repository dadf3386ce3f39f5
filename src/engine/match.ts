import type { Where } from '../config/detectors.js';
import type { AuditEvent } from '../events/audit-event.js';
import { equalsTest, getter } from './key.js';
import { OUTCOMES, type Outcome } from '../events/audit-event.js';

export type Predicate = (e: AuditEvent) => boolean;

const always: Predicate = () => true;

/** Compiles a `where` map into one predicate; a missing field never matches. */
export function compileWhere(where: Where): Predicate {
  const tests: Predicate[] = [];
  for (const [field, values] of where) {
    const get = getter(field);
    if (values.length === 1) {
      tests.push(equalsTest(field, values[0] as string));
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

/** Bit of an outcome in an outcome mask; lets the engine skip detectors an event cannot affect. */
export function outcomeBit(o: Outcome): number {
  switch (o) {
    case 'success':
      return 1;
    case 'error':
      return 2;
    case 'denied':
      return 4;
    case 'rate_limited':
      return 8;
  }
}

export const ALL_OUTCOMES = 15;

/** The outcomes a `where` can match: those it lists, or all when it does not test outcome. */
export function outcomeMask(where: Where): number {
  const listed = where.get('outcome');
  if (listed === undefined) return ALL_OUTCOMES;
  let m = 0;
  for (const o of OUTCOMES) if (listed.includes(o)) m |= outcomeBit(o);
  return m;
}
