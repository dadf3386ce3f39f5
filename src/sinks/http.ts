// HTTP POST for the sinks, on undici with a keep-alive connection pool per sink (a third of
// node:http's CPU per request: at thousands of notifications per second the HTTP client is most
// of the sending cost). The URL is a Secret (a Slack webhook URL is the credential): it is
// revealed only to build the request, and every message this module produces is stripped of
// it. Redirects are not followed (a redirect would send the body somewhere nobody configured).
import type { IncomingHttpHeaders } from 'node:http';
import { Pool, util as undiciUtil, type Dispatcher } from 'undici';
import { bound } from '../text/bound.js';
import { describeError, redactUrl, type Secret } from '../text/secret.js';
import { drop, OK, retry, type Verdict } from './verdict.js';

const MAX_RESPONSE_BYTES = 64 * 1024;
/** A Retry-After beyond this is treated as this: a hostile or buggy value must not stall a sink for days. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** At most 64 KiB of the body, as text. */
  readonly body: string;
}

export type HttpOutcome =
  | { readonly kind: 'response'; readonly response: HttpResponse }
  /** No usable answer. `sent`: the request had been written, so the receiver may have acted on it. */
  | { readonly kind: 'error'; readonly reason: string; readonly sent: boolean };

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

/** What the client needs of undici's Pool (tests put a fake in its place to hold requests in any state). */
export interface PostDispatcher {
  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandlers): boolean;
  destroy(): Promise<void>;
}

export interface HttpClientOptions {
  /** Who uses it, for messages: `sink "slack"`. */
  readonly owner: string;
  /** What the URL is, for messages: "webhook URL". */
  readonly what: string;
  readonly timeoutMs: number;
  readonly maxSockets: number;
  /** Instead of a keep-alive Pool to the URL's origin (tests). */
  readonly dispatcher?: PostDispatcher;
}

/**
 * undici calls onRequestSent once the request (headers and body) is written to the socket; it
 * is not in its published handler type.
 */
interface Handler extends Dispatcher.DispatchHandlers {
  onRequestSent(): void;
}

function timedOut(a: Attempt): void {
  a.timeout();
}

/**
 * One POST as an undici dispatch handler (a class, not closures: this runs thousands of times a
 * second). `sent` becomes true once the request is written: a failure after that may have
 * reached the receiver.
 */
class Attempt implements Handler {
  private sent = false;
  private settled = false;
  private abort: ((err?: Error) => void) | undefined;
  private status = 0;
  private rawHeaders: Buffer[] = [];
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly client: HttpClient,
    private readonly resolve: (o: HttpOutcome) => void,
  ) {
    this.timer = setTimeout(timedOut, client.timeoutMs, this);
  }

  private finish(o: HttpOutcome): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.resolve(o);
  }

  timeout(): void {
    this.finish({ kind: 'error', reason: `no answer from ${this.client.host} within ${this.client.timeoutMs} ms`, sent: this.sent });
    // Still queued or connecting: onConnect aborts it before a byte is written.
    this.abort?.();
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abort = abort;
    // The attempt already timed out (reported as not sent): it must not leave now.
    if (this.settled) abort();
  }

  onRequestSent(): void {
    this.sent = true;
  }

  onHeaders(statusCode: number, headers: Buffer[]): boolean {
    this.status = statusCode;
    this.rawHeaders = headers;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.size < MAX_RESPONSE_BYTES) this.chunks.push(chunk.subarray(0, MAX_RESPONSE_BYTES - this.size));
    this.size += chunk.length;
    return true;
  }

  onComplete(): void {
    const headers = undiciUtil.parseHeaders(this.rawHeaders) as IncomingHttpHeaders;
    this.finish({ kind: 'response', response: { status: this.status, headers, body: Buffer.concat(this.chunks).toString('utf8') } });
  }

  onError(err: Error): void {
    const answered = this.status !== 0;
    this.finish({ kind: 'error', reason: this.client.failure(answered ? 'response' : 'request', err), sent: this.sent || answered });
  }
}

/** One endpoint. Plain http is refused except to loopback (tests and local relays). */
export class HttpClient {
  private readonly url: URL;
  private readonly pool: PostDispatcher;
  private readonly path: string;

  constructor(
    private readonly secret: Secret,
    private readonly opts: HttpClientOptions,
  ) {
    let url: URL;
    try {
      url = new URL(secret.reveal());
    } catch {
      // The TypeError would quote the input, i.e. the secret.
      throw new TypeError(`${opts.owner}: the ${opts.what} is not a valid URL`);
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
      throw new TypeError(`${opts.owner}: the ${opts.what} must be an https URL (plain http only to a loopback address)`);
    }
    this.url = url;
    this.path = `${url.pathname}${url.search}`;
    // One request per connection at a time (no pipelining: a broken connection then leaves at
    // most one request uncertain), as many connections as the sink's concurrency. The attempt
    // timeout below bounds everything; undici's own header/body timeouts are left at their
    // (longer) defaults so that they never decide first.
    this.pool = opts.dispatcher ?? new Pool(url.origin, { connections: opts.maxSockets, pipelining: 1, connectTimeout: opts.timeoutMs });
  }

  /** Host (and port) only: safe to show, and enough to tell which endpoint failed. */
  get host(): string {
    return this.url.host;
  }

  /** Whatever happens, a message from here never contains the URL's path, query or userinfo. */
  private clean(text: string): string {
    return bound(this.secret.scrub(redactUrl(text)), { max: 300 });
  }

  post(body: string | Buffer, headers: Readonly<Record<string, string>>): Promise<HttpOutcome> {
    const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    return new Promise<HttpOutcome>((resolve) => {
      const attempt = new Attempt(this, resolve);
      try {
        this.pool.dispatch({ path: this.path, method: 'POST', headers: { ...headers, 'user-agent': 'auditwatch' }, body: payload }, attempt);
      } catch (err) {
        attempt.onError(err as Error);
      }
    });
  }

  /** For Attempt: a failure reason, stripped of the URL. */
  failure(stage: 'request' | 'response', err: unknown): string {
    const what = stage === 'request' ? `request to ${this.host} failed` : `response from ${this.host} broke off`;
    return this.clean(`${what}: ${describeError(err)}`);
  }

  get timeoutMs(): number {
    return this.opts.timeoutMs;
  }

  close(): void {
    this.pool.destroy().catch(() => undefined);
  }
}

/** Retry-After as delay-seconds or an HTTP-date (RFC 9110 §10.2.3), in ms from `now`; capped. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  const text = v.trim();
  let ms: number;
  if (/^\d{1,10}$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = Math.max(0, at - now);
  }
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

/** A short, safe excerpt of a response body for a reason string. */
export function bodyExcerpt(body: string): string {
  return bound(body.trim(), { max: 120 });
}

/**
 * The usual HTTP classification: 2xx ok (when `accept` agrees), 408/429/5xx retry, 404/410 gone,
 * other 4xx and redirects dropped. Sinks with a stricter contract (Slack's "ok") pass `accept`.
 */
export function classify(outcome: HttpOutcome, now: number, accept: (r: HttpResponse) => boolean = () => true): Verdict {
  if (outcome.kind === 'error') return retry(outcome.reason, { uncertain: outcome.sent });
  const r = outcome.response;
  const what = `HTTP ${r.status}${r.body.trim() === '' ? '' : `: ${bodyExcerpt(r.body)}`}`;
  if (r.status >= 200 && r.status < 300) return accept(r) ? OK : drop(`${what} (not the documented success answer)`);
  if (r.status === 429) {
    const after = parseRetryAfter(r.headers['retry-after'], now);
    return retry(what, after === undefined ? {} : { retryAfterMs: after });
  }
  if (r.status === 408 || r.status >= 500) {
    const after = parseRetryAfter(r.headers['retry-after'], now);
    return retry(what, after === undefined ? {} : { retryAfterMs: after });
  }
  if (r.status === 404 || r.status === 410) return drop(what, true);
  return drop(what);
}
