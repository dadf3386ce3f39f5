import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { SlackFake, findActiveSlackSyntax, SLACK_LIMITS } from './slack.js';

interface Res {
  status: number;
  contentType: string | null;
  retryAfter: string | null;
  text: string;
}

async function send(url: string, body: unknown, contentType = 'application/json'): Promise<Res> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, contentType: res.headers.get('content-type'), retryAfter: res.headers.get('retry-after'), text: await res.text() };
}

const x = (n: number): string => 'x'.repeat(n);
const section = (text: string): Record<string, unknown> => ({ type: 'section', text: { type: 'mrkdwn', text } });

/** What auditwatch is expected to send: header, section with text and fields, context, divider. */
const validMessage = {
  text: 'auditwatch: 5 denied tool calls for repo-bot in 1m',
  unfurl_links: false,
  unfurl_media: false,
  blocks: [
    { type: 'header', block_id: 'hdr', text: { type: 'plain_text', text: 'Denied tool calls', emoji: true } },
    {
      type: 'section',
      block_id: 'summary',
      text: { type: 'mrkdwn', text: '*5* denied calls by `repo-bot` &lt;script&gt;', verbatim: true },
      fields: [
        { type: 'mrkdwn', text: '*Server*\ngithub' },
        { type: 'plain_text', text: 'Window: 1m' },
      ],
    },
    { type: 'divider' },
    { type: 'context', elements: [{ type: 'mrkdwn', text: 'detector `denied-burst` · key `repo-bot`' }] },
  ],
};

describe('SlackFake: contract', () => {
  let slack: SlackFake;
  before(async () => {
    slack = await SlackFake.start({ paths: ['/services/T0001/B0001/abcDEF123', '/services/T0001/B0002/second'] });
  });
  after(async () => {
    await slack.close();
  });
  beforeEach(() => {
    slack.clearRecords();
    slack.clearFaults();
  });

  it('accepts a documented-valid Block Kit message with 200 "ok" as text/html', async () => {
    const res = await send(slack.webhookUrl, validMessage);
    assert.equal(res.status, 200);
    assert.equal(res.text, 'ok');
    assert.match(res.contentType ?? '', /^text\/html/);
    const [req] = await slack.waitForRequests(1);
    assert.deepEqual(req?.json, validMessage);
    const msg = slack.messages().at(-1);
    assert.equal(msg?.unfurlLinks, false);
    assert.equal(msg?.unfurlMedia, false);
    assert.equal(msg?.blocks.length, 4);
    assert.equal(msg?.truncated, false);
  });

  it('accepts text-only and blocks-only messages, and application/json with a charset', async () => {
    assert.equal((await send(slack.webhookUrl, { text: 'hello' })).status, 200);
    assert.equal((await send(slack.webhookUrl, { blocks: [section('hi')] }, 'application/json; charset=utf-8')).status, 200);
  });

  it('accepts every configured webhook path and nothing else (404 no_service)', async () => {
    assert.equal((await send(`${slack.url}/services/T0001/B0002/second`, { text: 'a' })).status, 200);
    const res = await send(`${slack.url}/services/T0001/B0009/unknown`, { text: 'a' });
    assert.deepEqual([res.status, res.text], [404, 'no_service']);
  });

  const cases: [string, unknown, number, string, string?][] = [
    ['non-JSON content type', 'payload=%7B%7D', 400, 'invalid_payload', 'application/x-www-form-urlencoded'],
    ['malformed JSON', '{"text": ', 400, 'invalid_payload'],
    ['JSON array', '[]', 400, 'invalid_payload'],
    ['neither text nor blocks', { unfurl_links: false }, 400, 'no_text'],
    ['blank text and no blocks', { text: '   ' }, 400, 'no_text'],
    ['unknown top-level property', { text: 'a', colour: 'red' }, 400, 'invalid_payload'],
    ['non-boolean unfurl_links', { text: 'a', unfurl_links: 'false' }, 400, 'invalid_payload'],
    ['51 blocks', { blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) }, 400, 'invalid_blocks'],
    ['section text of 3001 chars', { blocks: [section(x(3001))] }, 400, 'invalid_blocks'],
    ['empty section text', { blocks: [section('')] }, 400, 'invalid_blocks'],
    ['section without text or fields', { blocks: [{ type: 'section' }] }, 400, 'invalid_blocks'],
    ['11 section fields', { blocks: [{ type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) }] }, 400, 'invalid_blocks'],
    ['section field of 2001 chars', { blocks: [{ type: 'section', fields: [{ type: 'mrkdwn', text: x(2001) }] }] }, 400, 'invalid_blocks'],
    ['section accessory', { blocks: [{ ...section('a'), accessory: { type: 'button' } }] }, 400, 'invalid_blocks'],
    ['header of 151 chars', { blocks: [{ type: 'header', text: { type: 'plain_text', text: x(151) } }] }, 400, 'invalid_blocks'],
    ['mrkdwn header', { blocks: [{ type: 'header', text: { type: 'mrkdwn', text: '*h*' } }] }, 400, 'invalid_blocks'],
    ['11 context elements', { blocks: [{ type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'plain_text', text: 'c' })) }] }, 400, 'invalid_blocks'],
    ['block_id of 256 chars', { blocks: [{ type: 'divider', block_id: x(256) }] }, 400, 'invalid_blocks'],
    ['duplicate block_id', { blocks: [{ type: 'divider', block_id: 'd' }, { type: 'divider', block_id: 'd' }] }, 400, 'invalid_blocks'],
    ['text object type "markdown"', { blocks: [{ type: 'section', text: { type: 'markdown', text: 'a' } }] }, 400, 'invalid_blocks'],
    ['text object given as a bare string', { blocks: [{ type: 'section', text: 'a' }] }, 400, 'invalid_blocks'],
    ['emoji flag on mrkdwn', { blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'a', emoji: true } }] }, 400, 'invalid_blocks'],
    ['actions block', { blocks: [{ type: 'actions', elements: [] }] }, 400, 'invalid_blocks'],
    ['unknown block property', { blocks: [{ type: 'divider', color: 'red' }] }, 400, 'invalid_blocks'],
  ];
  for (const [name, body, status, error, contentType] of cases) {
    it(`rejects ${name} with ${status} ${error}`, async () => {
      const res = await send(slack.webhookUrl, body, contentType);
      assert.deepEqual([res.status, res.text], [status, error]);
      const [rej] = await slack.waitForRequests(1, { outcome: 'rejected' });
      assert.ok(rej?.reason, 'rejection carries a reason');
    });
  }

  it('accepts the limits themselves (3000 / 2000 / 150 / 10 / 50 / 255)', async () => {
    const body = {
      blocks: [
        { type: 'header', block_id: x(255), text: { type: 'plain_text', text: x(150) } },
        { type: 'section', text: { type: 'mrkdwn', text: x(3000) }, fields: Array.from({ length: 10 }, () => ({ type: 'mrkdwn', text: x(2000) })) },
        { type: 'context', elements: Array.from({ length: 10 }, () => ({ type: 'mrkdwn', text: 'c' })) },
        ...Array.from({ length: SLACK_LIMITS.blocksPerMessage - 3 }, () => ({ type: 'divider' })),
      ],
    };
    const res = await send(slack.webhookUrl, body);
    assert.equal(res.status, 200, slack.summary());
  });

  it('counts characters, not UTF-16 units or bytes', async () => {
    const res = await send(slack.webhookUrl, { blocks: [{ type: 'header', text: { type: 'plain_text', text: '🚨'.repeat(150) } }] });
    assert.equal(res.status, 200);
  });

  it('posts (but marks truncated) a text longer than 40,000 characters, as Slack does', async () => {
    const res = await send(slack.webhookUrl, { text: x(40_001) });
    assert.equal(res.status, 200);
    assert.equal(slack.messages().at(-1)?.truncated, true);
  });

  it('answers 410 channel_is_archived, 404 channel_not_found and 403 action_prohibited per channel state', async () => {
    const path = '/services/T0001/B0002/second';
    slack.setChannelState('archived', path);
    const archived = await send(`${slack.url}${path}`, { text: 'a' });
    assert.deepEqual([archived.status, archived.text], [410, 'channel_is_archived']);
    slack.setChannelState('channel_not_found', path);
    const gone = await send(`${slack.url}${path}`, { text: 'a' });
    assert.deepEqual([gone.status, gone.text], [404, 'channel_not_found']);
    slack.setChannelState('action_prohibited', path);
    const prohibited = await send(`${slack.url}${path}`, { text: 'a' });
    assert.deepEqual([prohibited.status, prohibited.text], [403, 'action_prohibited']);
    slack.setChannelState('ok', path);
    assert.equal((await send(`${slack.url}${path}`, { text: 'a' })).status, 200);
    assert.equal((await send(slack.webhookUrl, { text: 'other webhook unaffected' })).status, 200);
  });

  it('injects the vendor 429 (Retry-After, body rate_limited) and 500 rollup_error', async () => {
    slack.rateLimit(30);
    const limited = await send(slack.webhookUrl, validMessage);
    assert.deepEqual([limited.status, limited.retryAfter, limited.text], [429, '30', 'rate_limited']);
    slack.serverError(500);
    const broken = await send(slack.webhookUrl, validMessage);
    assert.deepEqual([broken.status, broken.text], [500, 'rollup_error']);
    assert.equal(slack.accepted().length, 0);
    assert.equal(slack.faulted().length, 2);
  });
});

describe('SlackFake: per-webhook rate enforcement', () => {
  let clock = 1_000_000;
  let slack: SlackFake;
  before(async () => {
    slack = await SlackFake.start({ rateLimit: { perSecond: 1, burst: 2 }, now: () => clock });
  });
  after(async () => {
    await slack.close();
  });

  it('allows the burst, answers 429 with Retry-After beyond it, and recovers as the clock moves', async () => {
    assert.equal((await send(slack.webhookUrl, { text: '1' })).status, 200);
    assert.equal((await send(slack.webhookUrl, { text: '2' })).status, 200);
    const third = await send(slack.webhookUrl, { text: '3' });
    assert.deepEqual([third.status, third.retryAfter, third.text], [429, '1', 'rate_limited']);
    assert.match(slack.rejected()[0]?.reason ?? '', /rate limit/);
    clock += 1000;
    assert.equal((await send(slack.webhookUrl, { text: '4' })).status, 200);
    assert.equal((await send(slack.webhookUrl, { text: '5' })).status, 429);
    slack.setRateLimit(false);
    assert.equal((await send(slack.webhookUrl, { text: '6' })).status, 200);
  });
});

describe('findActiveSlackSyntax', () => {
  it('finds nothing in properly escaped text', () => {
    assert.deepEqual(findActiveSlackSyntax(validMessage), []);
  });

  it('finds mentions, channel links, special mentions, URL links and lone angle brackets everywhere', () => {
    const body = {
      text: 'fallback <!here>',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'hi <@U123ABC>' } },
        { type: 'section', text: { type: 'mrkdwn', text: 'see <#C0123|ops> and <https://evil.example|click>' }, fields: [{ type: 'mrkdwn', text: 'a < b' }] },
        { type: 'context', elements: [{ type: 'mrkdwn', text: '<!subteam^S0123> <!date^1392734382^{date}|Feb 18> x > y' }] },
      ],
    };
    assert.deepEqual(findActiveSlackSyntax(body), [
      '<!here>',
      '<@U123ABC>',
      '<#C0123|ops>',
      '<https://evil.example|click>',
      '<',
      '<!subteam^S0123>',
      '<!date^1392734382^{date}|Feb 18>',
      '>',
    ]);
  });

  it('SlackFake.activeSyntax() lists findings per accepted message', async () => {
    const slack = await SlackFake.start();
    try {
      await send(slack.webhookUrl, validMessage);
      await send(slack.webhookUrl, { text: 'user said <!channel> deploy now' });
      const [, second] = await slack.waitForRequests(2);
      assert.deepEqual(slack.activeSyntax(), [{ seq: second?.seq, found: ['<!channel>'] }]);
    } finally {
      await slack.close();
    }
  });

  it('can allow known-good sequences and skip plain_text', () => {
    const body = {
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: '<!channel>' } },
        { type: 'section', text: { type: 'mrkdwn', text: 'runbook: <https://runbooks.example/denied|runbook> <!everyone>' } },
      ],
    };
    assert.deepEqual(findActiveSlackSyntax(body, { allow: [/^<https:\/\/runbooks\.example\//], includePlainText: false }), ['<!everyone>']);
  });
});
