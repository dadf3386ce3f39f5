import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decoder, fields, fixture, ms, reason } from './helpers.js';

describe('toolhive format', () => {
  const lines = fixture('toolhive');
  const d = decoder('toolhive');

  it('maps the slog audit_event line', () => {
    assert.deepEqual(fields(d.decode(lines[0] as string)), {
      callerId: 'auth0|5f7c8ec7c33c6c004bbafe82',
      tool: 'create_issue',
      outcome: 'success',
      timestamp: '2026-03-05T09:00:02.118301Z',
      ts: ms('2026-03-05T09:00:02.118Z'),
      sessionId: 'mcp-sess-a41f',
      durationMs: 412,
    });
  });

  it('maps the struct spelling (metadata.auditId, loggedAt) the same way', () => {
    assert.deepEqual(fields(d.decode(lines[7] as string)), {
      callerId: 'svc-release-bot',
      tool: 'transition_issue',
      outcome: 'success',
      timestamp: '2026-03-05T09:00:25.402118Z',
      ts: ms('2026-03-05T09:00:25.402Z'),
      durationMs: 57,
    });
    assert.equal(fields(d.decode(lines[8] as string)).outcome, 'denied');
  });

  it('derives rate_limited and denied from a failure only where a status code is present', () => {
    assert.equal(fields(d.decode(lines[3] as string)).outcome, 'rate_limited'); // failure + status_code 429
    assert.equal(fields(d.decode(lines[4] as string)).outcome, 'error'); // failure, no status
    assert.equal(fields(d.decode(lines[9] as string)).outcome, 'denied'); // failure + 403
    const appError = fields(d.decode(lines[5] as string));
    assert.equal(appError.outcome, 'error');
    assert.equal(appError.errorType, 'jsonrpc:-32603');
    assert.equal(fields(d.decode(lines[6] as string)).errorType, 'error');
  });

  it('falls back to subjects.user (which may be an e-mail address) and to the method for non-tool requests', () => {
    assert.equal(fields(d.decode(lines[2] as string)).callerId, 'grace@example.com');
    assert.equal(fields(d.decode(lines[1] as string)).tool, 'tools/list');
  });

  it('rejects unknown outcomes and events without a subject', () => {
    const base = JSON.parse(lines[0] as string) as Record<string, unknown>;
    assert.equal(reason(d.decode(JSON.stringify({ ...base, outcome: 'maybe' }))), 'bad-field:outcome');
    assert.equal(reason(d.decode(JSON.stringify({ ...base, subjects: {} }))), 'missing-field:callerId');
    const detail = d.decode(JSON.stringify({ ...base, subjects: {} }));
    assert.ok(!detail.ok && detail.rejection.detail.includes('subjects.user_id'));
  });
});
