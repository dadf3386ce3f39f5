import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decoder, fields, fixture, ms, reason } from './helpers.js';

describe('ecs format', () => {
  const lines = fixture('ecs');
  const d = decoder('ecs');

  it('maps a nested ECS document', () => {
    assert.deepEqual(fields(d.decode(lines[0] as string)), {
      callerId: 'svc-reporting',
      tool: 'query_database',
      outcome: 'success',
      timestamp: '2026-03-05T09:00:09.118Z',
      ts: ms('2026-03-05T09:00:09.118Z'),
      durationMs: 152,
      sessionId: 'sess-31',
      serverVersion: '2.4.1',
    });
  });

  it('derives denied and rate_limited from the HTTP status of a failure or a pipeline label', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 7].map((i) => fields(d.decode(lines[i] as string)).outcome),
      ['success', 'rate_limited', 'denied', 'error', 'success', 'denied', 'success'],
    );
    assert.equal(fields(d.decode(lines[3] as string)).errorType, 'QueryTimeout');
  });

  it('reads client.user.id and flattened dotted keys', () => {
    assert.equal(fields(d.decode(lines[4] as string)).callerId, 'agent-support-7');
    const flat = fields(d.decode(lines[5] as string));
    assert.equal(flat.callerId, 'agent-support-7');
    assert.equal(flat.serverVersion, '1.12.0');
  });

  it('rejects event.outcome unknown unless configured otherwise', () => {
    assert.equal(reason(d.decode(lines[6] as string)), 'bad-field:outcome');
    assert.equal(fields(decoder('ecs', { ecs: { unknownOutcome: 'error' } }).decode(lines[6] as string)).outcome, 'error');
  });

  it('takes the mapping from options', () => {
    const custom = decoder('ecs', { ecs: { callerFields: ['user.email'], toolFields: ['service.name'], outcomeFields: [] } });
    const r = fields(custom.decode(lines[7] as string));
    assert.equal(r.callerId, 'billing-bot@example.com');
    assert.equal(r.tool, 'billing-mcp');
    assert.throws(() => decoder('ecs', { ecs: { callerFields: [] } }));
  });
});
