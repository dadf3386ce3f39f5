import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readiness } from '../../../src/app/kafka/readiness.js';
import { DurableSender, splitBySize, StopError } from '../../../src/app/kafka/durable-send.js';
import { AuditwatchError } from '../../../src/errors.js';
import type { LogWriter, OutRecord } from '../../../src/sources/source.js';

describe('app/kafka/readiness', () => {
  it('is ready only when every declared component is, and says why not', () => {
    let now = 1_000;
    const r = new Readiness(() => now);
    assert.equal(r.ready, false, 'nothing declared yet');
    r.expect('kafka', 'connecting');
    r.expect('detection', 'waiting for an assignment');
    const changes: boolean[] = [];
    r.onChange((rep) => changes.push(rep.ready));
    r.set('kafka', true, 'joined');
    assert.equal(r.ready, false);
    now = 2_000;
    r.set('detection', true, 'processing 3 partitions');
    assert.equal(r.ready, true);
    r.set('kafka', false, 'broker unreachable');
    assert.deepEqual(r.report().components.kafka, { ok: false, detail: 'broker unreachable', since: 2_000 });
    assert.equal(r.ready, false);
    assert.deepEqual(changes, [false, true, false]);
  });
});

describe('app/kafka/durable-send', () => {
  const log = { log: () => undefined };
  const rec: OutRecord = { partition: 0, key: 'k', value: 'v' };

  it('retries a retriable failure until it succeeds, reporting not-ready meanwhile', async () => {
    let calls = 0;
    const readiness = new Readiness();
    const seen: boolean[] = [];
    const writer: LogWriter = {
      send: async () => {
        calls++;
        seen.push(readiness.ready);
        if (calls < 3) throw new AuditwatchError('KAFKA', 'connection refused', {}, { retriable: true });
        return new Map([[0, 41]]);
      },
    };
    const s = new DurableSender(writer, log, readiness, 'producer');
    assert.deepEqual([...(await s.send('t', [rec]))], [[0, 41]]);
    assert.equal(calls, 3);
    assert.equal(readiness.report().components.producer?.ok, true);
    assert.equal(seen[2], false, 'not ready while retrying');
  });

  it('stops for good on an error retrying cannot fix, and on stop()', async () => {
    const fatal = new AuditwatchError('KAFKA', 'not authorized', {}, { retriable: false });
    const s = new DurableSender({ send: () => Promise.reject(fatal) }, log, new Readiness(), 'producer');
    await assert.rejects(s.send('t', [rec]), (e) => e === fatal);
    await assert.rejects(s.send('t', [rec]), (e) => e === fatal);
    const stopping = new DurableSender({ send: () => Promise.reject(new AuditwatchError('KAFKA', 'down', {}, { retriable: true })) }, log, new Readiness(), 'producer');
    const pending = stopping.send('t', [rec]);
    stopping.stop();
    await assert.rejects(pending, StopError);
  });

  it('splits records into sends under a size, keeping their order', () => {
    const rs = Array.from({ length: 10 }, (_, i) => ({ partition: 0, key: null, value: 'x'.repeat(100 + i) }));
    const parts = splitBySize(rs, 400);
    assert.ok(parts.length > 1);
    assert.deepEqual(parts.flat(), rs);
    for (const p of parts) assert.ok(p.length === 1 || p.reduce((n, r) => n + (r.value?.length ?? 0) + 64, 0) <= 400);
  });
});
