// Detector → Cloud SIEM threshold rule (v2 SecurityMonitoringApi), pure, only for the detectors
// listed in provision.datadog.siem. Same count as the log monitor; Cloud SIEM accepts a fixed set
// of evaluation windows, so the detector's window is rounded up to the next one and the rule says so.
import { formatDuration } from '../config/duration.js';
import { revisionOf } from './canonical.js';
import { DETECTOR_TAG, MANAGED_TAG, REVISION_TAG, type DatadogCompileInput } from './compile-datadog.js';
import { facetName, logSearch } from './datadog-query.js';
import { asWindowedCount, fileName, optionalGroupFields, summary, type WindowedCount } from './detector-view.js';
import { emptyResult, type ApproximationCode, type CompileResult, type DesiredObject, type JsonObject } from './model.js';

/** Evaluation windows Cloud SIEM accepts, in seconds (SecurityMonitoringRuleEvaluationWindow). */
export const SIEM_WINDOWS_S = [60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400] as const;
const SIEM_STATUS = { info: 'info', warning: 'medium', critical: 'critical' } as const;
const MAX_SIGNAL_S = 86400;

function compileRule(c: WindowedCount, input: DatadogCompileInput): DesiredObject | { error: string } {
  const wanted = c.windowMs / 1000;
  const window = SIEM_WINDOWS_S.find((w) => w >= wanted);
  if (window === undefined) return { error: `window ${formatDuration(c.windowMs)} is longer than the 1d Cloud SIEM evaluates` };
  const s = input.settings;
  const own: ApproximationCode[] = ['scheduled-evaluation'];
  if (window !== wanted) own.push('window-rounded');
  if (optionalGroupFields(c).length > 0) own.push('missing-field-group');
  const handles = input.handles(c.id, c.severity);
  const baseTags = [MANAGED_TAG, `${DETECTOR_TAG}${c.id}`, ...s.tags];
  const body = {
    name: `[auditwatch] ${c.id}`,
    type: 'log_detection',
    isEnabled: true,
    message: [
      `${c.description ?? `auditwatch detector ${c.id}`}: ${summary(c)}.`,
      `Detector \`${c.id}\` from ${fileName(c.file)}, provisioned by auditwatch: edit the detector file, not this rule.`,
      ...(c.runbook === undefined ? [] : [`Runbook: ${c.runbook}`]),
      ...(handles.length > 0 ? ['', handles.join(' ')] : []),
    ].join('\n'),
    queries: [{ name: 'a', query: logSearch(c.where, { facetPrefix: s.facetPrefix, source: s.source, service: s.service }), aggregation: 'count', groupByFields: c.groupBy.map((f) => facetName(s.facetPrefix, f)), distinctFields: [] }],
    cases: [{ name: `more than ${c.threshold}`, status: SIEM_STATUS[c.severity], condition: `a > ${c.threshold}`, notifications: [] }],
    options: { detectionMethod: 'threshold', evaluationWindow: window, keepAlive: window, maxSignalDuration: MAX_SIGNAL_S },
  };
  const revision = revisionOf({ ...body, tags: [...new Set(baseTags)].sort() });
  const owned: JsonObject = { ...body, tags: [...new Set([...baseTags, `${REVISION_TAG}${revision}`])].sort() };
  const detail = [`counts ${summary(c)}`];
  if (window !== wanted) detail.push(`evaluation window ${formatDuration(window * 1000)} instead of ${formatDuration(c.windowMs)}`);
  return {
    target: 'datadog',
    kind: 'siem-rule',
    key: c.id,
    detector: c.id,
    title: body.name,
    owned,
    revision,
    exactness: { kind: 'approximation', reasons: [...c.inherent, ...own], detail },
  };
}

export function compileSiemRules(input: DatadogCompileInput): CompileResult {
  const out = emptyResult();
  const wanted = new Set(input.settings.siem);
  for (const id of wanted) {
    if (!input.defs.some((d) => d.id === id)) {
      out.problems.push({ target: 'datadog', kind: 'siem-rule', detector: id, file: 'auditwatch.yaml', message: `provision.datadog.siem names detector "${id}", which does not exist` });
    }
  }
  for (const def of input.defs) {
    if (!wanted.has(def.id)) continue;
    const c = asWindowedCount(def, input.streakWindowMs);
    if ('notProvisionable' in c) {
      out.skipped.push({ target: 'datadog', kind: 'siem-rule', detector: def.id, reason: c.notProvisionable });
      continue;
    }
    const r = compileRule(c, input);
    if ('error' in r) out.problems.push({ target: 'datadog', kind: 'siem-rule', detector: def.id, file: def.file, message: r.error });
    else out.objects.push(r);
  }
  return out;
}
