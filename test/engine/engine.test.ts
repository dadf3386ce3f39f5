import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { T0, brief, ev, run, streakDef, thresholdDef } from './helpers.js';
import { Engine } from '../../src/engine/engine.js';
import type { Transition } from '../../src/engine/transition.js';

const W = 1000;

describe('clause 1: lateness', () => {
  it('drops an event earlier than maxTs - L before any detector sees it, and accepts one exactly at the bound', () => {
    const d = thresholdDef({ windowMs: W, threshold: 1 });
    const r = run([d], [ev(T0 + 500, 'a'), ev(T0 + 100, 'a'), ev(T0 + 99, 'a'), ev(T0 + 600, 'a')], 400);
    assert.deepEqual(r.verdicts, ['accepted', 'accepted', 'late', 'accepted']);
    assert.equal(r.engine.late, 1);
    // 100 was accepted exactly at maxTs - L: count(500) = 2 fires at 500; 99 never counts.
    assert.deepEqual(brief(r.transitions), ['burst:a:fired@500#2']);
  });

  it('a late event does not advance maxTs and does not touch streaks', () => {
    const s = streakDef({ threshold: 1 });
    const r = run([s], [ev(T0 + 1000, 'a', 'error'), ev(T0, 'a', 'success'), ev(T0 + 1001, 'a', 'error')], 10);
    assert.deepEqual(r.verdicts, ['accepted', 'late', 'accepted']);
    assert.deepEqual(brief(r.transitions), ['streak:a:fired@1001#2']);
    assert.equal(r.engine.watermark, T0 + 1001);
  });
});

describe('clause 2: threshold fires when the count in (t - W, t] exceeds the threshold', () => {
  it('does not fire at exactly the threshold and fires on the next event', () => {
    const d = thresholdDef({ windowMs: W, threshold: 3 });
    const r1 = run([d], [0, 10, 20].map((o) => ev(T0 + o, 'a')));
    assert.deepEqual(r1.transitions, []);
    const r2 = run([d], [0, 10, 20, 30].map((o) => ev(T0 + o, 'a')));
    assert.deepEqual(brief(r2.transitions), ['burst:a:fired@30#4']);
    assert.equal(r2.json[0]?.windowStart, new Date(T0 + 30 - W).toISOString());
  });

  it('the window is half-open: an event exactly W earlier no longer counts', () => {
    const d = thresholdDef({ windowMs: W, threshold: 1 });
    const r = run([d], [ev(T0, 'a'), ev(T0 + W, 'a')]);
    assert.deepEqual(r.transitions, []);
    const r2 = run([d], [ev(T0, 'a'), ev(T0 + W - 1, 'a')]);
    assert.deepEqual(brief(r2.transitions), ['burst:a:fired@999#2']);
  });

  it('an out-of-order event fires at the smallest later event time whose window it completes', () => {
    const d = thresholdDef({ windowMs: W, threshold: 2 });
    // 100, 600, 1200 never exceed 2 in a window; then 50 arrives (within lateness): count(100)
    // becomes 2, count(600) 3, count(1200) stays 2 (50 expired): fires at 600 with count 3.
    const r = run([d], [ev(T0 + 100, 'a'), ev(T0 + 600, 'a'), ev(T0 + 1200, 'a'), ev(T0 + 50, 'a')], 5000);
    assert.deepEqual(brief(r.transitions), ['burst:a:fired@600#3']);
  });

  it('ties count together and the reported count is the exact count at the fire time', () => {
    const d = thresholdDef({ windowMs: W, threshold: 1 });
    const r = run([d], [ev(T0 + 5, 'a'), ev(T0 + 5, 'a')]);
    assert.deepEqual(brief(r.transitions), ['burst:a:fired@5#2']);
  });

  it('only events matching where count, and keys are independent', () => {
    const d = thresholdDef({ windowMs: W, threshold: 1 });
    const r = run([d], [ev(T0, 'a'), ev(T0 + 1, 'a', 'success'), ev(T0 + 2, 'b'), ev(T0 + 3, 'a')]);
    assert.deepEqual(brief(r.transitions), ['burst:a:fired@3#2']);
  });
});

describe('clause 3: resolve at the first quiet time, once no accepted event can change it', () => {
  it('resolves at the expiry that brings the count back to the threshold, when maxTs - L passes it', () => {
    const d = thresholdDef({ windowMs: W, threshold: 1 });
    // fire at 10 (count 2). count(t) <= 1 again at 0 + W = 1000.
    const r = run([d], [ev(T0, 'a'), ev(T0 + 10, 'a'), ev(T0 + 1100, 'b', 'success'), ev(T0 + 1101, 'b', 'success')], 100);
    // At maxTs 1100, maxTs - L = 1000: r = 1000 is not < 1000, so no resolve yet; at 1101 it resolves.
    assert.deepEqual(brief(r.transitions), ['burst:a:fired@10#2', 'burst:a:resolved@1000']);
    assert.equal(r.json[1]?.at, new Date(T0 + 1000).toISOString());
    const r2 = run([d], [ev(T0, 'a'), ev(T0 + 10, 'a'), ev(T0 + 1100, 'b', 'success')], 100);
    assert.deepEqual(brief(r2.transitions), ['burst:a:fired@10#2']);
  });

  it('recomputes the resolve time when a matching event for the key is accepted', () => {
    const d = thresholdDef({ windowMs: W, threshold: 1 });
    // fired at 10; r was 1000; an event at 500 keeps (500, 1500] above 1 until 1010.
    const r = run([d], [ev(T0, 'a'), ev(T0 + 10, 'a'), ev(T0 + 500, 'a'), ev(T0 + 3000, 'z', 'success')], 0);
    assert.deepEqual(brief(r.transitions), ['burst:a:fired@10#2', 'burst:a:resolved@1010']);
  });

  it('re-fires right after a resolve when a later event time is already above the threshold', () => {
    const d = thresholdDef({ windowMs: W, threshold: 1 });
    // 0, 10 fire at 10; r = 1000 (count(1000) = 1: only 10... wait 10 is in (0,1000]: count 1).
    // 1005 makes count(1005) = 2 (10 and 1005): after resolving at 1000 it fires again at 1005.
    const r = run([d], [ev(T0, 'a'), ev(T0 + 10, 'a'), ev(T0 + 1005, 'a'), ev(T0 + 5000, 'z', 'success')], 10);
    assert.deepEqual(brief(r.transitions), ['burst:a:fired@10#2', 'burst:a:resolved@1000', 'burst:a:fired@1005#2', 'burst:a:resolved@1010']);
  });

  it('does not resolve while the count stays above the threshold', () => {
    const d = thresholdDef({ windowMs: W, threshold: 2 });
    const evs = Array.from({ length: 50 }, (_, i) => ev(T0 + i * 100, 'a'));
    const r = run([d], evs, 0);
    assert.deepEqual(brief(r.transitions), ['burst:a:fired@200#3']);
  });

  it('resolves of different keys and detectors come out in event-time order', () => {
    const d1 = thresholdDef({ id: 'one', windowMs: 2000, threshold: 0 });
    const d2 = thresholdDef({ id: 'two', windowMs: 500, threshold: 0 });
    const r = run([d1, d2], [ev(T0, 'a'), ev(T0 + 100, 'b'), ev(T0 + 10_000, 'z', 'success')], 0);
    assert.deepEqual(brief(r.transitions), [
      'one:a:fired@0#1',
      'two:a:fired@0#1',
      'one:b:fired@100#1',
      'two:b:fired@100#1',
      'two:a:resolved@500',
      'two:b:resolved@600',
      'one:a:resolved@2000',
      'one:b:resolved@2100',
    ]);
  });
});

describe('clause 4: streaks', () => {
  it('fires when the streak exceeds the threshold, once, and resolves on a reset event at its time', () => {
    const s = streakDef({ threshold: 2 });
    const r = run([s], [ev(T0, 'a', 'error'), ev(T0 + 1, 'a', 'error'), ev(T0 + 2, 'a', 'error'), ev(T0 + 3, 'a', 'error'), ev(T0 + 4, 'a', 'success')]);
    assert.deepEqual(brief(r.transitions), ['streak:a:fired@2#3', 'streak:a:resolved@4']);
  });

  it('other events leave the streak unchanged; a reset sets it to zero', () => {
    const s = streakDef({ threshold: 2 });
    const r = run([s], [ev(T0, 'a', 'error'), ev(T0 + 1, 'a', 'denied'), ev(T0 + 2, 'a', 'error'), ev(T0 + 3, 'a', 'success'), ev(T0 + 4, 'a', 'error'), ev(T0 + 5, 'a', 'error')]);
    assert.deepEqual(r.transitions, []);
    const r2 = run([s], [ev(T0, 'a', 'error'), ev(T0 + 1, 'a', 'denied'), ev(T0 + 2, 'a', 'error'), ev(T0 + 4, 'a', 'error')]);
    assert.deepEqual(brief(r2.transitions), ['streak:a:fired@4#3']);
  });

  it('an event matching both where and resetWhere counts as where', () => {
    const s = streakDef({ threshold: 1, where: { tool: 'search' }, resetWhere: { outcome: 'success' } });
    const r = run([s], [ev(T0, 'a', 'success'), ev(T0 + 1, 'a', 'success')]);
    assert.deepEqual(brief(r.transitions), ['streak:a:fired@1#2']);
  });

  it('is in arrival order, not timestamp order', () => {
    const s = streakDef({ threshold: 1 });
    const r = run([s], [ev(T0 + 10, 'a', 'error'), ev(T0 + 5, 'a', 'error'), ev(T0 + 7, 'a', 'success')], 100);
    assert.deepEqual(brief(r.transitions), ['streak:a:fired@5#2', 'streak:a:resolved@7']);
  });
});

describe('clause 5: independence and any string is a key', () => {
  it('detectors are independent and hostile strings are ordinary keys', () => {
    const d = thresholdDef({ windowMs: W, threshold: 0, groupBy: ['callerId', 'tool'] });
    const s = streakDef({ threshold: 0 });
    const long = 'x'.repeat(5000);
    const names = ['__proto__', 'constructor', '<!channel>', long, '🔥💥', 'hasOwnProperty'];
    const evs = names.flatMap((n, i) => [ev(T0 + i, n, 'rate_limited', { tool: n }), ev(T0 + i, n, 'error', { tool: n })]);
    const r = run([d, s], evs);
    assert.equal(r.transitions.filter((t) => t.detector === 'burst').length, names.length);
    assert.equal(r.transitions.filter((t) => t.detector === 'streak').length, names.length);
    assert.deepEqual(r.json[0]?.key, { callerId: '__proto__', tool: '__proto__' });
    assert.equal(Object.getPrototypeOf(r.json[0]?.key), Object.prototype);
    assert.deepEqual(JSON.parse(JSON.stringify(r.json[0]?.key)), { callerId: '__proto__', tool: '__proto__' });
  });

  it('keys that could collide under naive concatenation stay apart', () => {
    const d = thresholdDef({ windowMs: W, threshold: 1, groupBy: ['callerId', 'tool'] });
    const r = run([d], [ev(T0, 'a|b', 'rate_limited', { tool: 'c' }), ev(T0 + 1, 'a', 'rate_limited', { tool: 'b|c' })]);
    assert.deepEqual(r.transitions, []);
  });

  it('rejected events are never seen by the engine and late ones change nothing', () => {
    const d = thresholdDef({ windowMs: W, threshold: 0 });
    const r = run([d], [ev(T0 + 100, 'a', 'success'), ev(T0, 'a')], 50);
    assert.deepEqual(r.verdicts, ['accepted', 'late']);
    assert.deepEqual(r.transitions, []);
  });
});

describe('clause 6: nothing is flushed at the end', () => {
  it('alerts still active at the end of input stay active', () => {
    const d = thresholdDef({ windowMs: W, threshold: 0 });
    const r = run([d], [ev(T0, 'a')]);
    assert.deepEqual(brief(r.transitions), ['burst:a:fired@0#1']);
    assert.equal(r.engine.stats().get('burst')?.active, 1);
  });
});

describe('memory', () => {
  it('forgets a key once all its events have expired', () => {
    const d = thresholdDef({ windowMs: W, threshold: 5 });
    const evs = Array.from({ length: 1000 }, (_, i) => ev(T0 + i, `c${i}`));
    evs.push(ev(T0 + 10_000, 'last'));
    const r = run([d], evs, 0);
    assert.deepEqual(r.engine.stats().get('burst'), { keys: 1, active: 0, storedTimes: 1 });
  });

  it('forgets a key exactly when the watermark reaches its last event plus the window, not an event later', () => {
    const d = thresholdDef({ windowMs: W, threshold: 5 });
    const head = [ev(T0, 'old'), ev(T0 + 1, 'x')];
    // Floor T0 + W - 1: count(T0 + W - 1) still includes the event at T0, so it is kept.
    const kept = run([d], [...head, ev(T0 + W - 1, 'y')], 0);
    assert.equal(kept.engine.stats().get('burst')?.keys, 3);
    // Floor T0 + W: no question at or after it can count T0, so 'old' goes (x and z stay).
    const gone = run([d], [...head, ev(T0 + W, 'z')], 0);
    assert.equal(gone.engine.stats().get('burst')?.keys, 2);
  });

  it('an active key under a sustained burst keeps about threshold + 1 timestamps, not the whole burst', () => {
    const thr = 100;
    const d = thresholdDef({ windowMs: 3_600_000, threshold: thr });
    const evs = Array.from({ length: 50_000 }, (_, i) => ev(T0 + i * 10, 'hot'));
    const r = run([d], evs, 30_000);
    const st = r.engine.stats().get('burst');
    assert.equal(st?.active, 1);
    assert.ok((st?.storedTimes ?? Infinity) <= 2 * (thr + 1) + Math.max(8, thr >> 2), `stored ${st?.storedTimes}`);
  });

  it('an active key sheds its oldest times on every event: threshold + 1 up to the floor, plus those within the lateness', () => {
    const thr = 100;
    const d = thresholdDef({ windowMs: 3_600_000, threshold: thr });
    const engine = new Engine([d], { latenessMs: 30_000 });
    const out: Transition[] = [];
    let most = 0;
    for (let i = 0; i < 600; i++) {
      engine.process(ev(T0 + i * 1000, 'hot'), out);
      if (i >= 200) most = Math.max(most, engine.stats().get('burst')?.storedTimes ?? Infinity);
    }
    assert.equal(out.length, 1);
    // One event a second. An event is stored against the floor before it, the previous event's
    // time minus 30 s: 31 events lie after that floor, and 101 up to it keep every count from
    // the floor on above the threshold. Without shedding the key grows to its next compaction.
    assert.equal(most, thr + 1 + 31);
  });

  it('a streak key costs nothing once reset', () => {
    const s = streakDef({ threshold: 5 });
    const r = run([s], [ev(T0, 'a', 'error'), ev(T0 + 1, 'a', 'success')]);
    assert.equal(r.engine.stats().get('streak')?.keys, 0);
  });
});
