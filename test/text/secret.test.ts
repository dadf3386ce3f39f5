import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { format, inspect } from 'node:util';
import { Secret, describeError, redactUrl } from '../../src/text/secret.js';
import { rand } from './samples.js';

const WEBHOOK = `https://hooks.slack.com/services/T${rand(8)}/B${rand(8)}/${rand(24)}`;

describe('Secret', () => {
  const s = new Secret(WEBHOOK);

  it('reveals the value only through reveal()', () => {
    assert.equal(s.reveal(), WEBHOOK);
  });

  it('prints <secret> through every conversion', () => {
    const shown = [
      String(s),
      `${s}`,
      s + '',
      s.toString(),
      JSON.stringify(s),
      JSON.stringify({ s }),
      inspect(s),
      inspect({ nested: { s } }, { depth: 5 }),
      format('%s', s),
      format('%o', s),
      format('%O', s),
      format('%j', { s }),
      [s].join(','),
    ];
    for (const out of shown) {
      assert.ok(!out.includes(WEBHOOK), out);
      assert.ok(out.includes('<secret>'), out);
    }
  });

  it('does not expose the value as an own property', () => {
    assert.deepEqual(Object.keys(s), []);
    assert.deepEqual(Object.getOwnPropertyNames(s), []);
    assert.deepEqual({ ...s }, {});
    assert.ok(!JSON.stringify(structuredClone({ x: { ...s } })).includes(WEBHOOK));
  });

  it('is frozen', () => {
    assert.ok(Object.isFrozen(s));
  });

  it('compares values', () => {
    assert.equal(s.equals(new Secret(WEBHOOK)), true);
    assert.equal(s.equals(new Secret(`${WEBHOOK}x`)), false);
    assert.equal(s.equals(new Secret('')), false);
    assert.equal(new Secret('').equals(new Secret('')), true);
  });

  it('scrubs its value (plain and percent-encoded) from text', () => {
    const msg = `POST ${WEBHOOK} failed; retry url=${encodeURIComponent(WEBHOOK)}`;
    assert.equal(s.scrub(msg), 'POST <secret> failed; retry url=<secret>');
    assert.equal(new Secret('').scrub('abc'), 'abc');
  });

  it('rejects non-strings at runtime', () => {
    assert.throws(() => new Secret(42 as unknown as string), TypeError);
  });
});

describe('redactUrl', () => {
  it('redacts the path tokens of a Slack webhook URL but keeps host and plain words', () => {
    assert.equal(
      redactUrl(`request to ${WEBHOOK} failed`),
      'request to https://hooks.slack.com/services/[redacted]/[redacted]/[redacted] failed',
    );
  });

  it('strips userinfo, query and fragment', () => {
    assert.equal(
      redactUrl('GET https://user:pw@api.example.com:8443/v2/items?token=abc&x=1#frag.'),
      'GET https://[redacted]@api.example.com:8443/v2/items?[redacted]#[redacted].',
    );
  });

  it('keeps versioned API paths readable', () => {
    assert.equal(redactUrl('https://events.pagerduty.com/v2/enqueue'), 'https://events.pagerduty.com/v2/enqueue');
    assert.equal(redactUrl('https://slack.com/api/chat.postMessage'), 'https://slack.com/api/chat.postMessage');
  });

  it('redacts ids and token-like segments', () => {
    assert.equal(redactUrl('https://x.example/users/12345/keys/AbCdEfGhIjKlMn'), 'https://x.example/users/[redacted]/keys/[redacted]');
    assert.equal(redactUrl(`https://x.example/${'a'.repeat(30)}`), 'https://x.example/[redacted]');
  });

  it('handles several URLs, trailing punctuation and non-http schemes', () => {
    assert.equal(
      redactUrl('tried (https://a.example/t0k3n), then postgres://u:p@db:5432/main; done'),
      'tried (https://a.example/[redacted]), then postgres://[redacted]@db:5432/main; done',
    );
  });

  it('falls back to scheme and host for unparsable URLs', () => {
    assert.equal(redactUrl('bad http://exa mple'), 'bad http://exa mple');
    assert.equal(redactUrl('bad https://[::1/x?y'), 'bad https://[::1/[redacted]');
  });

  it('leaves text without URLs alone', () => {
    assert.equal(redactUrl('connect ECONNREFUSED 10.0.0.1:443'), 'connect ECONNREFUSED 10.0.0.1:443');
  });
});

describe('describeError', () => {
  it('follows the cause chain and redacts URLs', () => {
    const cause = Object.assign(new Error(`connect ETIMEDOUT ${WEBHOOK}`), { code: 'ETIMEDOUT' });
    const err = new TypeError('fetch failed', { cause });
    assert.equal(
      describeError(err),
      'TypeError: fetch failed <- caused by: Error [ETIMEDOUT]: connect ETIMEDOUT https://hooks.slack.com/services/[redacted]/[redacted]/[redacted]',
    );
  });

  it('describes non-errors', () => {
    assert.equal(describeError(`oops ${WEBHOOK}`), 'oops https://hooks.slack.com/services/[redacted]/[redacted]/[redacted]');
    assert.equal(describeError({ url: WEBHOOK }).includes(WEBHOOK), false);
    assert.equal(describeError(new Error('x', { cause: new Secret(WEBHOOK) })), 'Error: x <- caused by: <secret>');
  });

  it('stops after five causes', () => {
    let e: Error = new Error('root');
    for (let i = 0; i < 10; i++) e = new Error(`level ${i}`, { cause: e });
    assert.equal(describeError(e).split('<- caused by').length, 5);
  });
});
