import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { datadogSettingsSchema } from '../../src/config/sections/provision.js';
import { compileDatadogMonitors, DETECTOR_TAG, MANAGED_TAG, REVISION_TAG } from '../../src/provision/compile-datadog.js';
import { compileSiemRules } from '../../src/provision/compile-siem.js';
import type { DesiredObject } from '../../src/provision/model.js';
import { DatadogFake, parseLogAlertQuery } from '../fakes/datadog.js';
import { def, DENIAL, OPTIONAL_GROUP, STREAK, THRESHOLD, UNKNOWN_KIND } from './helpers.js';

const settings = datadogSettingsSchema.parse({ source: 'mcp-audit', tags: ['team:security'], handles: { slack: ['@slack-sec-alerts'] }, siem: ['rate-limit-burst'] });
const input = (defs = [THRESHOLD, DENIAL, STREAK, UNKNOWN_KIND]) => ({ defs, settings, streakWindowMs: 3_600_000, handles: (d: string) => (d === 'denial-spike' ? ['@slack-sec-alerts', '@pagerduty-auditwatch'] : []) });

function monitor(id: string, objects: readonly DesiredObject[]): DesiredObject {
  const m = objects.find((o) => o.key === id);
  assert.ok(m, `no monitor for ${id}`);
  return m;
}

describe('Datadog log monitor compiler', () => {
  let fake: DatadogFake;
  before(async () => {
    fake = await DatadogFake.start();
  });
  after(() => fake.close());

  it('compiles a threshold detector into the documented log alert query with the same threshold', () => {
    const { objects } = compileDatadogMonitors(input());
    const m = monitor('rate-limit-burst', objects).owned;
    assert.equal(m.type, 'log alert');
    assert.equal(m.query, 'logs("source:mcp-audit @outcome:\\"rate_limited\\"").index("*").rollup("count").by("@callerId,@tool").last("1h") > 100');
    assert.deepEqual(m.options, { thresholds: { critical: 100 }, notify_no_data: false, include_tags: true, enable_logs_sample: true });
    assert.equal(m.priority, 3);
    const parsed = parseLogAlertQuery(String(m.query));
    assert.ok(typeof parsed !== 'string');
    assert.deepEqual(parsed.by, ['@callerId', '@tool']);
    assert.equal(parsed.windowMinutes, 60);
  });

  it('tags monitors for identity (managed_by, detector, revision) and never relies on the name', () => {
    const { objects } = compileDatadogMonitors(input());
    const m = monitor('denial-spike', objects);
    const tags = m.owned.tags as string[];
    assert.ok(tags.includes(MANAGED_TAG));
    assert.ok(tags.includes(`${DETECTOR_TAG}denial-spike`));
    assert.ok(tags.includes(`${REVISION_TAG}${m.revision}`));
    assert.ok(tags.includes('team:security'));
    assert.deepEqual(tags, [...tags].sort());
  });

  it('writes group values, the runbook and the routed handles into the message', () => {
    const { objects } = compileDatadogMonitors(input());
    const burst = String(monitor('rate-limit-burst', objects).owned.message);
    assert.match(burst, /callerId=\{\{\[@callerId\]\.name\}\} tool=\{\{\[@tool\]\.name\}\}/);
    assert.match(burst, /Runbook: https:\/\/runbooks\.example\/rate-limit/);
    assert.match(burst, /from rate-limit-burst\.yaml/);
    assert.doesNotMatch(burst, /somewhere/, 'no absolute paths: the monitor must not change with the checkout folder');
    const denial = String(monitor('denial-spike', objects).owned.message);
    assert.match(denial, /\n@slack-sec-alerts @pagerduty-auditwatch$/);
  });

  it('declares every monitor an approximation, with the reasons that apply to it', () => {
    const { objects } = compileDatadogMonitors(input([THRESHOLD, DENIAL, STREAK, OPTIONAL_GROUP]));
    const reasons = (id: string) => {
      const x = monitor(id, objects).exactness;
      assert.equal(x.kind, 'approximation');
      return x.kind === 'approximation' ? x.reasons : [];
    };
    assert.deepEqual(reasons('denial-spike'), ['scheduled-evaluation']);
    assert.deepEqual(reasons('rate-limit-burst'), ['scheduled-evaluation', 'top-values']);
    assert.deepEqual(reasons('error-streak'), ['streak-as-window-count', 'reset-in-window', 'streak-longer-than-window', 'scheduled-evaluation']);
    assert.deepEqual(reasons('by-version'), ['scheduled-evaluation', 'top-values', 'missing-field-group']);
  });

  it('approximates a streak by a count of its where events over streakWindow', () => {
    const { objects } = compileDatadogMonitors(input());
    assert.equal(monitor('error-streak', objects).owned.query, 'logs("source:mcp-audit @outcome:\\"error\\"").index("*").rollup("count").by("@callerId").last("1h") > 20');
  });

  it('lists a kind it does not know as not provisionable instead of failing', () => {
    const r = compileDatadogMonitors(input());
    assert.deepEqual(r.skipped.map((s) => [s.detector, s.kind]), [['future-kind', 'monitor']]);
    assert.match(r.skipped[0]?.reason ?? '', /not provisionable/);
    assert.equal(r.problems.length, 0);
  });

  it('refuses a window Datadog cannot express, naming the detector and its file', () => {
    const long = def('id: slow-burn\nkind: threshold\nwhere: { outcome: denied }\ngroupBy: [callerId]\nwindow: 3d\nthreshold: 5\nseverity: info\n', 'detectors/slow-burn.yaml');
    const odd = def('id: odd-window\nkind: threshold\nwhere: { outcome: denied }\ngroupBy: [callerId]\nwindow: 90s\nthreshold: 5\nseverity: info\n', 'detectors/odd.yaml');
    const r = compileDatadogMonitors(input([long, odd, DENIAL]));
    assert.deepEqual(r.problems.map((p) => [p.detector, p.file]), [['slow-burn', 'detectors/slow-burn.yaml'], ['odd-window', 'detectors/odd.yaml']]);
    assert.match(r.problems[0]?.message ?? '', /3d is longer than the 48h/);
    assert.equal(r.objects.length, 1);
  });

  it('produces bodies the Datadog contract accepts (validateMonitor)', () => {
    const { objects } = compileDatadogMonitors(input([THRESHOLD, DENIAL, STREAK, OPTIONAL_GROUP]));
    for (const o of objects) assert.deepEqual(fake.validateMonitor({ ...o.owned } as Record<string, unknown>), [], o.key);
  });

  it('is deterministic: the same detectors give the same revision', () => {
    const a = compileDatadogMonitors(input()).objects.map((o) => o.revision);
    const b = compileDatadogMonitors(input()).objects.map((o) => o.revision);
    assert.deepEqual(a, b);
    const changed = compileDatadogMonitors(input([{ ...DENIAL, threshold: 31 } as typeof DENIAL])).objects[0];
    assert.notEqual(changed?.revision, monitor('denial-spike', compileDatadogMonitors(input()).objects).revision);
  });
});

describe('Cloud SIEM rule compiler', () => {
  it('compiles only the detectors listed under siem, as a threshold rule with the same count', () => {
    const r = compileSiemRules(input());
    assert.deepEqual(r.objects.map((o) => o.key), ['rate-limit-burst']);
    const o = r.objects[0]?.owned ?? {};
    assert.deepEqual(o.queries, [{ name: 'a', query: 'source:mcp-audit @outcome:"rate_limited"', aggregation: 'count', groupByFields: ['@callerId', '@tool'], distinctFields: [] }]);
    assert.deepEqual(o.cases, [{ name: 'more than 100', status: 'medium', condition: 'a > 100', notifications: [] }]);
    assert.deepEqual(o.options, { detectionMethod: 'threshold', evaluationWindow: 3600, keepAlive: 3600, maxSignalDuration: 86400 });
  });

  it('rounds a window up to the next evaluation window Cloud SIEM accepts, and declares it', () => {
    const d = def('id: rate-limit-burst\nkind: threshold\nwhere: { outcome: rate_limited }\ngroupBy: [callerId]\nwindow: 45m\nthreshold: 10\nseverity: info\n');
    const r = compileSiemRules(input([d]));
    const o = r.objects[0];
    assert.equal((o?.owned.options as { evaluationWindow: number }).evaluationWindow, 3600);
    assert.ok(o?.exactness.kind === 'approximation' && o.exactness.reasons.includes('window-rounded'));
  });

  it('reports a siem entry that names no detector', () => {
    const r = compileSiemRules({ ...input([DENIAL]), settings: { ...settings, siem: ['nope'] } });
    assert.match(r.problems[0]?.message ?? '', /names detector "nope", which does not exist/);
  });
});
