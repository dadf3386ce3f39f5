import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Engine } from '../../../src/engine/engine.js';
import type { Transition } from '../../../src/engine/transition.js';
import { REJECTION_REASONS } from '../../../src/events/rejection.js';
import { INPUT_FORMATS, type InputFormat } from '../../../src/events/formats/registry.js';
import { leakDef } from '../../engine/leak-helpers.js';
import { streakDef, thresholdDef } from '../../engine/helpers.js';
import { decoder, fixture } from './helpers.js';

// Random and mutated messages through the whole edge: decoder (every format and auto), then the
// engine with every detector kind. Nothing may throw, every message ends accepted, rejected or
// late, the counts add up, reasons come from the documented set, and no rejection echoes a value.

const MARK = 'Zq9-planted-value';
const SEEDS = ['canonical', 'redisctl', 'redisctl-with-arguments', 'toolhive', 'toolhive-with-request-data', 'obot', 'audit-trail', 'ecs', 'mixed'].flatMap(fixture);
const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'token', 'callerId', 'outcome', 'fields', 'user.id', ''];

const leafArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1e308, -0, 429, 403, 'success', 'failure', 'denied', 'tool_denied', 'audit', 'audit_event', '2026-03-05T10:30:00Z', '2026-03-05 10:30:00', '', MARK, `${MARK} ghp_${'a1B2c3D4e5'.repeat(3)}abcdef`),
  fc.string({ maxLength: 12 }).map((s) => `${MARK}${s}`),
  fc.double(),
  fc.integer(),
);
const valueArb: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leafArb, fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(fc.constantFrom(...HOSTILE_KEYS), tie('v'), { maxKeys: 3 })),
})).v;

type Mutation = { kind: 'set' | 'delete' | 'rename' | 'wrap'; path: number[]; key: string; value: unknown };
const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('set', 'set', 'delete', 'rename', 'wrap'),
  path: fc.array(fc.nat(20), { minLength: 1, maxLength: 4 }),
  key: fc.constantFrom(...HOSTILE_KEYS),
  value: valueArb,
});

/** Applies one mutation at a path chosen by indexes into the keys met on the way. */
function mutate(root: unknown, m: Mutation): unknown {
  let node = root;
  for (let i = 0; i < m.path.length; i++) {
    if (node === null || typeof node !== 'object') return root;
    const obj = node as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 0) return root;
    const k = keys[(m.path[i] as number) % keys.length] as string;
    if (i < m.path.length - 1 && obj[k] !== null && typeof obj[k] === 'object') {
      node = obj[k];
      continue;
    }
    const v = obj[k];
    if (m.kind === 'delete') delete obj[k];
    else if (m.kind === 'wrap') obj[k] = [v];
    else if (m.kind === 'rename') {
      delete obj[k];
      Object.defineProperty(obj, m.key, { value: v, enumerable: true, writable: true, configurable: true });
    } else obj[k] = m.value;
    return root;
  }
  return root;
}

const messageArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...SEEDS), fc.array(mutationArb, { maxLength: 3 })).map(([line, ms]) => {
    let v: unknown;
    try {
      v = JSON.parse(line) as unknown;
    } catch {
      return line;
    }
    for (const m of ms) v = mutate(v, m);
    return JSON.stringify(v);
  }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...SEEDS), fc.nat(), fc.string({ maxLength: 5 })).map(([line, at, junk]) => line.slice(0, at % (line.length + 1)) + junk + line.slice(at % (line.length + 1))) },
  { weight: 1, arbitrary: valueArb.map((v) => JSON.stringify(v) ?? 'undefined') },
  { weight: 1, arbitrary: fc.nat(60).map((n) => `{"callerId":"c","tool":"t","outcome":"denied","timestamp":"2026-03-05T10:30:00Z","x":${'['.repeat(n)}${']'.repeat(n)}}`) },
  { weight: 1, arbitrary: fc.nat(3000).map((n) => `{"callerId":"${'c'.repeat(n)}","tool":"t","outcome":"error","timestamp":"2026-03-05T10:30:00Z","token":"${MARK}"}`) },
);

const DEFS = [
  thresholdDef({ id: 'burst', windowMs: 60_000, threshold: 1, where: { outcome: ['denied', 'rate_limited'] } }),
  streakDef({ id: 'streak', threshold: 1 }),
  leakDef({ id: 'leak', quietMs: 60_000 }),
];
const REASONS: ReadonlySet<string> = new Set(REJECTION_REASONS);

describe('fuzzing the input edge', () => {
  it('never throws, and every message is accepted, rejected (with a documented reason) or late', () => {
    const decoders = new Map(INPUT_FORMATS.map((f) => [f, decoder(f, {}, { maxBytes: 4096, maxDepth: 8, maxFieldLength: 64 })]));
    const total = { messages: 0, accepted: 0, fired: 0 };
    fc.assert(
      fc.property(fc.constantFrom(...INPUT_FORMATS), fc.array(messageArb, { minLength: 1, maxLength: 25, size: 'max' }), (format: InputFormat, messages) => {
        const d = decoders.get(format);
        assert.ok(d !== undefined);
        const engine = new Engine(DEFS, { latenessMs: 30_000 });
        const out: Transition[] = [];
        let accepted = 0;
        let rejected = 0;
        let late = 0;
        for (const m of messages) {
          const r = d.decode(m);
          if (!r.ok) {
            rejected++;
            assert.ok(REASONS.has(r.rejection.reason.split(':')[0] as string), r.rejection.reason);
            assert.ok(!r.rejection.detail.includes(MARK), `detail echoes a value: ${r.rejection.detail}`);
            continue;
          }
          assert.ok(r.event.callerId.length <= 64 && r.event.tool.length <= 64);
          if (engine.process(r.event, out) === 'late') late++;
          else accepted++;
        }
        assert.equal(accepted + rejected + late, messages.length);
        total.messages += messages.length;
        total.accepted += accepted;
        total.fired += out.filter((t) => t.type === 'fired').length;
        assert.equal(engine.accepted, accepted);
        assert.equal(engine.late, late);
        for (const t of out) if (t.type === 'fired' && t.evidence !== undefined) assert.ok(!t.evidence.path.includes('ghp_'));
      }),
      { numRuns: 300, seed: 20261125 },
    );
    // The generators must keep reaching the engine, or the test would check nothing.
    assert.ok(total.accepted > total.messages / 10, `only ${total.accepted} of ${total.messages} accepted`);
    assert.ok(total.fired > 0);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(Object.keys(Object.prototype), []);
  });
});
