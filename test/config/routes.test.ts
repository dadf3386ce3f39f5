import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DEADMAN_DETECTOR } from '../../src/app/deadman.js';
import { DRIFT_DETECTOR } from '../../src/app/drift-job.js';
import { loadDetectors } from '../../src/config/detectors.js';
import { BUILTIN_DETECTORS, checkRouteDetectors, loadRoutes, resolveRouteSinks, routesFromYaml } from '../../src/config/routes.js';
import { isAuditwatchError } from '../../src/errors.js';

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(isAuditwatchError(err, 'CONFIG_INVALID'), String(err));
    return err.message;
  }
  assert.fail('expected a config error');
}

describe('alerts/routes.yaml', () => {
  it('ships warning → slack, critical → slack + pagerduty, with Alertmanager-style defaults', () => {
    const routes = loadRoutes('alerts/routes.yaml');
    assert.deepEqual(routes.map((r) => [r.name, [...(r.severities ?? [])], r.sinks]), [
      ['critical', ['critical'], ['slack', 'pagerduty']],
      ['everything-else', [], ['slack']],
    ]);
    for (const r of routes) {
      assert.deepEqual(r.grouping, { groupBy: ['detector'], groupWaitMs: 10_000, groupIntervalMs: 60_000, repeatIntervalMs: 4 * 3_600_000, sendResolved: true });
    }
  });

  it('lets a route override the defaults and match on detector', () => {
    const [r] = routesFromYaml('r.yaml', 'defaults: { groupWait: 0s }\nroutes:\n  - match: { detector: [a, b] }\n    sinks: [slack]\n    groupBy: [detector, callerId]\n    continue: true\n');
    assert.equal(r?.name, 'route-1');
    assert.deepEqual([...(r?.detectors ?? [])], ['a', 'b']);
    assert.equal(r?.continue, true);
    assert.deepEqual(r?.grouping.groupBy, ['detector', 'callerId']);
    assert.equal(r?.grouping.groupWaitMs, 0);
  });

  it('names the file, line and column of a bad value', () => {
    assert.match(errorOf(() => routesFromYaml('r.yaml', 'routes:\n  - sinks: [slack]\n    groupInterval: soon\n')), /^r\.yaml:3:20 routes\.0\.groupInterval: "soon" is not a duration/);
    assert.match(errorOf(() => routesFromYaml('r.yaml', 'routes:\n  - sinks: [slack]\n    groupBy: [host]\n')), /^r\.yaml:3:15 routes\.0\.groupBy\.0: /);
    assert.match(errorOf(() => routesFromYaml('r.yaml', 'routes:\n  - sinks: [slack]\n    sink: [x]\n')), /^r\.yaml:2:5 routes\.0: Unrecognized key/);
    assert.match(errorOf(() => routesFromYaml('r.yaml', 'routes:\n  - name: a\n    sinks: [x]\n  - name: a\n    sinks: [y]\n')), /^r\.yaml:4:11 routes\.1\.name: route name "a" is used twice/);
  });

  it('rejects a detector that does not exist, at its position', () => {
    const routes = routesFromYaml('r.yaml', 'routes:\n  - match:\n      detector: rate-limit-brust\n    sinks: [slack]\n');
    assert.match(errorOf(() => checkRouteDetectors(routes, new Set(['rate-limit-burst']))), /^r\.yaml:3:17 routes\.0\.match\.detector: no detector "rate-limit-brust"/);
  });

  it('accepts the built-in detectors (dead-man switch, drift check), and only those, in a route', () => {
    assert.deepEqual([...BUILTIN_DETECTORS].sort(), [DEADMAN_DETECTOR, DRIFT_DETECTOR].sort(), 'the list names the detectors the app really raises');
    const shipped = new Set(loadDetectors('detectors').map((d) => d.id));
    for (const id of BUILTIN_DETECTORS) assert.ok(!shipped.has(id), `${id} is not also a detector file`);
    const routes = routesFromYaml('r.yaml', `routes:\n  - match: { detector: [${DEADMAN_DETECTOR}, ${DRIFT_DETECTOR}] }\n    sinks: [pagerduty]\n  - sinks: [slack]\n`);
    assert.doesNotThrow(() => checkRouteDetectors(routes, shipped));
    assert.doesNotThrow(() => checkRouteDetectors(routes, new Set()), 'built in, whatever the detectors directory holds');
    const typo = routesFromYaml('r.yaml', 'routes:\n  - match: { detector: audit-stream-silnet }\n    sinks: [slack]\n');
    const message = errorOf(() => checkRouteDetectors(typo, shipped));
    assert.match(message, /^r\.yaml:2:24 routes\.0\.match\.detector: no detector "audit-stream-silnet" \(known: .*audit-stream-silent.*\)/);
    assert.match(message, /provisioning-drift/);
  });

  it('shows a working route for audit-stream-silent in the comments of the shipped file', () => {
    const text = readFileSync('alerts/routes.yaml', 'utf8');
    const example = [...text.matchAll(/^# {3}(- name: audit-pipeline\n(?:# {5}.*\n)+)/gm)].map((m) => m[1]?.replace(/^# {3}/gm, '  ') ?? '');
    assert.equal(example.length, 1, 'the commented example is there');
    const routes = routesFromYaml('example.yaml', `routes:\n  ${example[0] ?? ''}  - sinks: [slack]\n`);
    assert.deepEqual([...(routes[0]?.detectors ?? [])], [DEADMAN_DETECTOR]);
    assert.equal(routes[0]?.continue, true);
    assert.equal(routes[0]?.grouping.groupWaitMs, 0);
    assert.doesNotThrow(() => checkRouteDetectors(routes, new Set(loadDetectors('detectors').map((d) => d.id))));
  });

  it('skips well-known sinks that are not configured, rejects unknown ones, falls back to the console', () => {
    const routes = routesFromYaml('r.yaml', 'routes:\n  - match: { severity: critical }\n    sinks: [slack, pagerduty]\n  - sinks: [slack]\n');
    const onlySlack = resolveRouteSinks(routes, new Set(['slack', 'console']), new Set(['pagerduty']), 'console');
    assert.deepEqual(onlySlack.routes.map((r) => r.sinks), [['slack'], ['slack']]);
    assert.deepEqual([...onlySlack.skipped], ['pagerduty']);
    const nothing = resolveRouteSinks(routes, new Set(['console']), new Set(['slack', 'pagerduty']), 'console');
    assert.deepEqual(nothing.routes.map((r) => r.sinks), [['console'], ['console']]);
    const typo = routesFromYaml('r.yaml', 'routes:\n  - sinks: [slak]\n');
    assert.match(errorOf(() => resolveRouteSinks(typo, new Set(['slack', 'console']), new Set(), 'console')), /^r\.yaml:2:13 routes\.0\.sinks\.0: no sink named "slak" \(configured: console, slack\)/);
  });
});
