import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compactRecords, replayRecords, type Entry } from '../../src/outbox/entry.js';
import { FileStore } from '../../src/outbox/file-store.js';
import type { OutboxRecord } from '../../src/outbox/records.js';
import { isAuditwatchError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';
import { note } from './helpers.js';

const T = Date.UTC(2026, 2, 5, 9);
const enq = (id: string, sinks = ['slack']): OutboxRecord => ({ t: 'enq', sinks, n: note(id, `k-${id}`, T) });

describe('file outbox store', () => {
  it('reads back what it appended, across instances', async () => {
    const path = join(tempDir().dir, 'sub', 'outbox.jsonl');
    const a = new FileStore(path);
    assert.deepEqual((await a.load()).records, []);
    await Promise.all([a.append([enq('n1')]), a.append([{ t: 'try', id: 'n1', sink: 'slack', attempt: 1, at: T }])]);
    await a.append([{ t: 'ok', id: 'n1', sink: 'slack', at: T + 1 }]);
    assert.equal(a.appendedSinceRewrite, 3);
    await a.close();
    const b = new FileStore(path);
    const loaded = await b.load();
    assert.deepEqual(loaded.records.map((r) => r.t), ['enq', 'try', 'ok']);
    assert.equal(loaded.tornTail, false);
    await b.close();
  });

  it('drops a torn last line (a crash mid-write) and appends cleanly after it', async () => {
    const path = join(tempDir().dir, 'outbox.jsonl');
    writeFileSync(path, JSON.stringify(enq('n1')) + '\n' + '{"t":"try","id":"n1","si');
    const s = new FileStore(path);
    const loaded = await s.load();
    assert.equal(loaded.tornTail, true);
    assert.deepEqual(loaded.records.map((r) => r.t), ['enq']);
    await s.append([{ t: 'ok', id: 'n1', sink: 'slack', at: T }]);
    await s.close();
    assert.deepEqual(readFileSync(path, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { t: string }).t), ['enq', 'ok']);
  });

  it('skips and counts a corrupt line in the middle instead of failing', async () => {
    const path = join(tempDir().dir, 'outbox.jsonl');
    writeFileSync(path, [JSON.stringify(enq('n1')), 'garbage', JSON.stringify({ t: 'ok', id: 'n1' }), JSON.stringify({ t: 'ok', id: 'n1', sink: 'slack', at: T })].join('\n') + '\n');
    const s = new FileStore(path);
    const loaded = await s.load();
    assert.equal(loaded.skipped, 2, 'not JSON, and JSON that is not a record');
    assert.deepEqual(loaded.records.map((r) => r.t), ['enq', 'ok']);
    await s.close();
  });

  it('rewrites atomically; appends made during a rewrite land after it', async () => {
    const path = join(tempDir().dir, 'outbox.jsonl');
    const s = new FileStore(path);
    await s.load();
    await s.append([enq('old')]);
    const rewrite = s.rewrite(() => [enq('kept')]);
    const later = s.append([{ t: 'ok', id: 'kept', sink: 'slack', at: T }]);
    await Promise.all([rewrite, later]);
    assert.equal(existsSync(`${path}.tmp`), false);
    await s.close();
    const again = new FileStore(path);
    assert.deepEqual((await again.load()).records.map((r) => (r.t === 'enq' ? r.n.id : r.t)), ['kept', 'ok']);
    await again.close();
  });

  it('refuses an outbox another live process holds, and takes over a dead one\'s lock', async () => {
    const path = join(tempDir().dir, 'outbox.jsonl');
    writeFileSync(`${path}.lock`, '1\n'); // pid 1 is always alive
    await assert.rejects(new FileStore(path).load(), (err: unknown) => isAuditwatchError(err, 'USAGE') && /in use by process 1/.test(err.message));
    writeFileSync(`${path}.lock`, '2147483646\n');
    const s = new FileStore(path);
    await s.load();
    assert.equal(readFileSync(`${path}.lock`, 'utf8').trim(), String(process.pid));
    await s.close();
    assert.equal(existsSync(`${path}.lock`), false);
  });

  it('reports a write failure as an error naming the file', async () => {
    const dir = tempDir().dir;
    const s = new FileStore(join(dir, 'outbox.jsonl'));
    await s.load();
    await s.close();
    await assert.rejects(s.append([enq('x')]), /not open/);
  });
});

describe('outbox compaction', () => {
  it('keeps pending work and finished ids, and replays to the same state', () => {
    const log: OutboxRecord[] = [
      enq('done-ok'),
      { t: 'try', id: 'done-ok', sink: 'slack', attempt: 1, at: T },
      { t: 'ok', id: 'done-ok', sink: 'slack', at: T + 1 },
      enq('pending', ['slack', 'pd']),
      { t: 'try', id: 'pending', sink: 'slack', attempt: 2, at: T },
      { t: 'try', id: 'pending', sink: 'pd', attempt: 1, at: T },
      { t: 'fail', id: 'pending', sink: 'pd', at: T, reason: 'ECONNREFUSED', uncertain: false },
      enq('dropped'),
      { t: 'drop', id: 'dropped', sink: 'slack', at: T + 2, reason: 'HTTP 400' },
      enq('ancient'),
      { t: 'ok', id: 'ancient', sink: 'slack', at: T - 30 * 86_400_000 },
    ];
    const before = new Map<string, Entry>();
    replayRecords(log, before);
    const compacted = compactRecords(before.values(), T - 7 * 86_400_000);
    assert.ok(compacted.length < log.length);
    const after = new Map<string, Entry>();
    replayRecords(compacted, after);
    const view = (m: Map<string, Entry>) =>
      [...m.values()].filter((e) => e.id !== 'ancient').map((e) => e.status === 'pending' ? [e.id, e.sink, e.status, e.attempts, e.uncertain, e.n?.id] : [e.id, e.sink, e.status, e.reported, e.lastReason]).sort();
    assert.deepEqual(view(after), view(before));
    assert.equal([...after.values()].some((e) => e.id === 'ancient'), false, 'delivered long ago: forgotten');
  });
});
