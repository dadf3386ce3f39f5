import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveSecret } from '../../src/config/secret-ref.js';
import { isAuditwatchError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';

const use = { owner: 'sink "slack"', what: 'Slack incoming webhook URL' };

function missing(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(isAuditwatchError(err, 'SECRET_MISSING'), String(err));
    return err.message;
  }
  assert.fail('expected SECRET_MISSING');
}

describe('secret references', () => {
  it('reads an environment variable into a Secret that never prints', () => {
    const s = resolveSecret({ env: 'HOOK' }, use, { HOOK: 'https://hooks.example/T1/B1/shh ' });
    assert.equal(s.reveal(), 'https://hooks.example/T1/B1/shh');
    assert.equal(String(s), '<secret>');
    assert.equal(JSON.stringify({ s }), '{"s":"<secret>"}');
  });

  it('names the missing variable and the sink, never a value', () => {
    const msg = missing(() => resolveSecret({ env: 'SLACK_WEBHOOK_URL' }, use, { OTHER: 'https://hooks.slack.com/services/T/B/x' }));
    assert.equal(msg, 'sink "slack": environment variable SLACK_WEBHOOK_URL is not set (it must hold the Slack incoming webhook URL)');
    assert.match(missing(() => resolveSecret({ env: 'EMPTY' }, use, { EMPTY: '  ' })), /EMPTY is not set/);
  });

  it('reads a file (one trailing newline dropped) and names an unreadable or empty one', () => {
    const t = tempDir();
    const f = t.write('hook', 'https://hooks.example/x\n');
    assert.equal(resolveSecret({ file: f }, use, {}).reveal(), 'https://hooks.example/x');
    assert.match(missing(() => resolveSecret({ file: `${t.dir}/nope` }, use, {})), /cannot read the Slack incoming webhook URL from file .*nope \(ENOENT\)/);
    const empty = t.write('empty', '\n');
    assert.match(missing(() => resolveSecret({ file: empty }, use, {})), /is empty/);
  });
});
