import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decoder, fields, reason } from './helpers.js';

const canonical = { callerId: 'c-1', tool: 'search', outcome: 'success', timestamp: '2026-03-05T10:30:00.123Z' };
const line = (o: unknown): string => JSON.stringify(o);

describe('decoder', () => {
  it('gives every rejection a machine-readable reason', () => {
    const d = decoder('canonical', {}, { maxBytes: 2000, maxDepth: 8 });
    const cases: [string, string][] = [
      ['x'.repeat(2001), 'too-large'],
      [line({ ...canonical, deep: JSON.parse('['.repeat(8) + ']'.repeat(8)) as unknown }), 'too-deep'],
      ['{"callerId":', 'not-json'],
      ['[1,2]', 'not-object'],
      ['"text"', 'not-object'],
      ['null', 'not-object'],
      [line({ ...canonical, callerId: undefined }), 'missing-field:callerId'],
      [line({ ...canonical, outcome: 'ok' }), 'bad-field:outcome'],
      [line({ ...canonical, timestamp: '2026-03-05T10:30:00' }), 'bad-timestamp'],
    ];
    for (const [text, expected] of cases) assert.equal(reason(d.decode(text)), expected, text.slice(0, 60));
    assert.equal(reason(decoder('auto').decode('{"level":"info","msg":"started"}')), 'unknown-format');
  });

  it('names the source field of a missing canonical field for adapters', () => {
    const r = decoder('obot').decode(line({ actor: {}, action: { name: 'x' }, outcome: { status: 'success' }, timestamp: { occurredAt: '2026-03-05T10:30:00Z' } }));
    assert.equal(reason(r), 'missing-field:callerId');
    assert.ok(!r.ok && r.rejection.detail.includes('actor.id'));
  });

  it('cuts kept fields longer than maxFieldLength, counts them, and still accepts the event', () => {
    const d = decoder('canonical', {}, { maxFieldLength: 64 });
    const r = d.decode(line({ ...canonical, callerId: 'c'.repeat(5000), sessionId: 's'.repeat(65) }));
    assert.ok(r.ok);
    assert.equal(r.truncated, 2);
    assert.ok(r.event.callerId.length <= 64);
    assert.match(r.event.callerId, /^c+…\[\+\d+ chars\]$/);
  });

  it('treats __proto__, constructor and prototype keys as plain data in every format', () => {
    const hostile = '{"__proto__":{"polluted":true,"callerId":"evil"},"constructor":{"prototype":{"polluted":true}},"prototype":{"x":1}';
    const lines: [string, string][] = [
      ['canonical', `${hostile},"callerId":"__proto__","tool":"constructor","outcome":"denied","timestamp":"2026-03-05T10:30:00Z"}`],
      ['redisctl', `${hostile},"timestamp":"2026-03-05T10:30:00Z","target":"audit","fields":{"__proto__":{"tool":"evil"},"event":"tool_denied","tool":"prototype"}}`],
      ['toolhive', `${hostile},"msg":"audit_event","outcome":"denied","logged_at":"2026-03-05T10:30:00Z","subjects":{"__proto__":{"user_id":"evil"},"user_id":"constructor"},"target":{"name":"toString"}}`],
      ['obot', `${hostile},"actor":{"id":"__proto__"},"action":{"name":"constructor"},"outcome":{"status":"denied"},"timestamp":{"occurredAt":"2026-03-05T10:30:00Z"}}`],
      ['audit-trail', `${hostile},"timestamp":"2026-03-05 10:30:00","event_type":"authorization","user_id":"prototype","resource":"__proto__","action":"constructor","success":0,"details":"{\\"__proto__\\":{\\"status\\":200}}"}`],
      ['ecs', `${hostile},"@timestamp":"2026-03-05T10:30:00Z","event":{"action":"constructor","outcome":"failure","__proto__":{"outcome":"success"}},"user":{"id":"__proto__"},"labels":{"__proto__":{"outcome":"success"}},"http.response.status_code":403}`],
    ];
    for (const [format, text] of lines) {
      for (const f of [format, 'auto'] as const) {
        const e = fields(decoder(f as 'auto').decode(text));
        assert.equal(e.outcome, 'denied', `${format} via ${f}`);
        assert.notEqual(e.callerId, 'evil', `${format} callerId`);
        assert.notEqual(e.tool, 'evil', `${format} tool`);
        assert.ok(/__proto__|constructor|prototype|toString|redisctl-mcp/.test(`${e.callerId} ${e.tool}`), `${format}: ${e.callerId} ${e.tool}`);
      }
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
  });

  it('does not read inherited members where a message lacks a field', () => {
    // `toString` and `constructor` exist on every object's prototype; as missing fields they stay missing.
    const r = decoder('toolhive').decode(line({ msg: 'audit_event', outcome: 'success', logged_at: '2026-03-05T10:30:00Z', subjects: {}, target: {} }));
    assert.equal(reason(r), 'missing-field:callerId');
    assert.equal(reason(decoder('ecs', { ecs: { callerFields: ['constructor.name'] } }).decode(line({ '@timestamp': '2026-03-05T10:30:00Z', event: { action: 'a', outcome: 'success' } }))), 'missing-field:callerId');
  });
});
