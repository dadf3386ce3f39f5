// Contract fake for a Slack incoming webhook (see CONTRACTS.md, section Slack).
//
//   const slack = await SlackFake.start();
//   await postAlert(`${slack.url}${slack.webhookPath}`, ...);
//   const [msg] = await slack.waitForRequests(1);
//   assert.deepEqual(findActiveSlackSyntax(msg.json), []);
import {
  HttpFake,
  accept,
  charLength,
  isPlainObject,
  mediaType,
  reject,
  type HttpFakeOptions,
  type RateLimitFaultOptions,
  type RecordedRequest,
  type Reply,
  type Verdict,
} from './http-fake.js';

/** Documented limits (docs.slack.dev Block Kit reference; 40k from the 2018 changelog). */
export const SLACK_LIMITS = {
  blocksPerMessage: 50,
  textObjectMax: 3000,
  sectionTextMax: 3000,
  sectionFieldsMax: 10,
  sectionFieldTextMax: 2000,
  headerTextMax: 150,
  contextElementsMax: 10,
  blockIdMax: 255,
  /** Slack truncates `text` longer than this (with a message_truncated warning); it does not reject. */
  messageTextTruncateAt: 40000,
} as const;

export type SlackChannelState = 'ok' | 'archived' | 'channel_not_found' | 'action_prohibited';

export interface SlackRateLimitOptions {
  /** Sustained messages per second per webhook (Slack: "about 1"). Default 1. */
  perSecond?: number;
  /** Messages allowed back to back before the limit bites (Slack allows short bursts). Default 1. */
  burst?: number;
}

export interface SlackFakeOptions extends HttpFakeOptions {
  /** Accepted webhook paths. Default: one path of the documented shape. */
  paths?: string[];
  /** Enforce a per-webhook rate (token bucket on the fake's clock); off by default. */
  rateLimit?: SlackRateLimitOptions | false;
  /** Block types the fake accepts (default: the ones auditwatch sends). */
  allowedBlockTypes?: string[];
}

export const DEFAULT_SLACK_WEBHOOK_PATH = '/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX';
const WEBHOOK_PATH_SHAPE = /^\/services\/T[A-Z0-9]+\/B[A-Z0-9]+\/[A-Za-z0-9]+$/;

const TOP_LEVEL_KEYS = new Set([
  'text',
  'blocks',
  'attachments',
  'thread_ts',
  'mrkdwn',
  'unfurl_links',
  'unfurl_media',
  'username',
  'icon_emoji',
  'icon_url',
  'channel',
  'metadata',
  'reply_broadcast',
]);

/** A message the fake accepted, with what Slack would have done to it. */
export interface SlackMessage {
  path: string;
  body: Record<string, unknown>;
  text: string | undefined;
  blocks: unknown[];
  unfurlLinks: boolean | undefined;
  unfurlMedia: boolean | undefined;
  /** True when `text` exceeded 40,000 characters (Slack would truncate it and post anyway). */
  truncated: boolean;
  request: RecordedRequest;
}

export class SlackFake extends HttpFake {
  private readonly paths: Set<string>;
  private readonly channelStates = new Map<string, SlackChannelState>();
  private readonly allowedBlockTypes: Set<string>;
  private rate: Required<SlackRateLimitOptions> | undefined;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly delivered: SlackMessage[] = [];

  private constructor(options: SlackFakeOptions) {
    super(options);
    const paths = options.paths ?? [DEFAULT_SLACK_WEBHOOK_PATH];
    for (const p of paths) {
      if (!WEBHOOK_PATH_SHAPE.test(p)) throw new Error(`not a Slack webhook path: ${p}`);
    }
    this.paths = new Set(paths);
    this.allowedBlockTypes = new Set(options.allowedBlockTypes ?? ['header', 'section', 'context', 'divider']);
    this.setRateLimit(options.rateLimit ?? false);
  }

  static async start(options: SlackFakeOptions = {}): Promise<SlackFake> {
    return new SlackFake(options).listen();
  }

  /** The first configured webhook path. */
  get webhookPath(): string {
    const [first] = this.paths;
    if (first === undefined) throw new Error('no webhook path configured');
    return first;
  }

  /** Full URL of the first configured webhook. */
  get webhookUrl(): string {
    return `${this.url}${this.webhookPath}`;
  }

  /** Turn per-webhook rate enforcement on (answers 429 + Retry-After when exceeded) or off. */
  setRateLimit(options: SlackRateLimitOptions | false): void {
    this.rate = options === false ? undefined : { perSecond: options.perSecond ?? 1, burst: options.burst ?? 1 };
    this.buckets.clear();
  }

  /** Make a webhook behave as if its channel was archived, deleted or restricted. */
  setChannelState(state: SlackChannelState, path: string = this.webhookPath): void {
    this.channelStates.set(path, state);
  }

  /** Accepted messages, decoded. */
  messages(): readonly SlackMessage[] {
    return this.delivered;
  }

  /**
   * Active Slack syntax in every accepted message (see findActiveSlackSyntax); only messages with
   * findings are listed, so `assert.deepEqual(slack.activeSyntax(), [])` is the strict-mentions check.
   */
  activeSyntax(options: ActiveSyntaxOptions = {}): { seq: number; found: string[] }[] {
    return this.delivered
      .map((m) => ({ seq: m.request.seq, found: findActiveSlackSyntax(m.body, options) }))
      .filter((r) => r.found.length > 0);
  }

  protected override rateLimitReply(retryAfterSeconds: number, options: RateLimitFaultOptions): Reply {
    const headers: Record<string, string> = { 'Content-Type': 'text/html' };
    if (!options.omitRetryAfter) headers['Retry-After'] = String(retryAfterSeconds);
    return { status: 429, headers, body: 'rate_limited' };
  }

  protected override serverErrorReply(status: number): Reply {
    return { status, headers: { 'Content-Type': 'text/html' }, body: 'rollup_error' };
  }

  protected handle(req: RecordedRequest): Verdict {
    const html = { 'Content-Type': 'text/html' };
    if (!this.paths.has(req.path)) {
      return reject(404, `unknown webhook path ${req.path}`, 'no_service', html);
    }
    if (req.method !== 'POST') {
      return reject(405, `method ${req.method} (incoming webhooks take POST)`, 'invalid_method', html);
    }
    if (mediaType(req.headers) !== 'application/json') {
      return reject(400, `content-type ${String(req.headers['content-type'])} is not application/json`, 'invalid_payload', html);
    }
    if (req.jsonError !== undefined || !isPlainObject(req.json)) {
      return reject(400, `body is not a JSON object${req.jsonError ? `: ${req.jsonError}` : ''}`, 'invalid_payload', html);
    }
    const body = req.json;
    const problems: string[] = [];
    for (const key of Object.keys(body)) {
      if (!TOP_LEVEL_KEYS.has(key)) problems.push(`unknown top-level property '${key}'`);
    }
    for (const key of ['unfurl_links', 'unfurl_media', 'mrkdwn', 'reply_broadcast'] as const) {
      if (key in body && typeof body[key] !== 'boolean') problems.push(`'${key}' must be a boolean`);
    }
    for (const key of ['text', 'thread_ts', 'username', 'icon_emoji', 'icon_url', 'channel'] as const) {
      if (key in body && typeof body[key] !== 'string') problems.push(`'${key}' must be a string`);
    }
    if ('blocks' in body && !Array.isArray(body.blocks)) problems.push(`'blocks' must be an array`);
    if (problems.length > 0) return reject(400, problems.join('; '), 'invalid_payload', html);

    const text = typeof body.text === 'string' ? body.text : undefined;
    const blocks = Array.isArray(body.blocks) ? (body.blocks as unknown[]) : [];
    const hasAttachments = Array.isArray(body.attachments) && body.attachments.length > 0;
    if ((text === undefined || text.trim() === '') && blocks.length === 0 && !hasAttachments) {
      return reject(400, 'neither text nor blocks', 'no_text', html);
    }
    if (hasAttachments) {
      return reject(400, 'attachments are not modelled by this fake (auditwatch sends blocks)', 'invalid_attachments', html);
    }

    const blockProblems = validateBlocks(blocks, this.allowedBlockTypes);
    if (blockProblems.length > 0) return reject(400, blockProblems.join('; '), 'invalid_blocks', html);

    const state = this.channelStates.get(req.path) ?? 'ok';
    if (state === 'archived') return reject(410, 'channel archived', 'channel_is_archived', html);
    if (state === 'channel_not_found') return reject(404, 'channel not found', 'channel_not_found', html);
    if (state === 'action_prohibited') return reject(403, 'action prohibited', 'action_prohibited', html);

    if (this.rate !== undefined) {
      const wait = this.takeToken(req.path, this.rate, req.receivedAt);
      if (wait > 0) {
        const retryAfter = Math.max(1, Math.ceil(wait / 1000));
        return reject(429, `rate limit exceeded (${this.rate.perSecond}/s, burst ${this.rate.burst})`, 'rate_limited', {
          ...html,
          'Retry-After': String(retryAfter),
        });
      }
    }

    this.delivered.push({
      path: req.path,
      body,
      text,
      blocks,
      unfurlLinks: typeof body.unfurl_links === 'boolean' ? body.unfurl_links : undefined,
      unfurlMedia: typeof body.unfurl_media === 'boolean' ? body.unfurl_media : undefined,
      truncated: text !== undefined && charLength(text) > SLACK_LIMITS.messageTextTruncateAt,
      request: req,
    });
    return accept(200, 'ok', html);
  }

  /** Token bucket; returns 0 when a token was taken, else ms until the next token. */
  private takeToken(path: string, rate: Required<SlackRateLimitOptions>, at: number): number {
    const bucket = this.buckets.get(path) ?? { tokens: rate.burst, at };
    const refill = ((at - bucket.at) / 1000) * rate.perSecond;
    bucket.tokens = Math.min(rate.burst, bucket.tokens + Math.max(0, refill));
    bucket.at = at;
    this.buckets.set(path, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return ((1 - bucket.tokens) / rate.perSecond) * 1000;
  }
}

// ------------------------------------------------------------------ Block Kit validation

/** Check blocks against the documented limits; returns problems with JSON-pointer-ish paths. */
export function validateBlocks(blocks: unknown[], allowedTypes: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  if (blocks.length > SLACK_LIMITS.blocksPerMessage) {
    problems.push(`${blocks.length} blocks (max ${SLACK_LIMITS.blocksPerMessage})`);
  }
  const blockIds = new Set<string>();
  blocks.forEach((block, i) => {
    const at = `/blocks/${i}`;
    if (!isPlainObject(block)) {
      problems.push(`${at} must be an object`);
      return;
    }
    const type = block.type;
    if (typeof type !== 'string') {
      problems.push(`${at}/type missing`);
      return;
    }
    if (!allowedTypes.has(type)) {
      problems.push(`${at}: block type '${type}' not accepted by this fake (allowed: ${[...allowedTypes].join(', ')})`);
      return;
    }
    if ('block_id' in block) {
      const id = block.block_id;
      if (typeof id !== 'string' || id.length === 0) problems.push(`${at}/block_id must be a non-empty string`);
      else {
        if (charLength(id) > SLACK_LIMITS.blockIdMax) problems.push(`${at}/block_id longer than ${SLACK_LIMITS.blockIdMax}`);
        if (blockIds.has(id)) problems.push(`${at}/block_id '${id}' is not unique in the message`);
        blockIds.add(id);
      }
    }
    const allowedKeys: Record<string, string[]> = {
      header: ['type', 'block_id', 'text'],
      section: ['type', 'block_id', 'text', 'fields', 'expand'],
      context: ['type', 'block_id', 'elements'],
      divider: ['type', 'block_id'],
    };
    const keys = allowedKeys[type];
    if (keys !== undefined) {
      for (const k of Object.keys(block)) {
        if (!keys.includes(k)) problems.push(`${at}: property '${k}' not allowed on a ${type} block${k === 'accessory' ? ' (accessories are not modelled)' : ''}`);
      }
    }
    switch (type) {
      case 'header':
        problems.push(...checkTextObject(block.text, `${at}/text`, SLACK_LIMITS.headerTextMax, ['plain_text']));
        break;
      case 'section': {
        const hasText = 'text' in block;
        const hasFields = 'fields' in block;
        if (!hasText && !hasFields) problems.push(`${at}: section needs text or fields`);
        if (hasText) problems.push(...checkTextObject(block.text, `${at}/text`, SLACK_LIMITS.sectionTextMax));
        if (hasFields) {
          const fields = block.fields;
          if (!Array.isArray(fields) || fields.length === 0) problems.push(`${at}/fields must be a non-empty array`);
          else {
            if (fields.length > SLACK_LIMITS.sectionFieldsMax) problems.push(`${at}/fields has ${fields.length} items (max ${SLACK_LIMITS.sectionFieldsMax})`);
            fields.forEach((f, j) => problems.push(...checkTextObject(f, `${at}/fields/${j}`, SLACK_LIMITS.sectionFieldTextMax)));
          }
        }
        if ('expand' in block && typeof block.expand !== 'boolean') problems.push(`${at}/expand must be a boolean`);
        break;
      }
      case 'context': {
        const elements = block.elements;
        if (!Array.isArray(elements) || elements.length === 0) problems.push(`${at}/elements must be a non-empty array`);
        else {
          if (elements.length > SLACK_LIMITS.contextElementsMax) problems.push(`${at}/elements has ${elements.length} items (max ${SLACK_LIMITS.contextElementsMax})`);
          elements.forEach((el, j) => {
            const p = `${at}/elements/${j}`;
            if (isPlainObject(el) && el.type === 'image') {
              if (typeof el.image_url !== 'string' || typeof el.alt_text !== 'string') problems.push(`${p}: image element needs image_url and alt_text`);
            } else {
              problems.push(...checkTextObject(el, p, SLACK_LIMITS.textObjectMax));
            }
          });
        }
        break;
      }
      case 'divider':
        break;
      default:
        break;
    }
  });
  return problems;
}

function checkTextObject(value: unknown, at: string, max: number, types: string[] = ['plain_text', 'mrkdwn']): string[] {
  if (!isPlainObject(value)) return [`${at} must be a text object`];
  const problems: string[] = [];
  const type = value.type;
  if (typeof type !== 'string' || !types.includes(type)) problems.push(`${at}/type must be ${types.join(' or ')}, got ${JSON.stringify(type)}`);
  const text = value.text;
  if (typeof text !== 'string') problems.push(`${at}/text must be a string`);
  else {
    const len = charLength(text);
    if (len < 1) problems.push(`${at}/text is empty (min 1)`);
    if (len > max) problems.push(`${at}/text has ${len} characters (max ${max})`);
  }
  for (const k of Object.keys(value)) {
    if (!['type', 'text', 'emoji', 'verbatim'].includes(k)) problems.push(`${at}: property '${k}' not allowed on a text object`);
  }
  if ('emoji' in value && (type !== 'plain_text' || typeof value.emoji !== 'boolean')) problems.push(`${at}/emoji is a boolean for plain_text only`);
  if ('verbatim' in value && (type !== 'mrkdwn' || typeof value.verbatim !== 'boolean')) problems.push(`${at}/verbatim is a boolean for mrkdwn only`);
  return problems;
}

// ------------------------------------------------------------------ active-syntax scan

export interface ActiveSyntaxOptions {
  /** Sequences matching any of these are allowed (e.g. auditwatch's own runbook link). */
  allow?: RegExp[];
  /** Also scan plain_text objects (default true: be conservative). */
  includePlainText?: boolean;
}

/**
 * Walk every text a Slack message carries (top-level `text`, and every text object in blocks)
 * and return the raw `<...>` sequences Slack would interpret as a mention, channel link,
 * special mention (`<!here>`, `<!channel>`, `<!subteam^...>`, `<!date^...>`) or URL link, plus any
 * lone `<` or `>`. Properly escaped text (`&lt;`, `&gt;`) yields nothing.
 */
export function findActiveSlackSyntax(body: unknown, options: ActiveSyntaxOptions = {}): string[] {
  const includePlain = options.includePlainText ?? true;
  const allow = options.allow ?? [];
  const found: string[] = [];
  const scan = (text: string): void => {
    const re = /<[^<>]*>|[<>]/g;
    for (const m of text.matchAll(re)) {
      const seq = m[0];
      if (allow.some((a) => a.test(seq))) continue;
      found.push(seq);
    }
  };
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (!isPlainObject(node)) return;
    if ((node.type === 'mrkdwn' || node.type === 'plain_text') && typeof node.text === 'string') {
      if (node.type === 'mrkdwn' || includePlain) scan(node.text);
      return;
    }
    for (const v of Object.values(node)) visit(v);
  };
  if (isPlainObject(body)) {
    if (typeof body.text === 'string') scan(body.text);
    if (Array.isArray(body.blocks)) visit(body.blocks);
  }
  return found;
}
