import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const T = Date.UTC(2026, 2, 5, 8, 30, 0);
const iso = (ms: number) => new Date(ms).toISOString();
const event = (ms: number, o: Record<string, unknown> = {}) => JSON.stringify({ callerId: 'c-1', tool: 'search', outcome: 'rate_limited', timestamp: iso(ms), ...o });

describe('auditwatch replay', () => {
  it('writes the documented JSON transitions in order and a summary on stderr', async () => {
    const t = tempDir();
    // 101 rate-limited calls in the hour ending 09:30 fire rate-limit-burst at 09:30:00.000.
    const events: string[] = [];
    for (let i = 0; i < 101; i++) events.push(event(T + 1 + i * 35_990));
    events.push('{broken');
    events.push(event(T + 5 * 3_600_000, { callerId: 'other', outcome: 'success' }));
    const file = t.write('in.jsonl', events.join('\n') + '\n');
    const r = await cli(['replay', file]);
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const firedAt = T + 1 + 100 * 35_990;
    assert.deepEqual(out, [
      { type: 'fired', detector: 'rate-limit-burst', key: { callerId: 'c-1', tool: 'search' }, at: iso(firedAt), count: 101, threshold: 100, windowStart: iso(firedAt - 3_600_000), severity: 'warning' },
      { type: 'resolved', detector: 'rate-limit-burst', key: { callerId: 'c-1', tool: 'search' }, at: iso(T + 1 + 3_600_000), severity: 'warning' },
    ]);
    assert.match(r.stderr, /103 lines read/);
    assert.match(r.stderr, /accepted +102/);
    assert.match(r.stderr, /rejected +1 +\(not-json: 1\)/);
    assert.match(r.stderr, /line 102: not-json/);
    assert.match(r.stderr, /rate-limit-burst +fired +1 +resolved +1/);
  });

  it('reads standard input with -', async () => {
    const r = await cli(['replay', '-'], { stdin: [event(T), event(T + 1, { outcome: 'denied' })].join('\n') });
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /2 lines read/);
  });

  it('honours --lateness and --detectors', async () => {
    const t = tempDir();
    t.write('d/any.yaml', 'id: any\nkind: threshold\ngroupBy: [callerId]\nwindow: 1m\nthreshold: 1\nseverity: info\n');
    const file = t.write('in.jsonl', [event(T + 10_000), event(T)].join('\n'));
    const strict = await cli(['replay', file, '--detectors', `${t.dir}/d`, '--lateness', '5s']);
    assert.equal(strict.stdout, '');
    assert.match(strict.stderr, /late +1/);
    const loose = await cli(['replay', file, '--detectors', `${t.dir}/d`, '--lateness', '1m']);
    assert.match(loose.stdout, /"detector":"any"/);
  });

  it('exits non-zero with a clear message on a bad flag or a bad detector file', async () => {
    const t = tempDir();
    const badFlag = await cli(['replay', '-', '--lateness', 'soon']);
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.stderr, /--lateness.*expected an integer and a unit/);
    t.write('d/x.yaml', 'id: x\nkind: threshold\ngroupBy: [callerId]\nwindow: 1h\nthreshold: lots\nseverity: info\n');
    const badFile = await cli(['replay', '-', '--detectors', `${t.dir}/d`]);
    assert.equal(badFile.code, 2);
    assert.match(badFile.stderr, /x\.yaml:5:12 threshold:/);
  });
});

describe('auditwatch validate and run', () => {
  it('validate lists the shipped detectors', async () => {
    const r = await cli(['validate']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /ok +rate-limit-burst +warning +threshold +more than 100 in 1h/);
    assert.match(r.stdout, /ok +unscrubbed-event +critical +leak +unscrubbed field or credential in \[every event\] per callerId,serverVersion, resolved after 1h/);
    assert.match(r.stdout, /4 detectors valid/);
  });

  it('run with no Kafka reads the bundled sample, prints each planted incident and exits 0', async () => {
    const r = await cli(['run', '--no-color']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /FIRED +warning +rate-limit-burst +callerId=agent-scraper-7 tool=search_docs/);
    assert.match(r.stdout, /FIRED +critical +denial-spike +callerId=agent-support-9/);
    assert.match(r.stdout, /FIRED +critical +error-streak +callerId=ci-runner-404/);
    assert.ok(!r.stdout.includes('\u001b'), 'no escape sequences without a terminal');
    assert.match(r.stderr, /rejected +4/);
  });

  it('run neutralises terminal control sequences in event strings', async () => {
    const evil = '\u001b]0;pwned\u0007\u001b[2J';
    const r = await cli(['run', '--input', '-', '--no-color'], { stdin: Array.from({ length: 31 }, (_, i) => event(T + i, { callerId: evil, outcome: 'denied' })).join('\n') });
    assert.match(r.stdout, /denial-spike/);
    assert.ok(!r.stdout.includes('\u001b'), 'no raw ESC reaches the terminal');
    // Control characters are shown as visible stand-ins (src/text/bound.ts): ESC as ␛, BEL as ␇.
    assert.match(r.stdout, /␛\]0;pwned␇/);
  });
});
