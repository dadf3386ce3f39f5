import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, lineLog, prettyLine, screenRecord } from '../../src/ops/log.js';
import { Secret } from '../../src/text/secret.js';
import { allPositives, rand, HEX } from '../text/samples.js';

function capture(): { lines: string[]; out: { write(s: string): void } } {
  const lines: string[] = [];
  return { lines, out: { write: (s: string) => void lines.push(...s.split('\n').filter((l) => l !== '')) } };
}

// Shaped like the real thing, generated so the repository holds no token-shaped literal.
const WEBHOOK = `https://hooks.slack.com/services/T${rand(8)}/B${rand(8)}/${rand(24)}`;
const GENERIC_WEBHOOK = `https://alerts.example.test/hook/${rand(20)}?sig=${rand(16)}`;
const ROUTING_KEY = rand(32, HEX);

describe('log', () => {
  it('writes one JSON object per line with a level name, time and message', () => {
    const c = capture();
    const log = createLogger({ level: 'info', format: 'json', out: c.out, base: { service: 'auditwatch' } });
    log.info({ sink: 'slack', attempt: 2 }, 'delivered');
    log.debug('not shown at info');
    log.child({ component: 'outbox' }).warn('slow');
    assert.equal(c.lines.length, 2);
    const a = JSON.parse(c.lines[0] ?? '') as Record<string, unknown>;
    assert.equal(a['level'], 'info');
    assert.equal(a['msg'], 'delivered');
    assert.equal(a['sink'], 'slack');
    assert.equal(a['service'], 'auditwatch');
    assert.match(String(a['time']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal((JSON.parse(c.lines[1] ?? '') as Record<string, unknown>)['component'], 'outbox');
  });

  it('tells onRedact what the screen redacted in each record, per rule', () => {
    const c = capture();
    const counted: [string, number][] = [];
    const log = createLogger({ level: 'info', format: 'json', out: c.out, onRedact: (rule, n) => counted.push([rule, n]) });
    const gh = `ghp_${rand(36)}`;
    log.info({ caller: 'bob@example.com', password: 'hunter22' }, `leaked ${gh} and ${gh}`);
    log.info({ tool: 'read_file' }, 'a clean line');
    assert.deepEqual(counted.sort(), [['email', 1], ['github-token', 2], ['sensitive-field', 1]]);
    assert.equal(c.lines.length, 2);
    assert.ok(!c.lines.join('\n').includes(gh));
  });

  it('never writes a webhook URL, a routing key or any sample the secret screen knows, wherever it is in the record', () => {
    const c = capture();
    const log = createLogger({ level: 'trace', format: 'json', out: c.out, secrets: () => [new Secret(ROUTING_KEY), new Secret(GENERIC_WEBHOOK)] });
    const samples = allPositives();
    assert.ok(samples.length > 30);
    const secrets = [WEBHOOK, GENERIC_WEBHOOK, ROUTING_KEY, ...samples.map((p) => p.secret)];
    for (const p of samples) {
      log.error(`delivery failed: ${p.text}`);
      log.warn({ detail: p.text, nested: { deeper: [p.text] } }, 'with fields');
      log.child({ caller: p.text }).info('bound in a child');
      const err = new Error(`request failed: ${p.text}`);
      log.error({ err }, 'an error object');
    }
    log.error(`POST ${WEBHOOK} failed: ECONNRESET`);
    log.error({ url: GENERIC_WEBHOOK }, `POST ${GENERIC_WEBHOOK} failed`);
    log.info(`routing key is ${ROUTING_KEY}`);
    log.info({ config: { routingKey: ROUTING_KEY, password: 'hunter2hunter2' } }, 'config');
    log.info('%s and %o', WEBHOOK, { key: ROUTING_KEY });
    const all = c.lines.join('\n');
    for (const s of secrets) {
      for (const piece of s.split('\n').filter((x) => x.length >= 8)) assert.ok(!all.includes(piece), `a secret reached the log: ${piece.slice(0, 12)}…`);
      assert.ok(!all.includes(JSON.stringify(s).slice(1, -1)) || s.length < 8, 'a JSON-escaped secret reached the log');
    }
    assert.ok(!all.includes('hunter2hunter2'));
    assert.match(all, /\[redacted:/);
    assert.match(all, /<secret>/);
    for (const l of c.lines) JSON.parse(l);
  });

  it('keeps the fields pino writes (a timestamp is not a phone number)', () => {
    const r = screenRecord({ level: 'info', time: '2026-03-05T10:30:00.123Z', pid: 12345678, msg: 'call +1 415 555 0100 now' });
    assert.equal(r['time'], '2026-03-05T10:30:00.123Z');
    assert.equal(r['pid'], 12345678);
    assert.doesNotMatch(String(r['msg']), /415 555/);
  });

  it('bounds very long strings', () => {
    const c = capture();
    createLogger({ level: 'info', format: 'json', out: c.out }).info('x'.repeat(100_000));
    assert.ok((c.lines[0] ?? '').length < 10_000);
  });

  it('prints a readable line per record with --log-format pretty, screened too', () => {
    const c = capture();
    const log = createLogger({ level: 'info', format: 'pretty', out: c.out, base: { service: 'auditwatch' } });
    log.child({ component: 'outbox' }).warn({ sink: 'slack', reason: 'two words' }, `retrying ${WEBHOOK}`);
    log.error({ err: new Error('boom') }, 'failed');
    assert.equal(c.lines.length, 2);
    assert.match(c.lines[0] ?? '', /^\d\d:\d\d:\d\d\.\d{3} WARN {2}\[outbox\] retrying https:\/\/hooks\.slack\.com\/services\/\[redacted\]\/\[redacted\]\/\[redacted\] sink=slack reason="two words"$/);
    assert.match(c.lines[1] ?? '', /ERROR failed err="Error: boom"$/);
    assert.ok(!c.lines.join('').includes(WEBHOOK));
    assert.ok(prettyLine({ level: 'info', msg: 'm' }, true).includes('\u001b[32mINFO '));
  });

  it('serves the log(level, message) interface of the delivery and Kafka stages', () => {
    const c = capture();
    const l = lineLog(createLogger({ level: 'info', format: 'json', out: c.out }), 'delivery');
    l.log('warn', `delivery to slack failed: POST ${WEBHOOK}`);
    const rec = JSON.parse(c.lines[0] ?? '') as Record<string, unknown>;
    assert.equal(rec['level'], 'warn');
    assert.equal(rec['component'], 'delivery');
    assert.ok(!String(rec['msg']).includes(WEBHOOK));
  });
});
