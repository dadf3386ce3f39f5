import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const sample = (name: string): string => fileURLToPath(new URL(`../fixtures/formats/${name}.jsonl`, import.meta.url));
const transitions = (stdout: string) => stdout.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('auditwatch replay --format', () => {
  const expected: [string, number, number][] = [
    // format, accepted, rejected
    ['canonical', 6, 0],
    ['redisctl', 10, 0],
    ['toolhive', 10, 0],
    ['obot', 10, 0],
    ['audit-trail', 9, 1],
    ['ecs', 7, 1],
  ];
  for (const [format, accepted, rejected] of expected) {
    it(`reads the ${format} samples`, async () => {
      const r = await cli(['replay', sample(format), '--format', format]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`accepted +${accepted}\\n`));
      assert.match(r.stderr, new RegExp(`rejected +${rejected}`));
      assert.equal(r.stdout, ''); // realistic, well-scrubbed samples: nothing to alert on
    });
  }

  it('auto classifies a mixed file and reports what no adapter claims', async () => {
    const r = await cli(['replay', sample('mixed'), '--format', 'auto']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /16 lines read/);
    assert.match(r.stderr, /rejected +3 +\(unknown-format: 2, not-json: 1\)/);
    assert.match(r.stderr, /formats: canonical 2, redisctl 2, toolhive 2, obot 3, audit-trail 2, ecs 2/);
  });

  it('alerts on unscrubbed arguments, naming the field and never the value, with --caller for redisctl', async () => {
    const r = await cli(['replay', sample('redisctl-with-arguments'), '--format', 'redisctl', '--caller', 'prod-cloud']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(transitions(r.stdout), [
      { type: 'fired', detector: 'unscrubbed-event', key: { callerId: 'prod-cloud', serverVersion: null }, at: '2026-03-05T09:10:02.118Z', count: 1, threshold: 0, severity: 'critical', evidence: { path: 'fields.arguments', rule: 'field-name' } },
    ]);
    assert.doesNotMatch(r.stdout, /7731902|reporting/);
    const th = await cli(['replay', sample('toolhive-with-request-data'), '--format', 'auto']);
    assert.deepEqual(transitions(th.stdout).map((t) => t.evidence), [{ path: 'data.request.params', rule: 'field-name' }]);
  });

  it('takes input.format and input.formats from auditwatch.yaml, and flags win over it', async () => {
    const t = tempDir();
    const config = t.write('auditwatch.yaml', 'input:\n  format: redisctl\n  formats:\n    redisctl:\n      caller: from-config\n');
    const r = await cli(['replay', sample('redisctl-with-arguments')], { env: { AUDITWATCH_CONFIG: config } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((transitions(r.stdout)[0]?.key as Record<string, unknown>).callerId, 'from-config');
    const flag = await cli(['replay', sample('redisctl-with-arguments'), '--caller', 'from-flag'], { env: { AUDITWATCH_CONFIG: config } });
    assert.equal((transitions(flag.stdout)[0]?.key as Record<string, unknown>).callerId, 'from-flag');
    const bad = t.write('bad.yaml', 'input:\n  format: syslog\n');
    const rb = await cli(['replay', sample('redisctl')], { env: { AUDITWATCH_CONFIG: bad } });
    assert.equal(rb.code, 2);
    assert.match(rb.stderr, /bad\.yaml:2:\d+ input\.format/);
  });

  it('rejects an unknown --format as a usage error', async () => {
    const r = await cli(['replay', sample('redisctl'), '--format', 'syslog']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown input format "syslog"/);
  });
});
