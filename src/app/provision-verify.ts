// `auditwatch provision verify`: proves on a real Elasticsearch node that the compiled queries and
// the engine agree. It indexes a generated stream (verify-stream.ts) into a fresh index with the
// compiled mappings, replays the same events through the engine, and at a series of evaluation
// times t compares the keys the plain search body returns with the keys the engine has an alert
// for at t. Threshold detectors must agree exactly; every difference of an approximation must be
// explained by a cause the plan declares (verify-compare.ts). When the cluster has mustache, the
// template form is run too and must return the same keys as the plain body.
//
// "The engine's state at t": one replay of all events gives each alert's interval [fired, resolved);
// a key is above its threshold at t when one of its intervals contains t. Only times below the
// final watermark minus the lateness are evaluated: there every resolve (and re-fire) is final.
import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import { z } from 'zod';
import { loadDetectors, type Where } from '../config/detectors.js';
import { resolveSecret } from '../config/secret-ref.js';
import { elasticsearchSettings, type ProvisionSection } from '../config/sections/provision.js';
import { DEFAULT_LATENESS_MS, Engine } from '../engine/engine.js';
import type { Transition } from '../engine/transition.js';
import type { AuditEvent } from '../events/audit-event.js';
import { formatTimestamp } from '../events/timestamp.js';
import { auditMappings, searchExactness, searchShape, templateSourceText } from '../provision/compile-elasticsearch.js';
import { asWindowedCount, type WindowedCount } from '../provision/detector-view.js';
import { EsApi } from '../provision/es-api.js';
import { parseSearchAnswer, searchBody, type SearchShape } from '../provision/es-query.js';
import type { RetryPolicy } from '../provision/retry.js';
import { compareDetector, keyOf, StreakHistory, type DetectorReport, type EvaluationResult } from './verify-compare.js';
import { mulberry32 } from '../random.js';
import { generateVerifyStream } from './verify-stream.js';

export interface VerifyOptions {
  readonly detectorsDir: string;
  readonly section: ProvisionSection;
  readonly env: NodeJS.ProcessEnv;
  readonly seed: number;
  /** Evaluation times per detector. */
  readonly evaluations: number;
  readonly keysPerDetector: number;
  readonly keepIndex: boolean;
  readonly retry?: RetryPolicy;
  /**
   * The plain body for an evaluation time (default: the compiled one). Replaceable so a test can
   * show that verification catches a wrong query (say, gte instead of gt).
   */
  readonly bodyFor?: (shape: SearchShape, endMs: number) => unknown;
  readonly stdout: Writable;
  readonly stderr: Writable;
}

export interface VerifySummary {
  readonly exitCode: number;
  readonly reports: readonly DetectorReport[];
  readonly events: number;
  readonly templateChecks: number;
  readonly elapsedMs: number;
}

const bulkAnswer = z.looseObject({ errors: z.boolean(), items: z.array(z.record(z.string(), z.looseObject({ status: z.number(), error: z.unknown().optional() }))) });
const msearchAnswer = z.looseObject({ responses: z.array(z.looseObject({ error: z.unknown().optional() })) });
const languagesAnswer = z.looseObject({ language_contexts: z.array(z.looseObject({ language: z.string() })).default([]) });

const BULK_CHUNK = 5_000;
const MSEARCH_CHUNK = 100;
const TEMPLATE_CHECKS_PER_DETECTOR = 10;

/** Alert intervals per detector and key (JSON of the key values), from one replay. */
function alertIntervals(engineDefs: ConstructorParameters<typeof Engine>[0], events: readonly AuditEvent[]): { intervals: Map<string, Map<string, [number, number][]>>; watermark: number } {
  const engine = new Engine(engineDefs, { latenessMs: DEFAULT_LATENESS_MS });
  const out: Transition[] = [];
  for (const e of events) engine.process(e, out);
  const intervals = new Map<string, Map<string, [number, number][]>>();
  for (const t of out) {
    let byKey = intervals.get(t.detector);
    if (byKey === undefined) intervals.set(t.detector, (byKey = new Map()));
    const key = JSON.stringify(t.key);
    const list = byKey.get(key) ?? [];
    byKey.set(key, list);
    if (t.type === 'fired') list.push([t.at, Infinity]);
    else {
      const open = list.find((iv) => iv[1] === Infinity && iv[0] === t.firedAt);
      if (open !== undefined) open[1] = t.at;
    }
  }
  return { intervals, watermark: engine.watermark };
}

function engineKeysAt(byKey: Map<string, [number, number][]> | undefined, t: number): Set<string> {
  const out = new Set<string>();
  for (const [key, list] of byKey ?? []) if (list.some(([a, r]) => a <= t && t < r)) out.add(key);
  return out;
}

function matchesWhere(where: Where, e: AuditEvent): boolean {
  for (const [f, vs] of where) {
    const v = (e as unknown as Record<string, unknown>)[f];
    if (typeof v !== 'string' || !vs.includes(v)) return false;
  }
  return true;
}

function countAtMost(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function shuffled<T>(xs: T[], rnd: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [xs[i], xs[j]] = [xs[j] as T, xs[i] as T];
  }
  return xs;
}

/**
 * Evaluation times: event times, expiries (e + W) and one millisecond before each. Half are taken
 * where some key's windowed count sits right at the threshold edge (threshold or threshold + 1):
 * there a wrong window boundary (gte for gt, lt for lte) or an off-by-one in the threshold
 * changes the answer, so those are the times that can tell an exact query from a near miss.
 */
function evaluationTimes(c: WindowedCount, events: readonly AuditEvent[], limit: number, count: number, seed: number): number[] {
  const byKey = new Map<string, number[]>();
  for (const e of events) {
    if (!matchesWhere(c.where, e)) continue;
    const k = keyOf(c.groupBy, e);
    const list = byKey.get(k) ?? [];
    byKey.set(k, list);
    list.push(e.ts);
  }
  const edge = new Set<number>();
  const other = new Set<number>();
  for (const times of byKey.values()) {
    times.sort((a, b) => a - b);
    for (const ts of times) {
      for (const t of [ts - 1, ts, ts + c.windowMs - 1, ts + c.windowMs]) {
        if (t >= limit) continue;
        const n = countAtMost(times, t) - countAtMost(times, t - c.windowMs);
        (n === c.threshold || n === c.threshold + 1 ? edge : other).add(t);
      }
    }
  }
  const rnd = mulberry32(seed ^ 0x5eed);
  const fromEdge = shuffled([...edge], rnd).slice(0, Math.ceil(count / 2));
  const rest = shuffled([...other].filter((t) => !edge.has(t)), rnd).slice(0, count - fromEdge.length);
  return [...fromEdge, ...rest].sort((a, b) => a - b);
}

async function querySets(api: EsApi, index: string, shape: SearchShape, times: readonly number[], bodyFor: (shape: SearchShape, endMs: number) => unknown): Promise<{ results: Set<string>[]; limited: boolean }> {
  const results: Set<string>[] = [];
  let limited = false;
  for (let i = 0; i < times.length; i += MSEARCH_CHUNK) {
    const chunk = times.slice(i, i + MSEARCH_CHUNK);
    const lines = chunk.flatMap((t) => [{ index }, bodyFor(shape, t)]);
    const answer = msearchAnswer.parse(await api.requestNd('/_msearch', lines));
    answer.responses.forEach((r, j) => {
      if (r.error !== undefined) throw new Error(`search at ${formatTimestamp(chunk[j] ?? 0)} failed: ${JSON.stringify(r.error).slice(0, 300)}`);
      const parsed = parseSearchAnswer(shape, r);
      if (parsed.truncated || parsed.countErrors) limited = true;
      results.push(new Set(parsed.keys.map((k) => JSON.stringify(k.values))));
    });
  }
  return { results, limited };
}

export async function provisionVerify(opts: VerifyOptions): Promise<VerifySummary> {
  const started = Date.now();
  const say = (s: string): void => void opts.stdout.write(`${s}\n`);
  const defs = loadDetectors(opts.detectorsDir);
  const streakWindowMs = opts.section.streakWindow;
  const counts: WindowedCount[] = [];
  const resets = new Map<string, Where>();
  for (const d of defs) {
    const c = asWindowedCount(d, streakWindowMs);
    if ('notProvisionable' in c) say(`  ${d.id}: skipped (${c.notProvisionable})`);
    else counts.push(c);
    if (d.kind === 'streak') resets.set(d.id, d.resetWhere);
  }
  const settings = elasticsearchSettings(opts.section);
  const api = new EsApi(settings, {
    apiKey: settings.apiKey === undefined ? undefined : resolveSecret(settings.apiKey, { owner: 'provision.elasticsearch', what: 'Elasticsearch API key' }, opts.env),
    username: settings.username,
    password: settings.password === undefined ? undefined : resolveSecret(settings.password, { owner: 'provision.elasticsearch', what: 'Elasticsearch password' }, opts.env),
  }, opts.retry);
  const index = `auditwatch-verify-${opts.seed}-${randomBytes(4).toString('hex')}`;
  try {
    const stream = generateVerifyStream(counts, { seed: opts.seed, startMs: Date.UTC(2026, 2, 5) + (opts.seed % 1000), keysPerDetector: opts.keysPerDetector }, resets);
    await api.request('PUT', `/${index}`, { settings: { number_of_shards: 1, number_of_replicas: 0 }, mappings: auditMappings() });
    for (let i = 0; i < stream.documents.length; i += BULK_CHUNK) {
      const lines = stream.documents.slice(i, i + BULK_CHUNK).flatMap((d) => [{ index: { _index: index } }, d]);
      const answer = bulkAnswer.parse(await api.requestNd('/_bulk', lines));
      if (answer.errors) {
        const bad = answer.items.map((it) => Object.values(it)[0]).find((x) => x?.error !== undefined);
        throw new Error(`indexing the verify stream failed: ${JSON.stringify(bad?.error).slice(0, 300)}`);
      }
    }
    await api.request('POST', `/${index}/_refresh`);
    say(`auditwatch provision verify: ${stream.events.length.toLocaleString('en-US')} events (seed ${opts.seed}) indexed into ${index} on ${api.endpoint}`);

    const { intervals, watermark } = alertIntervals(defs, stream.events);
    const limit = watermark - DEFAULT_LATENESS_MS;
    const langs = languagesAnswer.safeParse(await api.request('GET', '/_script_language').catch(() => ({})));
    const mustache = langs.success && langs.data.language_contexts.some((l) => l.language === 'mustache');
    const reports: DetectorReport[] = [];
    let templateChecks = 0;
    let failed = false;
    for (const c of counts) {
      const shape = searchShape(c, settings);
      const times = evaluationTimes(c, stream.events, limit, opts.evaluations, opts.seed);
      const { results, limited } = await querySets(api, index, shape, times, opts.bodyFor ?? ((sh, t) => searchBody(sh, { endMs: t })));
      const evals: EvaluationResult[] = times.map((t, i) => ({ t, engine: engineKeysAt(intervals.get(c.id), t), query: results[i] ?? new Set() }));
      const history = c.kind === 'streak' ? new StreakHistory(c, resets.get(c.id) ?? new Map(), stream.events) : undefined;
      const report = compareDetector(c, searchExactness(c, settings), evals, history);
      reports.push(report);
      const declared = [...report.declared].map(([k, n]) => `${k} ${n}`).join(', ');
      say(`  ${c.id.padEnd(24)} ${report.exactness.kind.padEnd(13)} ${String(report.evaluations).padStart(5)} evaluations ${String(report.keysCompared).padStart(7)} keys compared ${String(report.agreed).padStart(7)} agree${declared === '' ? '' : `  declared: ${declared}`}  undeclared: ${report.undeclared.length}`);
      for (const d of report.undeclared.slice(0, 10)) say(`      UNDECLARED at ${formatTimestamp(d.t)}: ${d.side} key ${d.key.slice(0, 200)}`);
      if (limited) say(`      LIMIT: a terms level returned maxKeys buckets or a shard reported count errors; raise provision.elasticsearch.maxKeys/shardSize`);
      if (report.undeclared.length > 0 || limited) failed = true;
      if (mustache) {
        // The stored-template form, run inline: it must return exactly the plain body's keys.
        const source = templateSourceText({ source: searchBody(shape, 'template') });
        for (const [i, t] of times.slice(0, TEMPLATE_CHECKS_PER_DETECTOR).entries()) {
          const answer = parseSearchAnswer(shape, await api.request('POST', `/${index}/_search/template`, { source, params: { end: formatTimestamp(t) } }));
          const keys = new Set(answer.keys.map((k) => JSON.stringify(k.values)));
          const plain = results[i] ?? new Set<string>();
          if (keys.size !== plain.size || [...keys].some((k) => !plain.has(k))) {
            say(`      TEMPLATE differs from the plain body at ${formatTimestamp(t)}`);
            failed = true;
          }
          templateChecks++;
        }
      }
    }
    say(mustache ? `  template form: ${templateChecks} evaluations agree with the plain bodies` : '  template form: not run (no mustache on this cluster; the contract tests cover it)');
    const elapsedMs = Date.now() - started;
    const compared = reports.reduce((n, r) => n + r.keysCompared, 0);
    say(failed ? `verify: NOT equivalent (${(elapsedMs / 1000).toFixed(1)} s)` : `verify: equivalent: ${compared.toLocaleString('en-US')} keys compared, every difference is one the plan declares (${(elapsedMs / 1000).toFixed(1)} s)`);
    return { exitCode: failed ? 1 : 0, reports, events: stream.events.length, templateChecks, elapsedMs };
  } finally {
    if (!opts.keepIndex) await api.request('DELETE', `/${index}`).catch(() => undefined);
    await api.close();
  }
}
