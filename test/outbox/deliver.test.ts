import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Outbox, type DeliveryObserver } from '../../src/outbox/deliver.js';
import type { OutboxRecord } from '../../src/outbox/records.js';
import { MemoryStore, type LoadResult, type OutboxStore } from '../../src/outbox/store.js';
import type { Sink } from '../../src/sinks/sink.js';
import { FakeClock, runUntil } from './fake-clock.js';
import { note, routed, ScriptedSink } from './helpers.js';

interface Setup {
  clock: FakeClock;
  store: MemoryStore;
  sink: ScriptedSink;
  outbox: Outbox;
  events: string[];
}

async function setup(o: { sink?: (c: FakeClock) => ScriptedSink; store?: MemoryStore; maxAgeMs?: number; clock?: FakeClock; extra?: Sink[] } = {}): Promise<Setup> {
  const clock = o.clock ?? new FakeClock();
  const store = o.store ?? new MemoryStore();
  const sink = o.sink?.(clock) ?? new ScriptedSink('hook', clock);
  const events: string[] = [];
  const observer: DeliveryObserver = {
    delivered: (e) => events.push(`ok ${e.sink} ${e.id}`),
    retrying: (e) => events.push(`retry ${e.sink} ${e.id} ${e.delayMs}`),
    dropped: (e) => events.push(`drop ${e.sink} ${e.id}${e.gone ? ' gone' : ''}`),
    gaveUp: (e) => events.push(`gaveup ${e.sink} ${e.id}`),
    reported: (s, n) => events.push(`reported ${s} ${n}`),
  };
  const sinks = new Map<string, Sink>([[sink.name, sink], ...(o.extra ?? []).map((s): [string, Sink] => [s.name, s])]);
  const { outbox } = await Outbox.open({ store, sinks, clock, random: () => 0, observer, ...(o.maxAgeMs === undefined ? {} : { maxAgeMs: o.maxAgeMs }) });
  return { clock, store, sink, outbox, events };
}

const settle = (s: Setup, done: () => boolean, limitMs = 3_600_000): Promise<void> =>
  runUntil(s.clock, () => s.outbox.idle(), done, limitMs, () => `calls ${s.sink.ids().join(',')}; events ${s.events.join('; ')}`);

const kinds = (records: readonly OutboxRecord[]): string[] => records.map((r) => (r.t === 'enq' ? `enq ${r.n.id}` : `${r.t} ${r.id}`));

describe('outbox delivery', () => {
  it('records the notification and the attempt before the sink is called, then the answer', async () => {
    const s = await setup();
    s.sink.answer = () => {
      // At the moment of the call the store already says "enqueued" and "trying".
      assert.deepEqual(kinds(s.store.snapshot()), ['enq n1', 'try n1']);
      return { kind: 'ok' };
    };
    await s.outbox.enqueue(routed(['hook'], note('n1', 'k', s.clock.now())));
    await settle(s, () => s.outbox.pending === 0);
    assert.deepEqual(kinds(s.store.snapshot()), ['enq n1', 'try n1', 'ok n1']);
    assert.deepEqual(s.events, ['ok hook n1']);
  });

  it('records the first attempt in the same append as the notification (one fsync before the request)', async () => {
    class CountingStore extends MemoryStore {
      readonly appends: string[][] = [];
      override append(records: readonly OutboxRecord[]): Promise<void> {
        this.appends.push(kinds(records));
        return super.append(records);
      }
    }
    const store = new CountingStore();
    const s = await setup({ store });
    const calledAfter: number[] = [];
    s.sink.answer = () => {
      calledAfter.push(store.appends.length);
      return { kind: 'ok' };
    };
    await s.outbox.enqueue(routed(['hook'], note('n1', 'k', s.clock.now()), note('n2', 'k', s.clock.now()), note('n3', 'j', s.clock.now())));
    await settle(s, () => s.outbox.pending === 0);
    // n2 waits behind n1 in its lane: its attempt is recorded when it is its turn.
    assert.deepEqual(store.appends[0], ['enq n1', 'enq n2', 'enq n3', 'try n1', 'try n3']);
    assert.deepEqual(calledAfter.slice(0, 2), [1, 1], 'the first requests leave after one append');
    assert.deepEqual(kinds(store.snapshot()).filter((k) => k.startsWith('try')).sort(), ['try n1', 'try n2', 'try n3']);

    // A paused sink gets no 'try' with the notification: the attempt is recorded when it starts.
    s.sink.answer = () => ({ kind: 'retry', reason: 'HTTP 503' });
    await s.outbox.enqueue(routed(['hook'], note('n4', 'x', s.clock.now())));
    await s.outbox.idle();
    const before = store.appends.length;
    await s.outbox.enqueue(routed(['hook'], note('n5', 'y', s.clock.now())));
    assert.deepEqual(store.appends[before], ['enq n5']);
  });

  it('does not call the sink until the records are durable', async () => {
    const clock = new FakeClock();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    class SlowStore extends MemoryStore {
      override async append(records: readonly OutboxRecord[]): Promise<void> {
        await gate;
        return super.append(records);
      }
    }
    const s = await setup({ clock, store: new SlowStore() });
    const enq = s.outbox.enqueue(routed(['hook'], note('n1', 'k', clock.now())));
    await new Promise((r) => setImmediate(r));
    assert.equal(s.sink.calls.length, 0);
    release();
    await enq;
    await settle(s, () => s.outbox.pending === 0);
    assert.equal(s.sink.calls.length, 1);
  });

  it('never sends a (notification, sink) twice: duplicates in a batch, later, and after a restart', async () => {
    const s = await setup();
    const n = note('n1', 'k', s.clock.now());
    assert.deepEqual(await s.outbox.enqueue([...routed(['hook'], n), ...routed(['hook'], n)]), { added: 1, duplicates: 1 });
    await settle(s, () => s.outbox.pending === 0);
    assert.deepEqual(await s.outbox.enqueue(routed(['hook'], n)), { added: 0, duplicates: 1 });
    const again = await setup({ store: new MemoryStore(s.store.snapshot()), clock: s.clock });
    assert.deepEqual(await again.outbox.enqueue(routed(['hook'], n)), { added: 0, duplicates: 1 });
    await settle(again, () => again.outbox.pending === 0);
    assert.equal(again.sink.calls.length, 0);
  });

  it('retries with exponential backoff, one probe at a time while the sink fails', async () => {
    const s = await setup({ sink: (c) => new ScriptedSink('hook', c, { concurrency: 8 }) });
    let failing = true;
    s.sink.answer = () => (failing ? { kind: 'retry', reason: 'HTTP 503' } : { kind: 'ok' });
    const t0 = s.clock.now();
    await s.outbox.enqueue(routed(['hook'], ...Array.from({ length: 20 }, (_, i) => note(`n${i}`, `k${i}`, t0))));
    await settle(s, () => s.sink.calls.length >= 11);
    // The first batch goes out in parallel (nothing is known to be wrong yet) and counts as one
    // failure; then one probe per pause: 0.5 s, 1 s, 2 s... (random() = 0 takes the short half).
    assert.deepEqual(s.sink.calls.slice(0, 8).map((c) => c.at - t0), [0, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(s.sink.calls.slice(8, 11).map((c) => c.at - t0), [500, 1500, 3500]);
    assert.ok(s.sink.maxInFlight <= 8);
    failing = false;
    await settle(s, () => s.outbox.pending === 0);
    assert.equal(new Set(s.sink.ids()).size, 20, 'everything delivered in the end');
  });

  it('honours Retry-After and keeps to the sink rate', async () => {
    const s = await setup({ sink: (c) => new ScriptedSink('slack', c, { rateLimit: { perSecond: 1, burst: 1 }, concurrency: 1 }) });
    let first = true;
    s.sink.answer = () => {
      if (first) {
        first = false;
        return { kind: 'retry', reason: 'HTTP 429', retryAfterMs: 30_000 };
      }
      return { kind: 'ok' };
    };
    const t0 = s.clock.now();
    await s.outbox.enqueue(routed(['slack'], ...Array.from({ length: 5 }, (_, i) => note(`n${i}`, `k${i}`, t0))));
    await settle(s, () => s.outbox.pending === 0);
    const at = s.sink.calls.map((c) => c.at - t0);
    assert.equal(at[0], 0);
    assert.equal(at[1], 30_000, 'waits what the receiver asked');
    for (let i = 2; i < at.length; i++) assert.ok((at[i] ?? 0) - (at[i - 1] ?? 0) >= 1000, `1 per second: ${at.join(',')}`);
  });

  it('delivers in order per order key: a resolve never overtakes its trigger', async () => {
    const s = await setup();
    const t0 = s.clock.now();
    let failTrigger = 3;
    s.sink.answer = (n) => (n.id === 'trigger' && failTrigger-- > 0 ? { kind: 'retry', reason: 'reset', uncertain: true } : { kind: 'ok' });
    await s.outbox.enqueue(routed(['hook'], note('trigger', 'alert-1', t0), note('other', 'alert-2', t0)));
    await s.outbox.enqueue(routed(['hook'], note('resolve', 'alert-1', t0 + 1)));
    await settle(s, () => s.outbox.pending === 0);
    const ids = s.sink.ids();
    assert.ok(ids.lastIndexOf('trigger') < ids.indexOf('resolve'), ids.join(','));
    assert.equal(ids.filter((i) => i === 'resolve').length, 1);
    const last = s.sink.calls.filter((c) => c.id === 'trigger').at(-1);
    assert.equal(last?.ctx.possibleRepeat, true, 'after an uncertain failure the retry is a possible repeat');
    assert.equal(last?.ctx.attempt, 4);
  });

  it('gives up after the maximum age, says so, and tells the next successful message', async () => {
    const s = await setup({ maxAgeMs: 24 * 3_600_000 });
    const t0 = s.clock.now();
    s.sink.answer = (n) => (n.id === 'doomed' ? { kind: 'retry', reason: 'HTTP 502' } : { kind: 'ok' });
    await s.outbox.enqueue(routed(['hook'], note('doomed', 'a', t0)));
    await settle(s, () => s.events.includes('gaveup hook doomed'), 25 * 3_600_000);
    assert.ok(s.clock.now() - t0 >= 24 * 3_600_000);
    assert.equal(s.outbox.pending, 0);
    const gaveUp = s.store.snapshot().find((r) => r.t === 'gaveup');
    assert.ok(gaveUp?.t === 'gaveup' && /not delivered within 1440 min; last error: HTTP 502/.test(gaveUp.reason));
    await s.outbox.enqueue(routed(['hook'], note('next', 'b', s.clock.now())));
    await settle(s, () => s.outbox.pending === 0);
    const told = s.sink.calls.find((c) => c.id === 'next');
    assert.equal(told?.ctx.undelivered?.count, 1);
    assert.equal(told?.ctx.undelivered?.oldestAt, t0);
    assert.match(told?.ctx.undelivered?.reasons[0] ?? '', /HTTP 502/);
    assert.ok(s.events.includes('reported hook 1'));
    assert.ok(s.store.snapshot().some((r) => r.t === 'reported' && r.id === 'doomed'));
  });

  it('records a drop, moves on, and reports it; a gone endpoint is flagged', async () => {
    const s = await setup();
    s.sink.answer = (n) => (n.id === 'bad' ? { kind: 'drop', reason: 'HTTP 404: no_service', gone: true } : { kind: 'ok' });
    const t0 = s.clock.now();
    await s.outbox.enqueue(routed(['hook'], note('bad', 'a', t0), note('after', 'a', t0)));
    await settle(s, () => s.outbox.pending === 0);
    assert.deepEqual(s.sink.ids(), ['bad', 'after']);
    assert.ok(s.events.includes('drop hook bad gone'));
    assert.equal(s.sink.calls[1]?.ctx.undelivered?.count, 1);
  });

  it('resumes after a restart: pending notifications are sent, possibly-sent ones marked as possible repeats', async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    const n1 = note('sent-maybe', 'a', t0);
    const n2 = note('never-tried', 'b', t0);
    const n3 = note('refused-connection', 'c', t0);
    const log: OutboxRecord[] = [
      { t: 'enq', sinks: ['hook'], n: n1 },
      { t: 'enq', sinks: ['hook'], n: n2 },
      { t: 'enq', sinks: ['hook'], n: n3 },
      { t: 'try', id: 'sent-maybe', sink: 'hook', attempt: 1, at: t0 },
      { t: 'try', id: 'refused-connection', sink: 'hook', attempt: 1, at: t0 },
      { t: 'fail', id: 'refused-connection', sink: 'hook', at: t0, reason: 'ECONNREFUSED', uncertain: false },
    ];
    const s = await setup({ clock, store: new MemoryStore(log) });
    await settle(s, () => s.outbox.pending === 0);
    const byId = new Map(s.sink.calls.map((c) => [c.id, c.ctx]));
    assert.deepEqual(byId.get('sent-maybe'), { attempt: 2, possibleRepeat: true });
    assert.deepEqual(byId.get('never-tried'), { attempt: 1, possibleRepeat: false });
    assert.deepEqual(byId.get('refused-connection'), { attempt: 2, possibleRepeat: false });
  });

  it('keeps non-durable sinks (the console) out of the store', async () => {
    const s = await setup({ sink: (c) => new ScriptedSink('console', c, { durable: false }) });
    await s.outbox.enqueue(routed(['console'], note('n1', 'k', s.clock.now())));
    await settle(s, () => s.outbox.pending === 0);
    assert.deepEqual(s.store.snapshot(), []);
    assert.equal(s.sink.calls.length, 1);
  });

  it('drain returns what is still pending at its deadline', async () => {
    const s = await setup();
    s.sink.answer = () => ({ kind: 'retry', reason: 'down' });
    await s.outbox.enqueue(routed(['hook'], note('n1', 'k', s.clock.now())));
    await s.outbox.idle();
    const drained = s.outbox.drain(30_000);
    s.clock.advance(30_000);
    assert.equal(await drained, 1);
    s.sink.answer = () => ({ kind: 'ok' });
    const done = s.outbox.drain(120_000);
    await settle(s, () => s.outbox.pending === 0);
    assert.equal(await done, 0);
  });

  it('reports the backlog: depth and the oldest pending notification, per sink and in all', async () => {
    const clock = new FakeClock();
    const other = new ScriptedSink('other', clock);
    const s = await setup({ clock, extra: [other] });
    assert.deepEqual(s.outbox.backlog(), { depth: 0, oldestEnqueuedAtMs: undefined });
    let down = true;
    s.sink.answer = () => (down ? { kind: 'retry', reason: 'HTTP 503' } : { kind: 'ok' });
    const t0 = clock.now();
    // Enqueued out of creation order and across lanes: the oldest is found wherever it waits,
    // behind another entry of its lane included.
    await s.outbox.enqueue(routed(['hook', 'other'], note('mid', 'a', t0 + 2000)));
    await s.outbox.enqueue(routed(['hook'], note('old', 'a', t0), note('new', 'b', t0 + 5000)));
    await s.outbox.idle();
    assert.deepEqual(s.outbox.backlog('hook'), { depth: 3, oldestEnqueuedAtMs: t0 });
    assert.deepEqual(s.outbox.backlog('other'), { depth: 0, oldestEnqueuedAtMs: undefined }, 'delivered: not pending');
    assert.deepEqual(s.outbox.backlog(), { depth: 3, oldestEnqueuedAtMs: t0 });
    assert.deepEqual(s.outbox.backlog('no-such-sink'), { depth: 0, oldestEnqueuedAtMs: undefined });

    // A restart keeps the original times of what it recovers.
    const again = await setup({ clock, store: new MemoryStore(s.store.snapshot()), extra: [new ScriptedSink('other', clock)] });
    again.sink.answer = () => ({ kind: 'retry', reason: 'HTTP 503' });
    await again.outbox.idle();
    assert.deepEqual(again.outbox.backlog(), { depth: 3, oldestEnqueuedAtMs: t0 });
    await again.outbox.close();

    down = false;
    await settle(s, () => s.outbox.pending === 0);
    assert.deepEqual(s.outbox.backlog(), { depth: 0, oldestEnqueuedAtMs: undefined });
  });

  it('does not count given-up notifications in the backlog', async () => {
    const s = await setup({ maxAgeMs: 3_600_000 });
    s.sink.answer = () => ({ kind: 'retry', reason: 'HTTP 502' });
    await s.outbox.enqueue(routed(['hook'], note('doomed', 'a', s.clock.now())));
    await s.outbox.idle();
    assert.equal(s.outbox.backlog().depth, 1);
    await settle(s, () => s.events.includes('gaveup hook doomed'), 2 * 3_600_000);
    assert.deepEqual(s.outbox.backlog(), { depth: 0, oldestEnqueuedAtMs: undefined });
  });

  it('stops and reports when the store cannot write', async () => {
    class BrokenStore extends MemoryStore {
      override append(): Promise<void> {
        return Promise.reject(new Error('ENOSPC: no space left on device'));
      }
    }
    const failures: unknown[] = [];
    const clock = new FakeClock();
    const sink = new ScriptedSink('hook', clock);
    const { outbox } = await Outbox.open({ store: new BrokenStore(), sinks: new Map([['hook', sink]]), clock, observer: { storeFailed: (e) => failures.push(e) } });
    await assert.rejects(outbox.enqueue(routed(['hook'], note('n1', 'k', clock.now()))), /ENOSPC/);
    assert.equal(failures.length, 1);
    assert.equal(sink.calls.length, 0, 'nothing is sent that could not be recorded');
    await assert.rejects(outbox.enqueue(routed(['hook'], note('n2', 'k', clock.now()))), /ENOSPC/);
  });

  it('gives up at startup on notifications for sinks no longer configured', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore([{ t: 'enq', sinks: ['old'], n: note('n1', 'k', clock.now()) }]);
    const sink = new ScriptedSink('hook', clock);
    const { outbox, report } = await Outbox.open({ store, sinks: new Map([['hook', sink]]), clock });
    assert.equal(report.orphaned, 1);
    assert.equal(outbox.pending, 0);
    assert.ok(store.snapshot().some((r) => r.t === 'gaveup' && r.sink === 'old'));
  });
});

describe('outbox store contract (memory)', () => {
  it('loads what was appended and rewrites atomically', async () => {
    const store: OutboxStore = new MemoryStore();
    await store.load();
    await store.append([{ t: 'ok', id: 'a', sink: 's', at: 1 }]);
    assert.equal(store.appendedSinceRewrite, 1);
    await store.rewrite(() => [{ t: 'reported', id: 'a', sink: 's', at: 2 }]);
    const loaded: LoadResult = await store.load();
    assert.deepEqual(loaded.records, [{ t: 'reported', id: 'a', sink: 's', at: 2 }]);
    assert.equal(store.appendedSinceRewrite, 0);
  });
});

describe('outbox compaction while running', () => {
  it('rewrites the log once it grows, keeping what a restart needs', async () => {
    const s = await setup({ sink: (c) => new ScriptedSink('hook', c, { concurrency: 256 }) });
    const t0 = s.clock.now();
    const n = 20_000;
    for (let i = 0; i < n; i += 2000) await s.outbox.enqueue(routed(['hook'], ...Array.from({ length: 2000 }, (_, j) => note(`n${i + j}`, `k${i + j}`, t0))));
    await settle(s, () => s.outbox.pending === 0);
    await s.outbox.idle();
    // 3 records per notification were appended; the compacted log keeps one 'done' per id.
    assert.ok(s.store.snapshot().length < 2 * n, `log has ${s.store.snapshot().length} records`);
    assert.ok(s.store.snapshot().some((r) => r.t === 'done'));
    const again = await setup({ store: new MemoryStore(s.store.snapshot()), clock: s.clock });
    assert.equal(again.outbox.pending, 0);
    assert.deepEqual(await again.outbox.enqueue(routed(['hook'], note('n123', 'k123', t0))), { added: 0, duplicates: 1 });
  });
});
