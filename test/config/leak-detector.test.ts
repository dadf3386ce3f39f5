import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LEAK_DENY_FIELDS, detectorFromYaml, loadDetectors } from '../../src/config/detectors.js';
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

describe('leak detector files', () => {
  it('loads the shipped unscrubbed-event detector with the default deny list', () => {
    const d = loadDetectors('detectors').find((x) => x.id === 'unscrubbed-event');
    assert.equal(d?.kind, 'leak');
    if (d?.kind !== 'leak') return;
    assert.equal(d.severity, 'critical');
    assert.deepEqual(d.groupBy, ['callerId', 'serverVersion']);
    assert.equal(d.quietMs, 3_600_000);
    assert.deepEqual([...d.denyFields], DEFAULT_LEAK_DENY_FIELDS.map((f) => f.toLowerCase()));
    assert.equal(d.checkValues, true);
    assert.equal(d.where.size, 0);
  });

  it('accepts a custom deny list, allowed paths and where; defaults severity to critical', () => {
    const d = detectorFromYaml('x.yaml', 'id: l\nkind: leak\nquiet: 10m\ndenyFields: [SSN, Token]\nallowPaths: [apiKey]\ncheckValues: false\nwhere: { outcome: denied }\ngroupBy: [callerId]\n');
    assert.equal(d.kind, 'leak');
    if (d.kind !== 'leak') return;
    assert.deepEqual([...d.denyFields], ['ssn', 'token']);
    assert.deepEqual([...d.allowPaths], ['apiKey']);
    assert.equal(d.checkValues, false);
    assert.equal(d.severity, 'critical');
    assert.deepEqual([...d.where], [['outcome', ['denied']]]);
  });

  it('reports a missing quiet period and a groupBy without callerId with their position', () => {
    assert.match(errorOf(() => detectorFromYaml('x.yaml', 'id: l\nkind: leak\n')), /x\.yaml:1:1 quiet/);
    assert.match(errorOf(() => detectorFromYaml('x.yaml', 'id: l\nkind: leak\nquiet: 1h\ngroupBy: [tool]\n')), /x\.yaml:4:\d+ groupBy: groupBy must include callerId/);
    assert.match(errorOf(() => detectorFromYaml('x.yaml', 'id: l\nkind: leak\nquiet: soon\n')), /x\.yaml:3:\d+ quiet/);
  });
});
