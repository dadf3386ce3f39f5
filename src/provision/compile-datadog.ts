// Detector → Datadog log monitor (`type: "log alert"`), pure. The monitor counts the detector's
// `where` per group-by facets over last(window) and alerts above the threshold, so the same YAML
// tunes the engine and the monitor. Identity is carried by tags, never by the name.
import type { DetectorDef } from '../config/detectors.js';
import type { DatadogSettings } from '../config/sections/provision.js';
import { revisionOf } from './canonical.js';
import { logAlertQuery, logSearch, logWindow, facetName } from './datadog-query.js';
import { asWindowedCount, fileName, optionalGroupFields, summary, type WindowedCount } from './detector-view.js';
import { emptyResult, type ApproximationCode, type CompileResult, type DesiredObject, type Exactness, type JsonObject } from './model.js';

export const MANAGED_TAG = 'managed_by:auditwatch';
export const DETECTOR_TAG = 'auditwatch_detector:';
export const REVISION_TAG = 'auditwatch_rev:';

/** Datadog priorities P1..P5 (1 highest) by detector severity. */
const PRIORITY = { critical: 1, warning: 3, info: 5 } as const;

export interface DatadogCompileInput {
  readonly defs: readonly DetectorDef[];
  readonly settings: DatadogSettings;
  readonly streakWindowMs: number;
  /** Datadog notification handles for a detector (from alerts/routes.yaml and provision.datadog.handles). */
  readonly handles: (detector: string, severity: DetectorDef['severity']) => readonly string[];
}

/** A tag the plan treats as auditwatch's: it is compared, and drift in it is reported. */
export function isOwnedTag(tag: string, settings: DatadogSettings): boolean {
  return tag === MANAGED_TAG || tag.startsWith('auditwatch_') || settings.tags.includes(tag);
}

function exactness(c: WindowedCount, own: readonly ApproximationCode[]): Exactness {
  const reasons = [...c.inherent, ...own];
  const detail = [`counts ${summary(c)}`];
  if (c.groupBy.length > 1) detail.push('Datadog multi-alert log monitors evaluate a bounded number of groups (top values per facet, fewer per facet as facets are added)');
  return { kind: 'approximation', reasons, detail };
}

/** Descriptions are trusted config, but a stray {{ would be read as a Datadog template variable. */
function plain(s: string): string {
  return s.replace(/\{\{|\}\}/g, (m) => m.split('').join(' '));
}

function message(c: WindowedCount, facets: readonly string[], window: string, handles: readonly string[]): string {
  const key = c.groupBy.map((f, i) => `${f}={{[${facets[i] ?? f}].name}}`).join(' ');
  const what = plain(c.description ?? `auditwatch detector ${c.id}`);
  const lines = [
    `{{#is_alert}}${what}: more than ${c.threshold} matching events in the last ${window} for ${key} ({{value}} counted).{{/is_alert}}`,
    `{{#is_recovery}}${what}: back to at most ${c.threshold} in the last ${window} for ${key}.{{/is_recovery}}`,
    '',
    `Detector \`${c.id}\` (${c.kind}, severity ${c.severity}) from ${fileName(c.file)}, provisioned by auditwatch: edit the detector file, not this monitor.`,
  ];
  if (c.kind === 'streak') lines.push(`Approximates a streak of more than ${c.threshold} consecutive matching events by a count over ${window}.`);
  if (c.runbook !== undefined) lines.push(`Runbook: ${c.runbook}`);
  if (handles.length > 0) lines.push('', handles.join(' '));
  return lines.join('\n');
}

export function compileMonitor(c: WindowedCount, input: DatadogCompileInput): DesiredObject | { error: string } {
  const w = logWindow(c.windowMs);
  if ('error' in w) return { error: c.kind === 'streak' ? `provision.streakWindow: ${w.error}` : w.error };
  const s = input.settings;
  const facets = c.groupBy.map((f) => facetName(s.facetPrefix, f));
  const query = logAlertQuery({
    search: logSearch(c.where, { facetPrefix: s.facetPrefix, source: s.source, service: s.service }),
    index: s.index,
    facets,
    window: w.window,
    threshold: c.threshold,
  });
  const own: ApproximationCode[] = ['scheduled-evaluation'];
  if (c.groupBy.length > 1) own.push('top-values');
  if (optionalGroupFields(c).length > 0) own.push('missing-field-group');
  const baseTags = [MANAGED_TAG, `${DETECTOR_TAG}${c.id}`, ...s.tags];
  const body = {
    type: 'log alert',
    name: `[auditwatch] ${c.id}${c.description === undefined ? '' : `: ${plain(c.description)}`}`,
    query,
    message: message(c, facets, w.window, input.handles(c.id, c.severity)),
    priority: PRIORITY[c.severity],
    options: { thresholds: { critical: c.threshold }, notify_no_data: false, include_tags: true, enable_logs_sample: true },
  };
  const revision = revisionOf({ ...body, tags: [...new Set(baseTags)].sort() });
  const owned: JsonObject = { ...body, tags: [...new Set([...baseTags, `${REVISION_TAG}${revision}`])].sort() };
  return { target: 'datadog', kind: 'monitor', key: c.id, detector: c.id, title: body.name, owned, revision, exactness: exactness(c, own) };
}

/** One log monitor per provisionable detector; Cloud SIEM rules come from compile-siem.ts. */
export function compileDatadogMonitors(input: DatadogCompileInput): CompileResult {
  const out = emptyResult();
  for (const def of input.defs) {
    const c = asWindowedCount(def, input.streakWindowMs);
    if ('notProvisionable' in c) {
      out.skipped.push({ target: 'datadog', kind: 'monitor', detector: def.id, reason: c.notProvisionable });
      continue;
    }
    const m = compileMonitor(c, input);
    if ('error' in m) out.problems.push({ target: 'datadog', kind: 'monitor', detector: def.id, file: def.file, message: m.error });
    else out.objects.push(m);
  }
  return out;
}
