// Contract fake for auditwatch's own generic JSON webhook (see CONTRACTS.md, section Webhook).
//
// Signature scheme (the project's own contract):
//   X-Auditwatch-Timestamp: <unix seconds, decimal integer>
//   X-Auditwatch-Signature: sha256=<lower-case hex of HMAC-SHA256(secret, `${timestamp}.${rawBody}`)>
// The receiver recomputes over the exact raw bytes, compares in constant time against every
// configured secret (to allow rotation), and refuses timestamps outside the tolerance window.
//
//   const hook = await WebhookFake.start({ secrets: ['s3cret'] });
//   await deliver(hook.endpointUrl, event, 's3cret');
//   const [req] = await hook.waitForRequests(1);
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  HttpFake,
  accept,
  header,
  isPlainObject,
  mediaType,
  reject,
  type HttpFakeOptions,
  type RecordedRequest,
  type Verdict,
} from './http-fake.js';

export const SIGNATURE_HEADER = 'X-Auditwatch-Signature';
export const TIMESTAMP_HEADER = 'X-Auditwatch-Timestamp';

/** `sha256=<hex>` over `${timestamp}.${rawBody}`. */
export function signWebhook(secret: string, timestamp: number | string, rawBody: string | Buffer): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${timestamp}.`);
  mac.update(rawBody);
  return `sha256=${mac.digest('hex')}`;
}

export interface WebhookFakeOptions extends HttpFakeOptions {
  /** Shared secrets; a signature made with any of them is valid. */
  secrets: string[];
  /** Accepted path (default `/hooks/auditwatch`). */
  path?: string;
  /** Allowed distance between the timestamp header and the fake's clock, in seconds (default 300). */
  toleranceSeconds?: number;
  /** Answer 409 when the same (timestamp, signature) pair arrives twice (default false: record it). */
  rejectReplays?: boolean;
}

export class WebhookFake extends HttpFake {
  private readonly secrets: string[];
  private readonly path: string;
  private readonly tolerance: number;
  private readonly rejectReplays: boolean;
  private readonly seen = new Set<string>();
  private replays = 0;

  private constructor(options: WebhookFakeOptions) {
    super(options);
    if (options.secrets.length === 0) throw new Error('WebhookFake needs at least one secret');
    this.secrets = [...options.secrets];
    this.path = options.path ?? '/hooks/auditwatch';
    this.tolerance = options.toleranceSeconds ?? 300;
    this.rejectReplays = options.rejectReplays ?? false;
  }

  static async start(options: WebhookFakeOptions): Promise<WebhookFake> {
    return new WebhookFake(options).listen();
  }

  get endpointUrl(): string {
    return `${this.url}${this.path}`;
  }

  /** Deliveries that repeated an earlier (timestamp, signature) pair. */
  get replayCount(): number {
    return this.replays;
  }

  protected handle(req: RecordedRequest): Verdict {
    if (req.path !== this.path) return reject(404, `unknown path ${req.path}`, { error: 'not_found' });
    if (req.method !== 'POST') return reject(405, `method ${req.method}`, { error: 'method_not_allowed' });
    if (mediaType(req.headers) !== 'application/json') {
      return reject(415, `content-type ${String(req.headers['content-type'])} is not application/json`, { error: 'unsupported_media_type' });
    }
    const ts = header(req.headers, TIMESTAMP_HEADER);
    const sig = header(req.headers, SIGNATURE_HEADER);
    if (ts === undefined || sig === undefined) return reject(401, `missing ${ts === undefined ? TIMESTAMP_HEADER : SIGNATURE_HEADER}`, { error: 'missing_signature' });
    if (!/^\d{1,12}$/.test(ts)) return reject(401, `timestamp '${ts}' is not unix seconds`, { error: 'bad_timestamp' });
    const skew = Math.abs(Math.floor(this.now() / 1000) - Number(ts));
    if (skew > this.tolerance) return reject(401, `timestamp is ${skew} s away from now (tolerance ${this.tolerance} s)`, { error: 'stale_timestamp' });
    const m = /^sha256=([0-9a-f]{64})$/.exec(sig);
    if (m === null || m[1] === undefined) return reject(401, `signature header '${sig}' is not sha256=<64 lower-case hex>`, { error: 'bad_signature' });
    const given = Buffer.from(m[1], 'hex');
    const ok = this.secrets.some((secret) => {
      const expected = Buffer.from(signWebhook(secret, ts, req.rawBody).slice('sha256='.length), 'hex');
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
    if (!ok) return reject(401, 'signature does not match the body under any configured secret', { error: 'bad_signature' });

    const replayKey = `${ts}.${m[1]}`;
    if (this.seen.has(replayKey)) {
      this.replays += 1;
      if (this.rejectReplays) return reject(409, 'replayed delivery', { error: 'replay' });
    }
    this.seen.add(replayKey);

    if (req.jsonError !== undefined || !isPlainObject(req.json)) {
      return reject(400, `body is not a JSON object${req.jsonError ? `: ${req.jsonError}` : ''}`, { error: 'invalid_json' });
    }
    return accept(200, { received: true });
  }
}
