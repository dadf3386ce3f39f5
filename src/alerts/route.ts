import type { RouteDef } from '../config/routes.js';
import type { Transition } from '../engine/transition.js';

export function routeMatches(r: RouteDef, t: Transition): boolean {
  return (r.detectors === undefined || r.detectors.has(t.detector)) && (r.severities === undefined || r.severities.has(t.severity));
}

/** The routes a transition takes: the first match, and the ones after it while a match says `continue`. */
export function matchRoutes(routes: readonly RouteDef[], t: Transition): RouteDef[] {
  const out: RouteDef[] = [];
  for (const r of routes) {
    if (!routeMatches(r, t)) continue;
    out.push(r);
    if (!r.continue) break;
  }
  return out;
}
