import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decoder, fields, fixture, ms, reason } from './helpers.js';

describe('audit-trail format', () => {
  const lines = fixture('audit-trail');
  const d = decoder('audit-trail');

  it("maps a row, reading SQLite's zone-less CURRENT_TIMESTAMP as UTC and details as JSON", () => {
    assert.deepEqual(fields(d.decode(lines[0] as string)), {
      callerId: 'alice',
      tool: 'search_docs/execute',
      outcome: 'success',
      timestamp: '2026-03-05 09:00:07Z',
      ts: ms('2026-03-05T09:00:07Z'),
      durationMs: 120,
      sessionId: 's-91',
    });
  });

  it('maps failures: authorization events → denied, rate-limit events → rate_limited, a 429 in details → rate_limited, others → error', () => {
    assert.deepEqual(
      lines.slice(0, 9).map((l) => fields(d.decode(l)).outcome),
      ['success', 'success', 'denied', 'error', 'rate_limited', 'success', 'rate_limited', 'denied', 'success'],
    );
    assert.equal(fields(d.decode(lines[3] as string)).errorType, 'tool_call');
  });

  it('accepts integer user ids, RFC 3339 timestamps and boolean success', () => {
    const r = fields(d.decode(lines[5] as string));
    assert.equal(r.callerId, '42');
    assert.equal(r.ts, ms('2026-03-05T09:00:21.482Z'));
    assert.equal(fields(d.decode(lines[6] as string)).ts, ms('2026-03-05T09:00:24Z'));
  });

  it('rejects system rows without a user, and zone-less timestamps when told they are not UTC', () => {
    assert.equal(reason(d.decode(lines[9] as string)), 'missing-field:callerId');
    assert.equal(reason(decoder('audit-trail', { 'audit-trail': { naiveTimestampsAreUtc: false } }).decode(lines[0] as string)), 'bad-timestamp');
    assert.equal(reason(d.decode(JSON.stringify({ ...(JSON.parse(lines[0] as string) as object), success: 'yes' }))), 'bad-field:outcome');
  });

  it('builds the tool from resource or action alone when configured', () => {
    assert.equal(fields(decoder('audit-trail', { 'audit-trail': { tool: 'resource' } }).decode(lines[0] as string)).tool, 'search_docs');
    assert.equal(fields(decoder('audit-trail', { 'audit-trail': { tool: 'action' } }).decode(lines[0] as string)).tool, 'execute');
  });

  it('exposes a JSON details string to the leak detector as an object', () => {
    const r = d.decode(lines[0] as string);
    assert.ok(r.ok);
    assert.deepEqual((r.event.original as { details: unknown }).details, { duration_ms: 120, session_id: 's-91' });
  });
});
