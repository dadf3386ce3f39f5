// `auditwatch run --input FILE` delivering to the Slack and PagerDuty contract fakes, as a user
// runs it: secrets from the environment, auditwatch.yaml from AUDITWATCH_CONFIG.
import { describe, it, afterEach, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../../helpers/tmp.js';
import { PagerDutyFake } from '../../fakes/pagerduty.js';
import { SlackFake } from '../../fakes/slack.js';
import { cli, cliCommand, type CliResult } from '../../helpers/cli.js';

const SAMPLE = fileURLToPath(new URL('../../../samples/mcp-audit-sample.jsonl', import.meta.url));
const ROUTING_KEY = 'CLIr0ut1ngKey0123456789abcdefABC';
// Absolute, so the CLI can run from a temporary working directory (no ./alerts, no ./auditwatch.yaml).

describe('auditwatch run delivering to Slack and PagerDuty', () => {
  let slack: SlackFake;
  let pd: PagerDutyFake;
  let t: ReturnType<typeof tempDir>;
  let env: NodeJS.ProcessEnv;
  const secrets = (): string[] => [slack.webhookPath, 'XXXXXXXXXXXXXXXXXXXXXXXX', ROUTING_KEY];
  const noSecrets = (r: CliResult): void => {
    for (const s of secrets()) {
      assert.ok(!r.stdout.includes(s) && !r.stderr.includes(s), `a secret reached the output: ${s}`);
    }
  };
  const config = (name: string, drainTimeout = '30s', extra = ''): string =>
    t.write(`${name}.yaml`, `alerting:\n  outbox:\n    path: ${t.dir}/${name}.outbox.jsonl\n    drainTimeout: ${drainTimeout}\n${extra}`);

  // Fresh fakes per test: their message lists are not shared between tests.
  beforeEach(async () => {
    slack = await SlackFake.start();
    pd = await PagerDutyFake.start({ routingKeys: [ROUTING_KEY] });
    t = tempDir();
    env = { SLACK_WEBHOOK_URL: slack.webhookUrl, PAGERDUTY_ROUTING_KEY: ROUTING_KEY, PAGERDUTY_EVENTS_URL: pd.enqueueUrl, NO_COLOR: '1' };
  });
  afterEach(async () => {
    await slack.close();
    await pd.close();
  });

  it('delivers the sample end to end, drains before exiting, and never resends on a replay', async () => {
    env.AUDITWATCH_CONFIG = config('e2e');
    const r = await cli(['run', '--input', SAMPLE], { cwd: t.dir, env });
    assert.equal(r.code, 0, r.stderr);
    noSecrets(r);
    assert.match(r.stderr, /alerts to slack, pagerduty; outbox .*e2e\.outbox\.jsonl/);
    assert.equal(r.stdout, '', 'nothing for the console: every route had a configured sink');
    // One group message per detector that fired (warning → Slack; critical → Slack + PagerDuty).
    assert.equal(slack.messages().length, 4, slack.summary());
    assert.deepEqual(slack.activeSyntax(), []);
    assert.equal(pd.incidents().length, 3);
    assert.ok(pd.incidents().every((i) => i.status === 'resolved'));
    assert.match(r.stderr, /slack +delivered +4/);
    assert.match(r.stderr, /pagerduty +delivered +6/);

    const again = await cli(['run', '--input', SAMPLE], { cwd: t.dir, env });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(slack.requests().length, 4, 'nothing sent twice');
    assert.equal(pd.requests().length, 6);
    assert.match(again.stderr, /pagerduty +delivered +0 +already delivered before, not resent 6/);
  });

  it('keeps every secret out of its output while sinks fail, tells the operator a webhook is gone, exits 1', async () => {
    env.AUDITWATCH_CONFIG = config('failing', '3s');
    slack.setChannelState('channel_not_found');
    pd.serverError(503, { times: Infinity });
    const r = await cli(['run', '--input', SAMPLE], { cwd: t.dir, env });
    assert.equal(r.code, 1, r.stderr);
    noSecrets(r);
    assert.match(r.stderr, /delivery to slack refused for good.*HTTP 404: channel_not_found.*the endpoint is gone/);
    assert.match(r.stderr, /delivery to pagerduty failed \(attempt \d+\): HTTP 503/);
    assert.match(r.stdout, /auditwatch: alerts cannot reach sink "slack"/, 'the operator alert reached the console');
    assert.match(r.stderr, /not delivered before the drain timeout; they stay in the outbox/);
  });

  it('stops at startup when a secret is missing, naming the variable and nothing else', async () => {
    env.AUDITWATCH_CONFIG = config('missing', '30s', '  sinks:\n    secops:\n      kind: slack\n      webhookUrl: { env: SLACK_SECOPS_URL }\n');
    const r = await cli(['run', '--input', SAMPLE], { cwd: t.dir, env });
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim(), 'auditwatch: sink "secops": environment variable SLACK_SECOPS_URL is not set (it must hold the Slack incoming webhook URL)');
    const bad = await cli(['run', '--input', SAMPLE], { cwd: t.dir, env: { ...env, SLACK_SECOPS_URL: 'http://hooks.example.com/services/T1/B1/notAllowedOverHttp' } });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /sink "secops": the Slack webhook URL must be an https URL/);
    assert.ok(!bad.stderr.includes('notAllowedOverHttp'));
  });

  it('after being killed mid-request, the next run resends the Slack message marked as a possible repeat', async () => {
    env.AUDITWATCH_CONFIG = config('killed');
    slack.slow(60_000, { times: 1 });
    const child = spawn(process.execPath, [...cliCommand(), 'run', '--input', SAMPLE], { cwd: t.dir, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal === null ? _code : -1)));
    await slack.waitFor(() => slack.requests().length >= 1, { timeoutMs: 60_000, description: 'the Slack request' });
    child.kill('SIGKILL');
    assert.equal(await exited, -1);
    const log = readFileSync(`${t.dir}/killed.outbox.jsonl`, 'utf8');
    assert.match(log, /"t":"try","id":"g-[0-9a-f]+","sink":"slack"/, 'the attempt was on disk before the request');
    slack.clearFaults();
    const r = await cli(['run', '--input', SAMPLE], { cwd: t.dir, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /resuming \d+ undelivered notifications? .*possibly sent already: marked as possible repeats/);
    const repeats = slack.messages().filter((m) => /^\(possible repeat\)/.test(m.text ?? ''));
    assert.equal(repeats.length, 1, slack.summary());
    assert.equal(slack.messages().length, 4, `each group message delivered once more, none lost: ${slack.messages().map((m) => m.text).join(' | ')}\n${r.stderr}\n${log}`);
    assert.equal(pd.incidents().length, 3, 'PagerDuty: no second incident');
  });
});
