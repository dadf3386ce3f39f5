import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { decoder, fields, fixture, ms, reason } from './helpers.js';

describe('redisctl format', () => {
  const lines = fixture('redisctl');

  it('maps tool_invocation, tool_denied and tool_error to success, denied and error', () => {
    const d = decoder('redisctl');
    assert.deepEqual(fields(d.decode(lines[0] as string)), {
      callerId: 'redisctl-mcp',
      tool: 'list_subscriptions',
      outcome: 'success',
      timestamp: '2026-03-05T09:00:01.482913Z',
      ts: ms('2026-03-05T09:00:01.482Z'),
      durationMs: 231,
    });
    assert.equal(fields(d.decode(lines[2] as string)).outcome, 'denied');
    assert.equal(fields(d.decode(lines[4] as string)).outcome, 'error');
    assert.deepEqual(
      lines.map((l) => fields(d.decode(l)).outcome),
      ['success', 'success', 'denied', 'success', 'error', 'denied', 'success', 'error', 'success', 'denied'],
    );
  });

  it('takes the caller from a fixed value, or from a configured field when the message has it', () => {
    assert.equal(fields(decoder('redisctl', { redisctl: { caller: 'prod-cloud' } }).decode(lines[0] as string)).callerId, 'prod-cloud');
    const byField = decoder('redisctl', { redisctl: { caller: 'fallback', callerField: 'span.profile' } });
    assert.equal(fields(byField.decode(lines[3] as string)).callerId, 'prod-cache');
    assert.equal(fields(byField.decode(lines[0] as string)).callerId, 'fallback');
  });

  it('keeps only a SHA-256 prefix and the byte size of the arguments', () => {
    const line = fixture('redisctl-with-arguments')[1] as string;
    const args = (JSON.parse(line) as { fields: { arguments: string } }).fields.arguments;
    const f = fields(decoder('redisctl').decode(line));
    assert.equal(f.argsHash, `sha256:${createHash('sha256').update(args).digest('hex').slice(0, 16)}`);
    assert.equal(f.argsSize, Buffer.byteLength(args));
    assert.doesNotMatch(JSON.stringify(f), /reporting|read-only/);
  });

  it('rejects audit events that are not tool events, naming the field but not the value', () => {
    const d = decoder('redisctl');
    const other = d.decode('{"timestamp":"2026-03-05T09:00:01Z","fields":{"event":"sk_live_not_a_tool_event"},"target":"audit"}');
    assert.equal(reason(other), 'bad-field:outcome');
    assert.ok(!other.ok && !other.rejection.detail.includes('sk_live'));
    assert.equal(reason(d.decode('{"timestamp":"2026-03-05T09:00:01Z","fields":{"tool":"x"},"target":"audit"}')), 'missing-field:outcome');
    assert.equal(reason(d.decode('{"timestamp":"2026-03-05T09:00:01Z","fields":{"event":"tool_invocation"},"target":"audit"}')), 'missing-field:tool');
  });
});
