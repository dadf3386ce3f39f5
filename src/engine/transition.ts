import { createHash } from 'node:crypto';
import type { Severity } from '../config/detectors.js';
import type { EventStringField } from '../events/audit-event.js';
import { formatTimestamp } from '../events/timestamp.js';
import type { KeyValues } from './key.js';

interface TransitionBase {
  readonly detector: string;
  readonly severity: Severity;
  readonly keyFields: readonly EventStringField[];
  readonly key: KeyValues;
  /** Event time of the transition, epoch ms. */
  readonly at: number;
}

export interface FiredTransition extends TransitionBase {
  readonly type: 'fired';
  readonly count: number;
  readonly threshold: number;
  /** Set for windowed detectors: the window is (at - windowMs, at]. */
  readonly windowMs?: number;
  /** Set by leak detectors: where the leak is and which rule matched; never the value. */
  readonly evidence?: { readonly path: string; readonly rule: string };
}

export interface ResolvedTransition extends TransitionBase {
  readonly type: 'resolved';
  /** When the alert this resolves fired: together with detector and key it names the incident. */
  readonly firedAt: number;
}

export type Transition = FiredTransition | ResolvedTransition;

function encodeKey(key: KeyValues): string {
  return key.map((v) => (v === null ? '~' : `${v.length}:${v}`)).join('');
}

/**
 * Deterministic transition id from (detector, key, type, event time): a replay after a crash
 * produces the same ids, which is what lets delivery recognise what it already sent.
 */
export function transitionId(t: Transition): string {
  return createHash('sha256').update(`${t.detector}\u0000${t.type}\u0000${t.at}\u0000${encodeKey(t.key)}`).digest('hex').slice(0, 32);
}

/** Id of the incident (one fire-to-resolve lifecycle): the same for a fired transition and its resolve. */
export function incidentId(t: Transition): string {
  const firedAt = t.type === 'fired' ? t.at : t.firedAt;
  return createHash('sha256').update(`${t.detector}\u0000incident\u0000${firedAt}\u0000${encodeKey(t.key)}`).digest('hex').slice(0, 32);
}

/** Id of the alerting key regardless of lifecycle (detector + key), e.g. for PagerDuty's dedup_key. */
export function alertKeyId(t: Pick<Transition, 'detector' | 'key'>): string {
  return createHash('sha256').update(`${t.detector}\u0000${encodeKey(t.key)}`).digest('hex').slice(0, 32);
}

export interface TransitionJson {
  type: 'fired' | 'resolved';
  detector: string;
  key: Record<string, string | null>;
  at: string;
  count?: number;
  threshold?: number;
  windowStart?: string;
  severity: Severity;
  evidence?: { path: string; rule: string };
}

/** The documented one-line JSON form written by `auditwatch replay`. */
export function transitionJson(t: Transition): TransitionJson {
  const key = Object.fromEntries(t.keyFields.map((f, i) => [f, t.key[i] ?? null]));
  const at = formatTimestamp(t.at);
  if (t.type === 'resolved') return { type: 'resolved', detector: t.detector, key, at, severity: t.severity };
  return {
    type: 'fired',
    detector: t.detector,
    key,
    at,
    count: t.count,
    threshold: t.threshold,
    ...(t.windowMs === undefined ? {} : { windowStart: formatTimestamp(t.at - t.windowMs) }),
    severity: t.severity,
    ...(t.evidence === undefined ? {} : { evidence: { path: t.evidence.path, rule: t.evidence.rule } }),
  };
}
