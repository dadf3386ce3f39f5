import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { detectorFromYaml, loadDetectors } from '../../src/config/detectors.js';
import { isAuditwatchError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(isAuditwatchError(err, 'CONFIG_INVALID') || isAuditwatchError(err, 'CONFIG_NOT_FOUND'), String(err));
    return err.message;
  }
  assert.fail('expected a config error');
}

describe('detector files', () => {
  it('loads the shipped detectors', () => {
    const defs = loadDetectors('detectors');
    assert.deepEqual(defs.map((d) => d.id).sort(), ['denial-spike', 'error-streak', 'rate-limit-burst', 'unscrubbed-event']);
    const burst = defs.find((d) => d.id === 'rate-limit-burst');
    assert.equal(burst?.kind, 'threshold');
    if (burst?.kind === 'threshold') {
      assert.equal(burst.windowMs, 3_600_000);
      assert.equal(burst.threshold, 100);
      assert.deepEqual([...burst.where], [['outcome', ['rate_limited']]]);
    }
  });

  it('names the file, line and column of a bad value', () => {
    const text = 'id: x\nkind: threshold\nwhere: { outcome: denied }\ngroupBy: [callerId]\nwindow: 1.5h\nthreshold: 3\nseverity: warning\n';
    const msg = errorOf(() => detectorFromYaml('detectors/x.yaml', text));
    assert.match(msg, /^detectors\/x\.yaml:5:9 window: "1\.5h" is not a duration/);
  });

  it('reports a YAML syntax error with its position', () => {
    const msg = errorOf(() => detectorFromYaml('d.yaml', 'id: x\nkind: [threshold\n'));
    assert.match(msg, /^d\.yaml:\d+:\d+ /);
  });

  const bad: [string, string, RegExp][] = [
    ['unknown kind', 'id: x\nkind: magic\n', /kind/],
    ['groupBy without callerId', 'id: x\nkind: threshold\ngroupBy: [tool]\nwindow: 1h\nthreshold: 1\nseverity: info\n', /groupBy must include callerId/],
    ['unknown field in where', 'id: x\nkind: threshold\nwhere: { color: red }\ngroupBy: [callerId]\nwindow: 1h\nthreshold: 1\nseverity: info\n', /where/],
    ['negative threshold', 'id: x\nkind: threshold\ngroupBy: [callerId]\nwindow: 1h\nthreshold: -1\nseverity: info\n', /threshold/],
    ['bad id', 'id: Bad_Id\nkind: threshold\ngroupBy: [callerId]\nwindow: 1h\nthreshold: 1\nseverity: info\n', /id must be lowercase/],
    ['a typo in a key', 'id: x\nkind: threshold\ngroupBy: [callerId]\nwindow: 1h\nthreshhold: 1\nseverity: info\n', /threshhold|threshold/],
    ['unknown severity', 'id: x\nkind: threshold\ngroupBy: [callerId]\nwindow: 1h\nthreshold: 1\nseverity: urgent\n', /severity/],
    ['streak without resetWhere', 'id: x\nkind: streak\nwhere: { outcome: error }\ngroupBy: [callerId]\nthreshold: 1\nseverity: info\n', /resetWhere/],
  ];
  for (const [name, text, re] of bad) {
    it(`rejects ${name}`, () => assert.match(errorOf(() => detectorFromYaml('f.yaml', text)), re));
  }

  it('rejects duplicate ids across files and reports every broken file at once', () => {
    const t = tempDir();
    const ok = 'id: same\nkind: threshold\ngroupBy: [callerId]\nwindow: 1h\nthreshold: 1\nseverity: info\n';
    t.write('a.yaml', ok);
    t.write('b.yaml', ok);
    t.write('c.yaml', 'id: c\nkind: threshold\ngroupBy: [callerId]\nwindow: soon\nthreshold: 1\nseverity: info\n');
    const msg = errorOf(() => loadDetectors(t.dir));
    assert.match(msg, /b\.yaml:1:1 id: duplicate detector id "same"/);
    assert.match(msg, /c\.yaml:4:9 window:/);
  });

  it('fails clearly on a missing or empty directory', () => {
    assert.match(errorOf(() => loadDetectors('/nonexistent/detectors')), /cannot read detectors directory/);
    assert.match(errorOf(() => loadDetectors(tempDir().dir)), /no detector files/);
  });
});
