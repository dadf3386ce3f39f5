import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { diffOwned } from '../../src/provision/diff.js';
import type { DesiredObject, LiveObject } from '../../src/provision/model.js';
import { buildPlan } from '../../src/provision/plan.js';
import { renderPlan } from '../../src/provision/render.js';

const exact = { kind: 'exact', why: 'same window', limits: [] } as const;
function desired(key: string, owned: DesiredObject['owned']): DesiredObject {
  return { target: 'datadog', kind: 'monitor', key, detector: key, title: `[auditwatch] ${key}`, owned, revision: 'r', exactness: exact };
}
function live(key: string, id: string, owned: LiveObject['owned']): LiveObject {
  return { target: 'datadog', kind: 'monitor', key, id, title: key, owned };
}

describe('field-level diff', () => {
  it('reports changed, added and removed fields by path', () => {
    const changes = diffOwned({ query: 'a > 1', options: { thresholds: { critical: 1, warning: 0 } }, tags: ['x:1'] }, { query: 'a > 2', options: { thresholds: { critical: 2 } }, tags: ['x:1'], name: 'n' });
    assert.deepEqual(changes, [
      { path: 'name', before: undefined, after: 'n' },
      { path: 'options.thresholds.critical', before: 1, after: 2 },
      { path: 'options.thresholds.warning', before: 0, after: undefined },
      { path: 'query', before: 'a > 1', after: 'a > 2' },
    ]);
  });

  it('ignores key order and compares scalar arrays whole', () => {
    assert.deepEqual(diffOwned({ a: { x: 1, y: 2 }, t: ['a', 'b'] }, { a: { y: 2, x: 1 }, t: ['a', 'b'] }), []);
    assert.deepEqual(diffOwned({ t: ['a', 'b'] }, { t: ['a', 'c'] }), [{ path: 't', before: ['a', 'b'], after: ['a', 'c'] }]);
  });
});

describe('plan', () => {
  it('creates what is missing, updates what differs, leaves the rest unchanged', () => {
    const plan = buildPlan({
      desired: [desired('a', { q: 1 }), desired('b', { q: 2 }), desired('c', { q: 3 })],
      skipped: [{ target: 'datadog', kind: 'monitor', detector: 'd', reason: 'kind "leak" not provisionable' }],
      live: [live('b', '10', { q: 2 }), live('c', '11', { q: 4 })],
      prune: false,
    });
    assert.deepEqual(plan.entries.map((e) => [e.action, e.key]), [['create', 'a'], ['unchanged', 'b'], ['update', 'c'], ['skip', 'd']]);
    assert.deepEqual(plan.entries[2]?.changes, [{ path: 'q', before: 4, after: 3 }]);
    assert.equal(plan.hasChanges, true);
  });

  it('deletes managed objects no detector compiles to only with --prune, oldest twin kept', () => {
    const input = { desired: [desired('a', { q: 1 })], skipped: [], live: [live('a', '20', { q: 1 }), live('a', '7', { q: 1 }), live('gone', '30', { q: 9 })] };
    const kept = buildPlan({ ...input, prune: false });
    assert.deepEqual(kept.entries.map((e) => [e.action, e.key, e.remoteId]), [['unchanged', 'a', '7'], ['orphan', 'a', '20'], ['orphan', 'gone', '30']]);
    assert.equal(kept.hasChanges, false, 'orphans without --prune are not changes');
    const pruned = buildPlan({ ...input, prune: true });
    assert.deepEqual(pruned.entries.map((e) => [e.action, e.remoteId]), [['unchanged', '7'], ['delete', '20'], ['delete', '30']]);
    assert.match(pruned.entries[1]?.reason ?? '', /duplicate of 7/);
  });

  it('renders a plan with diffs, exactness notes and a summary, and neutralises control characters from remote values', () => {
    const plan = buildPlan({ desired: [desired('c', { name: 'new' })], skipped: [], live: [live('c', '11', { name: 'evil\u001b[2J\u202ename' })], prune: false });
    const text = renderPlan(plan, { mode: 'dry-run' });
    assert.match(text, /~ update {4}datadog\/monitor c \(id 11\)/);
    assert.match(text, /~ name: "evil.*name" → "new"/);
    assert.ok(!text.includes('\u001b') && !text.includes('\u202e'), 'no raw control or bidi characters');
    assert.match(text, /datadog\/monitor c: exact: same window/);
    assert.match(text, /Plan: 0 to create, 1 to update, 0 to delete, 0 unchanged, 0 skipped, 0 orphaned\. Run with --apply/);
  });
});
