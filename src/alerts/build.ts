// Builds notification items from engine transitions. Key values come from events: they are
// screened for secrets and bounded here, once, so that neither the outbox file nor any sink ever
// holds a credential or a 10 MB string taken from an event.
import { alertKeyId, type Transition } from '../engine/transition.js';
import { bound } from '../text/bound.js';
import { screen } from '../text/secrets.js';
import type { AlertItem, KeyPair } from './notification.js';

/** Longest key value kept in a notification (sinks cut further for their own limits). */
export const MAX_KEY_VALUE = 1000;

/** Counts redactions per secret rule. */
export type RedactionCounter = Map<string, number>;

export function safeValue(v: string, hits: RedactionCounter): string {
  const s = screen(v);
  for (const [rule, n] of s.hits) hits.set(rule, (hits.get(rule) ?? 0) + n);
  return bound(s.text, { max: MAX_KEY_VALUE });
}

export function keyPairs(t: Transition, hits: RedactionCounter): KeyPair[] {
  return t.keyFields.map((f, i): KeyPair => {
    const v = t.key[i];
    return [f, v === null || v === undefined ? null : safeValue(v, hits)];
  });
}

/** The item for a fired transition (`incident` is incidentId(t), computed once by the caller). */
export function firedItem(t: Transition & { type: 'fired' }, incident: string, hits: RedactionCounter): AlertItem {
  return {
    incidentId: incident,
    alertKeyId: alertKeyId(t),
    detector: t.detector,
    severity: t.severity,
    key: keyPairs(t, hits),
    firedAt: t.at,
    count: t.count,
    threshold: t.threshold,
    ...(t.windowMs === undefined ? {} : { windowMs: t.windowMs }),
    // The path names event fields, which the event chose: screened and bounded like a value.
    ...(t.evidence === undefined ? {} : { evidence: { path: safeValue(t.evidence.path, hits), rule: t.evidence.rule } }),
  };
}

/** The item for a resolve: the fire's item when known (it carries the count), plus the resolve time. */
export function resolvedItem(t: Transition & { type: 'resolved' }, incident: string, fired: AlertItem | undefined, hits: RedactionCounter): AlertItem {
  if (fired !== undefined) return { ...fired, resolvedAt: t.at };
  return {
    incidentId: incident,
    alertKeyId: alertKeyId(t),
    detector: t.detector,
    severity: t.severity,
    key: keyPairs(t, hits),
    firedAt: t.firedAt,
    resolvedAt: t.at,
  };
}
