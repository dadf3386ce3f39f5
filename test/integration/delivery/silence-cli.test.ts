// `auditwatch silence add | list | expire`, and a run that honours the silence.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../../helpers/tmp.js';
import { cli } from '../../helpers/cli.js';

const SAMPLE = fileURLToPath(new URL('../../../samples/mcp-audit-sample.jsonl', import.meta.url));
const NO_SINKS = { SLACK_WEBHOOK_URL: '', PAGERDUTY_ROUTING_KEY: '', NO_COLOR: '1' };
// Absolute, so the CLI can run from a temporary working directory (no ./alerts, no ./auditwatch.yaml).

describe('auditwatch silence', () => {
  it('adds, lists and expires silences in ./alerts/silences.yaml, and run honours them', async () => {
    const t = tempDir();
    const opts = { cwd: t.dir, env: NO_SINKS };
    const add = await cli(['silence', 'add', '--match', 'detector=denial-spike', '--match', 'callerId=agent-support-9', '--duration', '2h', '--author', 'alice', '--comment', 'known noisy agent'], opts);
    assert.equal(add.code, 0, add.stderr);
    const id = /^silence ([0-9a-f]{8}) added to .*alerts\/silences\.yaml: detector=denial-spike callerId=agent-support-9/.exec(add.stdout)?.[1];
    assert.ok(id, add.stdout);
    const file = readFileSync(`${t.dir}/alerts/silences.yaml`, 'utf8');
    assert.match(file, /createdBy: alice/);
    assert.match(file, /^# Planned quiet periods/, 'the header comment is kept');

    const list = await cli(['silence', 'list'], opts);
    assert.match(list.stdout, new RegExp(`^${id}  active `));

    // Silences act on wall-clock time, like Alertmanager's: active now, they mute this run.
    const run = await cli(['run', '--input', SAMPLE], opts);
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stdout, /denial-spike/, 'silenced: not sent');
    assert.match(run.stdout, /rate-limit-burst/, 'others still are');
    assert.match(run.stderr, /silenced 2 \(denial-spike: 2\)/, 'recorded and counted (the fire and its resolve)');

    const expired = await cli(['silence', 'expire', id], opts);
    assert.equal(expired.code, 0, expired.stderr);
    const all = await cli(['silence', 'list', '--all'], opts);
    assert.match(all.stdout, new RegExp(`^${id}  expired `, 'm'));
    assert.match((await cli(['silence', 'list'], opts)).stdout, /no active or pending silences/);
  });

  it('rejects a bad matcher as a usage error', async () => {
    const t = tempDir();
    const r = await cli(['silence', 'add', '--match', 'host=x', '--duration', '1h', '--comment', 'c'], { cwd: t.dir, env: NO_SINKS });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--match host=x: unknown label "host"/);
  });
});
