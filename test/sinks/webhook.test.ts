import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { webhookSinkSchema } from '../../src/config/sink-schemas.js';
import type { Sink } from '../../src/sinks/sink.js';
import { createWebhookSink } from '../../src/sinks/webhook.js';
import { WebhookFake } from '../fakes/webhook.js';
import { rand } from '../text/samples.js';
import { alertNotifications, deps, groupNotification, redactionsDuring, withTokenInDescription } from './helpers.js';

const SECRET = 'whk-shared-secret-0123456789';

describe('webhook sink against the signed-webhook contract fake', () => {
  let hook: WebhookFake;
  let sink: Sink;
  before(async () => {
    hook = await WebhookFake.start({ secrets: ['old-secret', SECRET] });
    sink = createWebhookSink('hook', webhookSinkSchema.parse({ kind: 'webhook', url: hook.endpointUrl, secret: { env: 'HOOK_SECRET' } }), deps({ HOOK_SECRET: SECRET }));
  });
  after(async () => {
    await sink.close();
    await hook.close();
  });

  it('screens the rendered body as a last line and counts what it caught under where="webhook"', async () => {
    const token = `ghp_${rand(36)}`;
    const n = withTokenInDescription(alertNotifications()[0]!, token);
    const seen = await redactionsDuring(async () => assert.deepEqual(await sink.send(n, { attempt: 1, possibleRepeat: false }), { kind: 'ok' }));
    const got = hook.accepted().at(-1)!.bodyText;
    assert.ok(!got.includes(token) && got.includes('[redacted:github-token]'), got);
    assert.deepEqual(seen, ['webhook:github-token:1']);
  });

  it('posts the documented JSON, signed so the receiver can verify it', async () => {
    const [n] = alertNotifications({ key: { callerId: 'c-1', tool: 'search' } });
    assert.deepEqual(await sink.send(n!, { attempt: 1, possibleRepeat: false }), { kind: 'ok' });
    const req = hook.accepted().at(-1)!;
    assert.equal(req.headers['x-auditwatch-delivery'], n!.id);
    const body = req.json as Record<string, unknown>;
    assert.equal(body.version, 1);
    assert.equal(body.id, n!.id);
    assert.equal(body.possibleRepeat, false);
    const note = body.notification as { type: string; status: string; alert: { key: unknown; count: number } };
    assert.deepEqual([note.type, note.status, note.alert.key, note.alert.count], ['alert', 'firing', [['callerId', 'c-1'], ['tool', 'search']], 101]);
  });

  it('sends group messages when configured grouped', async () => {
    const grouped = createWebhookSink('hook2', webhookSinkSchema.parse({ kind: 'webhook', url: hook.endpointUrl, grouped: true }), deps({ AUDITWATCH_WEBHOOK_SECRET: SECRET }));
    assert.equal(grouped.mode, 'group');
    assert.deepEqual(await grouped.send(groupNotification(3), { attempt: 1, possibleRepeat: true }), { kind: 'ok' });
    const body = hook.accepted().at(-1)!.json as { possibleRepeat: boolean; notification: { firing: { total: number } } };
    assert.equal(body.possibleRepeat, true);
    assert.equal(body.notification.firing.total, 3);
    await grouped.close();
  });

  it('takes a 409 (the receiver refuses a replay it already has) as delivered', async () => {
    const strict = await WebhookFake.start({ secrets: [SECRET], rejectReplays: true });
    const [n] = alertNotifications();
    // Same clock second, same body: the second request repeats the first one's signature.
    const fixed = Date.now();
    const again = createWebhookSink('strict2', webhookSinkSchema.parse({ kind: 'webhook', url: strict.endpointUrl }), deps({ AUDITWATCH_WEBHOOK_SECRET: SECRET }, { now: () => fixed }));
    assert.deepEqual(await again.send(n!, { attempt: 1, possibleRepeat: false }), { kind: 'ok' });
    assert.deepEqual(await again.send(n!, { attempt: 1, possibleRepeat: false }), { kind: 'ok' });
    assert.equal(strict.replayCount, 1);
    await again.close();
    await strict.close();
  });

  it('gets a 401 with the wrong secret, which is permanent', async () => {
    const wrong = createWebhookSink('bad', webhookSinkSchema.parse({ kind: 'webhook', url: hook.endpointUrl }), deps({ AUDITWATCH_WEBHOOK_SECRET: 'nope' }));
    const [n] = alertNotifications();
    const v = await wrong.send(n!, { attempt: 1, possibleRepeat: false });
    assert.ok(v.kind === 'drop' && /^HTTP 401/.test(v.reason), JSON.stringify(v));
    await wrong.close();
  });

  it('takes the URL from a secret when it carries a token, and names a missing one', () => {
    assert.throws(
      () => createWebhookSink('hook', webhookSinkSchema.parse({ kind: 'webhook', url: { env: 'HOOK_URL' } }), deps({ AUDITWATCH_WEBHOOK_SECRET: SECRET })),
      /sink "hook": environment variable HOOK_URL is not set/,
    );
    assert.throws(
      () => createWebhookSink('hook', webhookSinkSchema.parse({ kind: 'webhook', url: hook.endpointUrl }), deps({})),
      /sink "hook": environment variable AUDITWATCH_WEBHOOK_SECRET is not set \(it must hold the webhook signing secret\)/,
    );
  });
});
