import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decoder, fixture } from './helpers.js';

// One line of test/fixtures/formats/mixed.jsonl each: the format `auto` must pick, or the reason
// it must reject the line with.
const EXPECTED = [
  'canonical',
  'redisctl',
  'toolhive',
  'unknown-format', // an application log line of ToolHive's operator, not an audit event
  'obot',
  'audit-trail',
  'ecs',
  'toolhive', // struct spelling
  'obot', // gateway MCPAuditLog row
  'redisctl',
  'unknown-format', // a homegrown shape nobody maps
  'ecs', // flattened dotted keys
  'audit-trail',
  'canonical',
  'not-json',
  'obot',
] as const;

describe('auto format', () => {
  it('classifies every line of the mixed fixture', () => {
    const d = decoder('auto');
    const got = fixture('mixed').map((l) => {
      const r = d.decode(l);
      return r.ok ? r.format : (r.format ?? r.rejection.reason);
    });
    assert.deepEqual(got, EXPECTED);
  });

  it('decodes each line as its named format would', () => {
    const auto = decoder('auto');
    fixture('mixed').forEach((l, i) => {
      const expected = EXPECTED[i] as string;
      if (expected === 'unknown-format' || expected === 'not-json') return;
      assert.deepEqual(auto.decode(l), decoder(expected as 'canonical').decode(l), `line ${i + 1}`);
    });
  });

  it('each fixture is claimed by its own format only', () => {
    for (const name of ['canonical', 'redisctl', 'toolhive', 'obot', 'audit-trail', 'ecs'] as const) {
      const d = decoder('auto');
      for (const l of fixture(name)) assert.equal(d.decode(l).format, name, `${name}: ${l.slice(0, 80)}`);
    }
  });
});
