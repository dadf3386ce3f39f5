import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Metrics, METRIC_PREFIX, OTHER, partitionLabel, REDACTION_WHERE_LABELS, REJECTION_REASON_LABELS, reasonLabel, ruleLabel, whereLabel } from '../../src/ops/metrics.js';
import { SINK_KINDS } from '../../src/sinks/sink.js';
import { REDACTION_RULE_NAMES, SECRET_RULES } from '../../src/text/secrets.js';

const SAMPLE = fileURLToPath(new URL('../../samples/mcp-audit-sample.jsonl', import.meta.url));

/** Every string of the bundled sample's events: callerIds, tools, sessions, error types... */
function eventStrings(): string[] {
  const out = new Set<string>();
  for (const line of readFileSync(SAMPLE, 'utf8').split('\n')) {
    try {
      const e = JSON.parse(line) as Record<string, unknown>;
      for (const v of Object.values(e)) if (typeof v === 'string' && v.length >= 3) out.add(v);
    } catch {
      // malformed sample lines are part of the sample
    }
  }
  return [...out];
}

const HOSTILE = ['__proto__', 'constructor', '<!channel>', 'a"b', 'x\ny', 'é'.repeat(300), 'bad-field:../../etc', 'missing-field:evil', 'bad-field:callerId\n'];

/** Label values of the exposition, by label name. */
function labelValues(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    for (const m of line.matchAll(re)) {
      const k = m[1] ?? '';
      if (!out.has(k)) out.set(k, new Set());
      out.get(k)?.add(m[2] ?? '');
    }
  }
  return out;
}

describe('metrics', () => {
  it('declares every metric under the auditwatch_ prefix in its own registry', async () => {
    const m = new Metrics();
    const names = (await m.registry.getMetricsAsJSON()).map((x) => x.name);
    assert.ok(names.length > 20);
    for (const n of names) assert.ok(n.startsWith(METRIC_PREFIX), n);
    for (const want of ['events_read_total', 'events_accepted_total', 'events_rejected_total', 'events_late_total', 'partition_lag', 'watermark_delay_seconds', 'alerts_fired_total', 'alerts_resolved_total', 'notifications_sent_total', 'notifications_failed_total', 'notifications_retried_total', 'notifications_silenced_total', 'outbox_depth', 'outbox_oldest_age_seconds', 'checkpoint_duration_seconds', 'checkpoint_size_bytes', 'redactions_total', 'provisioning_drift', 'dead_letters_total', 'job_runs_total', 'source_silent', 'process_resident_memory_bytes']) {
      assert.ok(names.includes(METRIC_PREFIX + want), want);
    }
  });

  it('records through the typed functions', async () => {
    const m = new Metrics({ processMetrics: false });
    m.declare({ detectors: ['rate-limit-burst'], sinks: ['slack'] });
    m.eventsRead(3);
    m.eventRejected('bad-field:outcome');
    m.eventRejected('not-json', 2);
    m.alertFired('rate-limit-burst');
    m.notificationsFailed('slack', 'gave_up');
    m.sampleOutbox(() => [['slack', { depth: 4, oldestAgeSeconds: 12.5 }]]);
    m.checkpoint(30, 2048);
    m.partitionLag(3, 17);
    m.redacted('github-token', 'slack', 2);
    const text = await m.render();
    assert.match(text, /^auditwatch_events_read_total 3$/m);
    assert.match(text, /^auditwatch_events_rejected_total\{reason="bad-field:outcome"\} 1$/m);
    assert.match(text, /^auditwatch_events_rejected_total\{reason="not-json"\} 2$/m);
    assert.match(text, /^auditwatch_alerts_fired_total\{detector="rate-limit-burst"\} 1$/m);
    assert.match(text, /^auditwatch_notifications_failed_total\{sink="slack",kind="gave_up"\} 1$/m);
    assert.match(text, /^auditwatch_outbox_oldest_age_seconds\{sink="slack"\} 12.5$/m);
    assert.match(text, /^auditwatch_checkpoint_size_bytes_count 1$/m);
    assert.match(text, /^auditwatch_partition_lag\{partition="3"\} 17$/m);
    assert.match(text, /^auditwatch_redactions_total\{rule="github-token",where="slack"\} 2$/m);
    m.partitionRevoked(3);
    assert.doesNotMatch(await m.render(), /auditwatch_partition_lag\{partition="3"\}/);
  });

  it('samples the outbox gauges when they are collected, and only then', async () => {
    const m = new Metrics({ processMetrics: false });
    m.declare({ sinks: ['slack', 'pagerduty'] });
    assert.doesNotMatch(await m.render(), /^auditwatch_outbox_depth\{/m, 'nothing before a sampler is set');
    let backlog: [string, { depth: number; oldestAgeSeconds: number | undefined }][] = [
      ['slack', { depth: 3, oldestAgeSeconds: 42 }],
      ['pagerduty', { depth: 0, oldestAgeSeconds: undefined }],
    ];
    let calls = 0;
    m.sampleOutbox(() => {
      calls++;
      return backlog;
    });
    assert.equal(calls, 0);
    let text = await m.registry.metrics(); // a plain registry scrape, without the onScrape hooks
    assert.match(text, /^auditwatch_outbox_depth\{sink="slack"\} 3$/m);
    assert.match(text, /^auditwatch_outbox_oldest_age_seconds\{sink="slack"\} 42$/m);
    assert.match(text, /^auditwatch_outbox_depth\{sink="pagerduty"\} 0$/m);
    assert.match(text, /^auditwatch_outbox_oldest_age_seconds\{sink="pagerduty"\} 0$/m);
    backlog = [['slack', { depth: 1, oldestAgeSeconds: 5 }], ['undeclared-a', { depth: 2, oldestAgeSeconds: 7 }], ['undeclared-b', { depth: 4, oldestAgeSeconds: 3 }]];
    text = await m.render();
    assert.match(text, /^auditwatch_outbox_depth\{sink="slack"\} 1$/m);
    assert.match(text, /^auditwatch_outbox_depth\{sink="other"\} 6$/m, 'undeclared sinks add up under other');
    assert.match(text, /^auditwatch_outbox_oldest_age_seconds\{sink="other"\} 7$/m, 'and keep the oldest age');
    assert.doesNotMatch(text, /sink="pagerduty"/, 'a sink no longer sampled is no longer exported');
  });

  it('runs the scrape hooks before rendering', async () => {
    const m = new Metrics({ processMetrics: false });
    let n = 0;
    m.onScrape(() => m.eventsRead(++n));
    await m.render();
    assert.match(await m.render(), /^auditwatch_events_read_total 3$/m);
  });

  it('maps reasons, rules and partitions to closed sets', () => {
    for (const r of REJECTION_REASON_LABELS) assert.equal(reasonLabel(r), r);
    assert.equal(reasonLabel('missing-field:callerId'), 'missing-field:callerId');
    assert.equal(reasonLabel('bad-field:timestamp'), 'bad-field:timestamp');
    assert.equal(reasonLabel('bad-field:attacker-chosen'), 'bad-field');
    assert.equal(reasonLabel('not-json:extra'), 'not-json');
    assert.equal(reasonLabel('something-new'), OTHER);
    for (const r of SECRET_RULES) assert.equal(ruleLabel(r.name), r.name);
    assert.equal(ruleLabel('sensitive-field'), 'sensitive-field');
    assert.equal(ruleLabel('c-1'), OTHER);
    for (const kind of Object.keys(SINK_KINDS)) assert.equal(whereLabel(kind), kind, 'every sink kind is a where');
    for (const w of ['notification', 'log', 'sink']) assert.equal(whereLabel(w), w);
    assert.equal(whereLabel('my-slack-sink'), OTHER);
    assert.equal(partitionLabel(0), '0');
    assert.equal(partitionLabel(-1), OTHER);
    assert.equal(partitionLabel(1.5), OTHER);
    assert.equal(partitionLabel(1e9), OTHER);
  });

  it('never turns an event string into a label value, whatever the callers pass', async () => {
    const m = new Metrics({ processMetrics: false });
    const detectors = ['rate-limit-burst', 'error-streak', 'denial-spike'];
    const sinks = ['slack', 'pagerduty', 'console'];
    m.declare({ detectors, sinks, sources: ['file'], targets: ['datadog'], jobs: ['deadman'] });
    const strings = [...eventStrings(), ...HOSTILE];
    assert.ok(strings.length > 100, 'the sample has event strings to try');
    for (const s of strings) {
      m.eventRejected(s);
      m.eventRejected(`missing-field:${s}`);
      m.eventRejected(`bad-field:${s}`);
      m.alertFired(s);
      m.alertResolved(s);
      m.notificationsSent(s);
      m.notificationsFailed(s, 'dropped');
      m.notificationsRetried(s);
      m.notificationsSilenced(s);
      m.redacted(s, s);
      m.redacted('github-token', s);
      m.redacted(s, 'slack');
      m.provisioningDrift(s, 1, 0);
      m.jobRun(s, 'ok', 1);
      m.sourceLastEvent(s, 0);
      m.sourceSilent(s, true);
    }
    m.sampleOutbox(() => strings.map((s) => [s, { depth: 1, oldestAgeSeconds: 1 }] as const));
    const values = labelValues(await m.render());
    const allowed = new Set<string>([OTHER, ...REJECTION_REASON_LABELS, 'audit-stream-silent', ...detectors, ...sinks, 'file', 'datadog', 'deadman', 'dropped', 'gave_up', 'ok', ...REDACTION_RULE_NAMES, ...REDACTION_WHERE_LABELS]);
    const eventSet = new Set(strings);
    for (const [label, vals] of values) {
      if (label === 'le' || label === 'quantile') continue; // histogram buckets
      for (const v of vals) {
        assert.ok(allowed.has(v) || /^(missing|bad)-field:(callerId|tool|outcome|timestamp|sessionId|argsHash|argsSize|errorType|durationMs|serverVersion)$/.test(v), `label ${label}="${v}" is not from a closed set`);
        assert.ok(!eventSet.has(v) || allowed.has(v), `label ${label}="${v}" is an event string`);
      }
    }
    // The callerIds of the sample, e.g. "agent-…", appear nowhere in the exposition.
    const text = await m.render();
    for (const s of eventStrings()) if (!['success', 'error', 'denied', 'rate_limited'].includes(s) && !/^\d/.test(s)) assert.ok(!text.includes(`"${s}"`), `event string ${s} became a label`);
  });
});
