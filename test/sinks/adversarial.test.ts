// The adversarial corpus (test/fixtures/adversarial-strings.json, a generated sample of every
// secret rule, control characters, 10 KB strings) goes in as event values, through the real
// pipeline and sinks, to the contract fakes. Nothing harmful may reach a receiver: no active
// Slack syntax, no secret, no raw control or bidi character, nothing over a limit.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Notification } from '../../src/alerts/notification.js';
import { pagerDutySinkSchema, slackSinkSchema, webhookSinkSchema } from '../../src/config/sink-schemas.js';
import { createPagerDutySink } from '../../src/sinks/pagerduty.js';
import type { Sink } from '../../src/sinks/sink.js';
import { createSlackSink } from '../../src/sinks/slack.js';
import { createWebhookSink } from '../../src/sinks/webhook.js';
import { PagerDutyFake } from '../fakes/pagerduty.js';
import { findActiveSlackSyntax, SlackFake } from '../fakes/slack.js';
import { WebhookFake } from '../fakes/webhook.js';
import { ALNUM, B64, B64URL, DIGITS, HEX, UPPER_B32, allPositives, rand } from '../text/samples.js';
import { fired, pipeline, route, T0 } from '../alerts/helpers.js';
import { deps } from './helpers.js';

interface Case {
  readonly name: string;
  readonly text: string;
  /** Substrings that must not reach a receiver. */
  readonly secrets: readonly string[];
}

const ALPHABETS = new Map<string, string>([
  ['alnum', ALNUM],
  ['digits', DIGITS],
  ['hex', HEX],
  ['lower', 'abcdefghijklmnopqrstuvwxyz'],
  ['upper32', UPPER_B32],
  ['b64', B64],
  ['b64url', B64URL],
]);

/** Expands a fixture template's secret parts (format described in the fixture itself). */
function expand(parts: unknown): { text: string; runs: string[] } {
  let text = '';
  const runs: string[] = [];
  for (const part of Array.isArray(parts) ? (parts as unknown[]) : []) {
    if (typeof part === 'string') text += part;
    else if (typeof part === 'object' && part !== null && 'base64' in part) {
      const inner = expand((part as { base64: unknown }).base64);
      const encoded = Buffer.from(inner.text).toString('base64');
      text += encoded;
      runs.push(encoded);
    } else if (typeof part === 'object' && part !== null) {
      const [alphabet, length] = Object.entries(part)[0] ?? [];
      const run = rand(Number(length), ALPHABETS.get(String(alphabet)) ?? ALNUM);
      text += run;
      runs.push(run);
    }
  }
  return { text, runs };
}

function corpus(): Case[] {
  const raw = JSON.parse(readFileSync(new URL('../fixtures/adversarial-strings.json', import.meta.url), 'utf8')) as { cases: Record<string, unknown>[] };
  const cases: Case[] = raw.cases.map((c) => {
    const name = String(c.name);
    if (typeof c.text === 'string') return { name, text: c.text, secrets: [] };
    const repeat = c.repeat as { unit?: string; times?: number } | undefined;
    if (repeat?.unit !== undefined) return { name, text: repeat.unit.repeat(repeat.times ?? 1), secrets: [] };
    const secret = expand(c.secret);
    const one = String(c.template).replace('{secret}', secret.text);
    return { name, text: one.repeat(typeof c.repeatTemplate === 'number' ? c.repeatTemplate : 1), secrets: [secret.text, ...secret.runs.filter((r) => r.length >= 8)] };
  });
  for (const p of allPositives()) cases.push({ name: `secret: ${p.text.slice(0, 30)}`, text: p.text, secrets: [p.secret] });
  cases.push(
    { name: '10 KB', text: 'A'.repeat(10_240), secrets: [] },
    { name: '10 KB of mentions', text: '<!channel>'.repeat(1024), secrets: [] },
    { name: 'control characters', text: Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('') + '\u007f\u0085\u202e\u2066\u200b\ufeff', secrets: [] },
    { name: 'terminal escape', text: '\u001b]0;pwned\u0007\u001b[2J', secrets: [] },
  );
  return cases;
}

/** What a reader sees: invisible separators dropped, Slack's three entities decoded. */
function unescape(s: string): string {
  return s.replace(/[\u00ad\u200b]/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

const CASES = corpus();
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const FORBIDDEN_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufeff]/u;

describe(`adversarial corpus (${CASES.length} strings) through pipeline and sinks to the receivers`, () => {
  let slack: SlackFake;
  let pd: PagerDutyFake;
  let hook: WebhookFake;
  let sinks: Sink[];
  const redactions = new Map<string, number>();
  before(async () => {
    slack = await SlackFake.start();
    pd = await PagerDutyFake.start();
    hook = await WebhookFake.start({ secrets: ['s'] });
    const d = deps({ SLACK_WEBHOOK_URL: slack.webhookUrl, PAGERDUTY_ROUTING_KEY: 'K'.repeat(32), AUDITWATCH_WEBHOOK_SECRET: 's' }, { onRedact: (_s, rule, n) => redactions.set(rule, (redactions.get(rule) ?? 0) + n), links: { datadog: { baseUrl: 'https://app.datadoghq.com/monitors', idPrefix: '' } } });
    sinks = [
      createSlackSink('slack', slackSinkSchema.parse({ kind: 'slack' }), d),
      createPagerDutySink('pagerduty', pagerDutySinkSchema.parse({ kind: 'pagerduty', endpoint: pd.enqueueUrl }), d),
      createWebhookSink('hook', webhookSinkSchema.parse({ kind: 'webhook', url: hook.endpointUrl }), d),
    ];
  });
  after(async () => {
    for (const s of sinks) await s.close();
    await Promise.all([slack.close(), pd.close(), hook.close()]);
  });

  it('delivers every case; receivers get nothing active, secret, invisible or oversized', async () => {
    const p = pipeline([route({ sinks: ['slack', 'pagerduty', 'hook'] })]);
    const direct: Notification[] = [];
    const groups: Notification[] = [];
    // Ten cases per group message (what a Slack message lists), each case as callerId and tool.
    for (let i = 0; i < CASES.length; i += 10) {
      const batch = CASES.slice(i, i + 10).map((c, j) => fired(T0 + i + j, { detector: 'rate-limit-burst', key: { callerId: c.text, tool: `${c.text}|${i + j}` } }));
      direct.push(...p.ingest(batch, T0).routed.map((r) => r.notification));
      groups.push(...p.flushAll(T0).map((r) => r.notification));
    }
    const [slackSink, pdSink, hookSink] = sinks;
    for (const n of groups) assert.deepEqual(await slackSink!.send(n, { attempt: 1, possibleRepeat: false }), { kind: 'ok' }, slack.summary());
    for (const n of direct) {
      assert.deepEqual(await pdSink!.send(n, { attempt: 1, possibleRepeat: false }), { kind: 'ok' }, pd.summary());
      assert.deepEqual(await hookSink!.send(n, { attempt: 1, possibleRepeat: false }), { kind: 'ok' }, hook.summary());
    }
    assert.equal(slack.rejected().length + pd.rejected().length + hook.rejected().length, 0);

    const allowLink = [/^<https:\/\/app\.datadoghq\.com\/monitors\/rate-limit-burst\|Datadog>$/];
    for (const m of slack.messages()) {
      assert.deepEqual(findActiveSlackSyntax(m.body, { allow: allowLink }), [], 'no mention, link or date syntax');
      assert.equal(m.unfurlLinks, false);
      assert.ok(m.request.bodyText.length <= 12_000, `message of ${m.request.bodyText.length} characters`);
    }
    const received = [...slack.accepted(), ...pd.accepted(), ...hook.accepted()];
    for (const r of received) {
      // JSON escapes control characters, so check the decoded strings.
      const strings: string[] = [];
      JSON.stringify(r.json, (_k, v: unknown) => {
        if (typeof v === 'string') strings.push(v);
        return v;
      });
      for (const s of strings) assert.doesNotMatch(s, FORBIDDEN_CHARS, `control or bidi character in ${JSON.stringify(s.slice(0, 80))}`);
      const seen = unescape(r.bodyText);
      for (const c of CASES) {
        for (const secret of c.secrets) {
          assert.ok(!r.bodyText.includes(secret) && !seen.includes(secret), `${c.name}: a secret reached ${r.path}`);
        }
      }
    }
    for (const ev of pd.accepted()) {
      const summary = (ev.json as { payload?: { summary: string } }).payload?.summary ?? '';
      assert.ok([...summary].length <= 1024);
    }
    assert.ok(p.stats.redactions.size > 10, `screening found secrets of many kinds: ${[...p.stats.redactions.keys()].join(', ')}`);
  });
});
