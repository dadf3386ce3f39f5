import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateVerifyStream } from '../../src/app/verify-stream.js';
import { parseLine } from '../../src/events/parse.js';
import { asWindowedCount, type WindowedCount } from '../../src/provision/detector-view.js';
import { DENIAL, OPTIONAL_GROUP, STREAK, THRESHOLD } from '../provision/helpers.js';

const counts = [THRESHOLD, DENIAL, STREAK, OPTIONAL_GROUP].map((d) => asWindowedCount(d, 3_600_000) as WindowedCount);
const resets = new Map(STREAK.kind === 'streak' ? [[STREAK.id, STREAK.resetWhere]] : []);
const gen = (seed: number) => generateVerifyStream(counts, { seed, startMs: Date.UTC(2026, 2, 5), keysPerDetector: 4 }, resets);

describe('verify stream', () => {
  it('is the same for the same seed and different for another', () => {
    assert.deepEqual(gen(3).documents, gen(3).documents);
    assert.notDeepEqual(gen(3).documents, gen(4).documents);
  });

  it('is in timestamp order, and every document parses back to its event', () => {
    const s = gen(11);
    for (let i = 1; i < s.events.length; i++) assert.ok((s.events[i - 1]?.ts ?? 0) <= (s.events[i]?.ts ?? 0));
    s.documents.forEach((d, i) => {
      const r = parseLine(JSON.stringify(d), 1 << 20);
      assert.ok(r.ok, JSON.stringify(d));
      if (r.ok) {
        assert.equal(r.event.ts, s.events[i]?.ts);
        assert.equal(r.event.callerId, s.events[i]?.callerId);
      }
    });
  });

  it('exercises what verification needs: ties, exact window boundaries, missing optional fields, resets', () => {
    const s = gen(5);
    const ts = s.events.map((e) => e.ts);
    assert.ok(ts.some((t, i) => i > 0 && t === ts[i - 1]), 'ties');
    const set = new Set(ts);
    assert.ok(ts.some((t) => set.has(t + 3_600_000)), 'pairs exactly one window apart');
    assert.ok(s.documents.some((d) => d.outcome !== undefined && d.serverVersion === undefined && (d.outcome === 'error' || d.outcome === 'denied')), 'missing optional field');
    assert.ok(s.documents.some((d) => d.callerId === '__proto__' || d.callerId === 'agent "quoted"'), 'hostile key values');
    assert.ok(s.documents.some((d) => (d.timestamp ?? '').endsWith('+02:00')) && s.documents.some((d) => /\.\d{6}Z$/.test(d.timestamp ?? '')), 'timestamp forms');
  });
});
