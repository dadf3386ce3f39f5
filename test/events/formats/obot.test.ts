import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decoder, fields, fixture, ms, reason } from './helpers.js';

describe('obot format', () => {
  const lines = fixture('obot');
  const d = decoder('obot');

  it('maps the normalized export', () => {
    assert.deepEqual(fields(d.decode(lines[0] as string)), {
      callerId: 'u-8f3a2c',
      tool: 'search_issues',
      outcome: 'success',
      timestamp: '2026-03-05T09:00:05.201Z',
      ts: ms('2026-03-05T09:00:05.201Z'),
      durationMs: 318,
      sessionId: 'obot-sess-5e21',
    });
  });

  it('derives the outcome of a failure from outcome.httpStatus: 429 rate_limited, 401/403 denied, else error', () => {
    assert.deepEqual(
      lines.slice(0, 6).map((l) => fields(d.decode(l)).outcome),
      ['success', 'rate_limited', 'denied', 'error', 'success', 'denied'],
    );
  });

  it("maps the gateway's MCPAuditLog rows that Obot's audit-log export writes", () => {
    assert.deepEqual(fields(d.decode(lines[6] as string)), {
      callerId: 'u-8f3a2c',
      tool: 'get_pull_request',
      outcome: 'success',
      timestamp: '2026-03-05T09:00:19.512Z',
      ts: ms('2026-03-05T09:00:19.512Z'),
      durationMs: 244,
      sessionId: 'obot-sess-5e21',
    });
    assert.equal(fields(d.decode(lines[7] as string)).outcome, 'denied');
    const withError = fields(d.decode(lines[8] as string));
    assert.equal(withError.outcome, 'error'); // HTTP 200 with an error message
    assert.equal(withError.errorType, 'http:200');
    assert.equal(fields(d.decode(lines[9] as string)).outcome, 'rate_limited');
  });

  it('rejects an event without a status', () => {
    const base = JSON.parse(lines[0] as string) as Record<string, unknown>;
    assert.equal(reason(d.decode(JSON.stringify({ ...base, outcome: { httpStatus: 200 } }))), 'missing-field:outcome');
    assert.equal(reason(d.decode(JSON.stringify({ ...base, actor: { type: 'user' } }))), 'missing-field:callerId');
  });
});
