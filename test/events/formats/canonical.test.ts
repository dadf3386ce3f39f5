import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseLine } from '../../../src/events/parse.js';
import { decoder, fixture } from './helpers.js';

describe('canonical format', () => {
  it('decodes exactly as the canonical parser does, keeping the decoded message as original', () => {
    const d = decoder('canonical');
    for (const line of fixture('canonical')) {
      const a = d.decode(line);
      const b = parseLine(line);
      assert.ok(a.ok && b.ok);
      assert.deepEqual(a.event, b.event);
      assert.deepEqual(a.event.original, JSON.parse(line));
      assert.equal(a.format, 'canonical');
      assert.equal(a.truncated, 0);
    }
  });
});
