import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SilenceSet } from '../../src/alerts/silence.js';
import { DeadmanSwitch } from '../../src/app/deadman.js';
import { BUILTIN_DETECTORS } from '../../src/config/routes.js';
import { loadSilences, silencesFromYaml } from '../../src/config/silences.js';
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

const ok = `silences:
  - id: a1
    matchers: { detector: rate-limit-burst, callerId: [bot-1, bot-2] }
    startsAt: 2026-03-05T10:00:00Z
    endsAt: 2026-03-05T12:00:00+01:00
    createdBy: alice
    comment: load test
`;

describe('alerts/silences.yaml', () => {
  it('loads the shipped (empty) file and a missing one as no silences', () => {
    assert.deepEqual(loadSilences('alerts/silences.yaml'), []);
    assert.deepEqual(loadSilences('/nonexistent/silences.yaml'), []);
  });

  it('reads matchers, times with zones, author and comment', () => {
    const [s] = silencesFromYaml('s.yaml', ok);
    assert.equal(s?.id, 'a1');
    assert.deepEqual([...(s?.matchers ?? [])].map(([l, v]) => [l, [...v]]), [['detector', ['rate-limit-burst']], ['callerId', ['bot-1', 'bot-2']]]);
    assert.equal(s?.startsAt, Date.UTC(2026, 2, 5, 10));
    assert.equal(s?.endsAt, Date.UTC(2026, 2, 5, 11));
  });

  it('silences a built-in detector: the audit-stream-silent alert of the dead-man switch', () => {
    const text = `silences:\n  - id: maintenance\n    matchers: { detector: [${BUILTIN_DETECTORS.join(', ')}] }\n    startsAt: 2026-03-05T10:00:00Z\n    endsAt: 2026-03-05T12:00:00Z\n    createdBy: alice\n    comment: shipper maintenance\n`;
    const defs = silencesFromYaml('s.yaml', text);
    assert.deepEqual([...(defs[0]?.matchers.get('detector') ?? [])], [...BUILTIN_DETECTORS]);
    // A real dead-man transition: busy source, then silent for 15 minutes.
    const dm = new DeadmanSwitch({ silenceMs: 15 * 60_000, busyWindowMs: 5 * 60_000, busyEvents: 10 });
    const t0 = Date.UTC(2026, 2, 5, 10, 30);
    dm.watch('file');
    dm.observe('file', 0, t0 - 60_000);
    dm.observe('file', 500, t0);
    const fired = [...dm.observe('file', 500, t0 + 16 * 60_000), ...dm.check(t0 + 16 * 60_000)];
    const [t] = fired;
    assert.ok(t !== undefined && fired.length === 1 && t.detector === 'audit-stream-silent');
    const set = new SilenceSet(defs);
    assert.equal(set.match(t, t0 + 16 * 60_000)?.id, 'maintenance');
    assert.equal(set.match(t, Date.UTC(2026, 2, 5, 12, 1)), undefined, 'only while the silence is active');
  });

  it('names the file, line and column of what is wrong', () => {
    assert.match(errorOf(() => silencesFromYaml('s.yaml', ok.replace('12:00:00+01:00', '09:00:00Z'))), /^s\.yaml:5:13 silences\.0\.endsAt: endsAt must be after startsAt/);
    assert.match(errorOf(() => silencesFromYaml('s.yaml', ok.replace('2026-03-05T10:00:00Z', '2026-03-05 10:00'))), /^s\.yaml:4:15 silences\.0\.startsAt: "2026-03-05 10:00" is not an RFC 3339 time/);
    assert.match(errorOf(() => silencesFromYaml('s.yaml', ok.replace('{ detector: rate-limit-burst, callerId: [bot-1, bot-2] }', '{}'))), /s\.yaml:3:15 silences\.0\.matchers: a silence needs at least one matcher/);
    assert.match(errorOf(() => silencesFromYaml('s.yaml', ok + ok.replace('silences:\n', ''))), /s\.yaml:8:9 silences\.1\.id: silence id "a1" is used twice/);
  });
});
