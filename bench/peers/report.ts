// Scoring: alerts received → (detector, key) pairs → recall, precision and detection latency
// against the brute-force ground truth; then the markdown of bench/results/peers.md.
import type { DetectorDef } from '../../src/config/detectors.js';
import type { ReceivedAlert } from './http.js';
import { keyString, type StreamPlan, type TruthEntry } from './stream.js';

export type Tool = 'auditwatch' | 'elastalert';

export interface ToolAlert {
  readonly detector: string;
  readonly key: string;
  readonly arrivedAt: number;
}

function record(x: unknown): Record<string, unknown> | undefined {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : undefined;
}

/** auditwatch's webhook documents (version 1): firing alert transitions only. */
export function auditwatchAlerts(received: readonly ReceivedAlert[], defs: readonly DetectorDef[]): ToolAlert[] {
  const out: ToolAlert[] = [];
  for (const r of received) {
    const n = record(record(r.body)?.notification);
    if (n?.type !== 'alert' || n.status !== 'firing') continue;
    const a = record(n.alert);
    const def = defs.find((d) => d.id === a?.detector);
    if (a === undefined || def === undefined || !Array.isArray(a.key)) continue;
    const pairs = new Map<string, string | null>();
    for (const p of a.key as unknown[]) if (Array.isArray(p) && typeof p[0] === 'string') pairs.set(p[0], typeof p[1] === 'string' ? p[1] : null);
    out.push({ detector: def.id, key: keyString(def.groupBy.map((f) => pairs.get(f) ?? null)), arrivedAt: r.arrivedAt });
  }
  return out;
}

/** ElastAlert's `post` alerter documents: the matching event plus `rule` (static payload). */
export function elastalertAlerts(received: readonly ReceivedAlert[], defs: readonly DetectorDef[]): ToolAlert[] {
  const out: ToolAlert[] = [];
  for (const r of received) {
    const b = record(r.body);
    const def = defs.find((d) => d.id === b?.rule);
    if (b === undefined || def === undefined) continue;
    out.push({ detector: def.id, key: keyString(def.groupBy.map((f) => (typeof b[f] === 'string' ? (b[f] as string) : null))), arrivedAt: r.arrivedAt });
  }
  return out;
}

export interface DetectorScore {
  readonly detector: string;
  readonly truth: number;
  readonly detected: number;
  readonly falseKeys: number;
  readonly falseExamples: readonly string[];
  readonly messages: number;
  readonly latenciesMs: readonly number[];
  readonly missed: readonly string[];
}

/**
 * `writeTime(i)`: wall-clock time the tool's store was handed event i (its Kafka produce or its
 * Elasticsearch bulk request). Latency = first alert of the key − writeTime(crossing event).
 */
export function score(detector: string, alerts: readonly ToolAlert[], truth: readonly TruthEntry[], writeTime: (i: number) => number): DetectorScore {
  const mine = alerts.filter((a) => a.detector === detector);
  const first = new Map<string, number>();
  for (const a of mine) first.set(a.key, Math.min(first.get(a.key) ?? Infinity, a.arrivedAt));
  const t = truth.filter((x) => x.detector === detector);
  const truthKeys = new Set(t.map((x) => x.key));
  const latenciesMs: number[] = [];
  const missed: string[] = [];
  for (const x of t) {
    const at = first.get(x.key);
    if (at === undefined) missed.push(x.key);
    else latenciesMs.push(at - writeTime(x.crossingIndex));
  }
  const falseList = [...first.keys()].filter((k) => !truthKeys.has(k));
  return { detector, truth: t.length, detected: t.length - missed.length, falseKeys: falseList.length, falseExamples: falseList.slice(0, 5), messages: mine.length, latenciesMs, missed };
}

export function quantile(xs: readonly number[], q: number): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  // Nearest rank: the smallest value with at least q of the sample at or below it.
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

export function fmtMs(ms: number | undefined): string {
  if (ms === undefined) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function pct(n: number, d: number): string {
  return d === 0 ? '–' : `${((100 * n) / d).toFixed(0)}% (${n}/${d})`;
}

export function mib(b: number | undefined): string {
  return b === undefined ? '–' : `${(b / 1024 / 1024).toFixed(0)} MiB`;
}

/** One line per planted incident, for the appendix of the results. */
export function plantTable(plan: StreamPlan, tag: (tool: Tool, detector: string, keys: readonly string[]) => string): string[] {
  const lines = ['| # | detector | kind | key | events | expected | auditwatch | ElastAlert 2 |', '|---|---|---|---|---|---|---|---|'];
  for (const p of plan.plants) {
    const keys = p.keys.map((k) => `\`${k.replace(/\|/g, '\\|')}\``).join(', ');
    lines.push(`| ${p.index} | ${p.detector} | ${p.kind} | ${keys} | ${p.note} | ${p.shouldAlert ? 'alert' : 'no alert'} | ${tag('auditwatch', p.detector, p.keys)} | ${tag('elastalert', p.detector, p.keys)} |`);
  }
  return lines;
}
