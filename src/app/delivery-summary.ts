// The delivery part of the summary `auditwatch run` prints at the end of an input.
import type { Alerting, FinishReport } from './alerting.js';

export function formatDeliverySummary(a: Alerting, f: FinishReport): string {
  const lines = ['delivery:'];
  const width = Math.max(8, ...[...a.sinks.keys()].map((s) => s.length));
  for (const [name, s] of a.outbox.stats()) {
    if (s.enqueued === 0 && s.duplicates === 0 && s.pending === 0) continue;
    const parts = [`delivered ${String(s.delivered).padStart(6)}`];
    if (s.pending > 0) parts.push(`pending ${s.pending}`);
    if (s.retries > 0) parts.push(`retries ${s.retries}`);
    if (s.dropped > 0) parts.push(`dropped ${s.dropped}`);
    if (s.gaveUp > 0) parts.push(`given up ${s.gaveUp}`);
    if (s.possibleRepeats > 0) parts.push(`possible repeats ${s.possibleRepeats}`);
    if (s.duplicates > 0) parts.push(`already delivered before, not resent ${s.duplicates}`);
    lines.push(`  ${name.padEnd(width)}  ${parts.join('  ')}`);
  }
  const silenced = [...a.pipeline.stats.silencedByDetector.values()].reduce((x, y) => x + y, 0);
  if (silenced > 0) lines.push(`  silenced ${silenced} (${[...a.pipeline.stats.silencedByDetector].map(([d, n]) => `${d}: ${n}`).join(', ')})`);
  if (a.pipeline.stats.unrouted > 0) lines.push(`  unrouted ${a.pipeline.stats.unrouted} (no route matched)`);
  const redacted = [...a.pipeline.stats.redactions].map(([r, n]) => `${r}: ${n}`).join(', ');
  if (redacted !== '') lines.push(`  redacted from event values: ${redacted}`);
  if (lines.length === 1) lines.push('  nothing to deliver');
  if (f.pending > 0) lines.push(`${f.pending} notification(s) not delivered before the drain timeout; they stay in the outbox and go out on the next run`);
  if (f.dropped + f.gaveUp > 0) lines.push(`${f.dropped + f.gaveUp} notification(s) could not be delivered (see the errors above)`);
  return lines.join('\n') + '\n';
}
