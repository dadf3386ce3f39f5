import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { carriesValue, credentialRule, evidenceOf, LeakScanner, leakPlan, mayContainCredential, renderPath } from '../../src/engine/leak-scan.js';
import { containsCredential } from '../../src/text/secrets.js';
import { allPositives, mixedCorpus } from '../text/samples.js';
import { leakDef } from './leak-helpers.js';

const scanner = (o: Parameters<typeof leakDef>[0] = { quietMs: 1 }) => new LeakScanner(leakPlan(leakDef(o)));
const find = (msg: unknown, o?: Parameters<typeof leakDef>[0]) => {
  const f = scanner(o).find(msg);
  return f === undefined ? undefined : evidenceOf(f);
};

describe('leak scan', () => {
  it('finds deny-listed names case-insensitively at any depth, naming the path and never the value', () => {
    assert.deepEqual(find({ a: 1, API_KEY: 'k-123' }), { path: 'API_KEY', rule: 'field-name' });
    assert.deepEqual(find({ data: { request: { params: { name: 'x' } } } }), { path: 'data.request.params', rule: 'field-name' });
    assert.deepEqual(find({ headers: [{ x: 1 }, { Authorization: 'Basic abc' }] }), { path: 'headers[1].Authorization', rule: 'field-name' });
    assert.deepEqual(find({ 'odd key': { ClientSecret: 7 } }), { path: '["odd key"].ClientSecret', rule: 'field-name' });
    assert.equal(find({ tokenCount: 5, passwordPolicy: 'strict', arg: 'x' }), undefined); // exact names only
  });

  it('does not count a scrubbed or empty deny-listed field', () => {
    for (const v of ['', '   ', '[REDACTED]', 'redacted', 'FILTERED', '[secret]', '***', '<secret>', '[redacted:github-token]', 'xxxx', '…', null, false, true, [], {}]) {
      assert.equal(carriesValue(v), false, JSON.stringify(v));
      assert.equal(find({ password: v }), undefined, JSON.stringify(v));
    }
    for (const v of ['hunter2', 'secret', '[redacted', 0, 1234, ['a'], { q: 1 }]) assert.equal(carriesValue(v), true, JSON.stringify(v));
  });

  it('finds credentials in values with the secret screen, naming the rule', () => {
    const token = `ghp_${'a1B2c3D4e5'.repeat(3)}abcdef`;
    assert.deepEqual(find({ error: { message: `clone failed for https://x-access:${token}@github.com/o/r` } })?.path, 'error.message');
    assert.equal(find({ note: token })?.rule, containsCredential(token));
    assert.equal(find({ note: token }, { quietMs: 1, checkValues: false }), undefined);
  });

  it('honours allowPaths and a custom deny list', () => {
    assert.equal(find({ apiKey: 'key-name-7' }, { quietMs: 1, allowPaths: ['apiKey'] }), undefined);
    assert.deepEqual(find({ nested: { apiKey: 'x' } }, { quietMs: 1, allowPaths: ['apiKey'] })?.path, 'nested.apiKey');
    assert.deepEqual(find({ ssn: '1' }, { quietMs: 1, denyFields: ['SSN'] })?.path, 'ssn');
    assert.equal(find({ token: 'x' }, { quietMs: 1, denyFields: ['ssn'] }), undefined);
  });

  it('keeps secrets and control characters out of the rendered path', () => {
    const token = `ghp_${'a1B2c3D4e5'.repeat(3)}abcdef`;
    const path = renderPath(['x', token, 'token']);
    assert.ok(!path.includes(token), path);
    assert.ok(renderPath(['a\u001b[31m', 'b']).indexOf('\u001b') === -1);
    assert.ok(renderPath(['k'.repeat(10_000)]).length <= 200);
  });

  it('treats __proto__, constructor and prototype keys as data and stops at the depth limit', () => {
    const hostile = JSON.parse('{"__proto__":{"token":"abc"},"constructor":{"prototype":{}}}') as unknown;
    assert.deepEqual(find(hostile), { path: '__proto__.token', rule: 'field-name' });
    assert.equal(find({ constructor: 'x', prototype: 'y', toString: 'z' }), undefined);
    let deep: unknown = { token: 'x' };
    for (let i = 0; i < 40; i++) deep = { d: deep };
    assert.equal(find(deep), undefined);
  });

  it('ignores enumerable members of a polluted Object.prototype', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.token = 'inherited';
    try {
      assert.equal(find({ a: 1, b: { c: 'x' } }), undefined);
      assert.deepEqual(find({ a: { token: 'own' } }), { path: 'a.token', rule: 'field-name' });
    } finally {
      delete proto.token;
    }
  });

  it('the keyword pre-filter lets through any string with a non-ASCII character, wherever it is', () => {
    // Lower-casing is only exact per character for ASCII ("\u212A", the Kelvin sign, becomes "k").
    // (A single character cannot hold a keyword, whatever it lower-cases to.)
    for (const n of [2, 5, 6]) {
      for (let at = 0; at < n; at++) {
        const s = 'x'.repeat(at) + '\u212A' + 'x'.repeat(n - at - 1);
        assert.equal(mayContainCredential(s), true, JSON.stringify(s));
      }
    }
    assert.equal(mayContainCredential('xxxxx'), false);
  });

  it('the keyword pre-filter never hides a credential the screen would find', () => {
    for (const p of allPositives()) {
      if (containsCredential(p.text) !== undefined) assert.ok(mayContainCredential(p.text), p.text.slice(0, 60));
    }
    const corpus = mixedCorpus(400).split('\n');
    for (const text of corpus) assert.equal(credentialRule(text), containsCredential(text));
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCKEYTOKN_-:/=.@é İ0123456789'.split('')), maxLength: 60 }), (s) => {
        assert.equal(credentialRule(s), containsCredential(s));
      }),
      { numRuns: 2000, seed: 6 },
    );
  });
});
