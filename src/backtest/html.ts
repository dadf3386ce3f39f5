// HTML escaping for the backtest report. Every key value in the report comes from an event, so it
// is attacker-controlled: it is bounded (bound.ts) and then escaped here before it goes anywhere
// near markup. Used for element content and for quoted attribute values alike: all five special
// characters are escaped, so one function is safe in both places.
import { boundText, MAX_VALUE_LENGTH } from './bound.js';

const ENTITIES = new Map<string, string>([
  ['&', '&amp;'],
  ['<', '&lt;'],
  ['>', '&gt;'],
  ['"', '&quot;'],
  ["'", '&#39;'],
]);

/** Escapes `& < > " '`: safe in HTML and SVG text and in quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES.get(c) ?? c);
}

/** boundText then escapeHtml: the way an event string enters the report. */
export function eventText(s: string, max = MAX_VALUE_LENGTH): string {
  return escapeHtml(boundText(s, max));
}
