// The HTTP layer under @datadog/datadog-api-client: Node's fetch with a timeout, and every non-2xx
// answer turned into an AuditwatchError that keeps what the client would drop (the rate-limit
// headers of a 429) and drops what must never be shown (the keys: they travel in headers, and any
// text that could echo them is scrubbed). The client's own retry stays off: retries are ours, so a
// failed create is always followed by a re-list (see datadog.ts).
import type { client } from '@datadog/datadog-api-client';
import { z } from 'zod';
import { AuditwatchError } from '../errors.js';
import { bound } from '../text/bound.js';
import { describeError, type Secret } from '../text/secret.js';

const errorBody = z.looseObject({ errors: z.array(z.unknown()) });

export interface DatadogHttpOptions {
  /** The client's ResponseContext class (the client is loaded lazily: it takes seconds to import). */
  readonly responseContext: typeof client.ResponseContext;
  readonly timeoutMs: number;
  /** Secrets whose values must not appear in any message (the API and application keys). */
  readonly secrets: readonly Secret[];
  readonly fetch?: typeof fetch;
}

/**
 * Seconds to wait after a 429: Datadog sends X-RateLimit-Reset (seconds until the period resets,
 * docs.datadoghq.com/api/latest/rate-limits); Retry-After is honoured when present instead.
 */
export function rateLimitWaitMs(headers: Headers): number | undefined {
  for (const name of ['retry-after', 'x-ratelimit-reset']) {
    const v = headers.get(name);
    if (v === null) continue;
    const s = Number(v.trim());
    if (Number.isFinite(s) && s >= 0) return Math.ceil(s * 1000);
  }
  return undefined;
}

export class DatadogHttp implements client.HttpLibrary {
  private readonly doFetch: typeof fetch;
  constructor(private readonly opts: DatadogHttpOptions) {
    this.doFetch = opts.fetch ?? fetch;
  }

  private scrub(text: string): string {
    let out = text;
    for (const s of this.opts.secrets) out = s.scrub(out);
    return out;
  }

  async send(request: client.RequestContext): Promise<client.ResponseContext> {
    const method = request.getHttpMethod().toString();
    const url = new URL(request.getUrl());
    const what = `${method} ${url.pathname}`;
    const body = request.getBody();
    if (body !== undefined && typeof body !== 'string') throw new AuditwatchError('INTERNAL', `Datadog: ${what}: unexpected non-text request body`, { target: 'datadog' });
    let res: Response;
    try {
      res = await this.doFetch(url, { method, headers: request.getHeaders(), body, signal: AbortSignal.timeout(this.opts.timeoutMs) });
    } catch (err) {
      throw new AuditwatchError('PROVISION', `Datadog ${what} failed: ${this.scrub(describeError(err))}`, { target: 'datadog', status: 0 }, { retriable: true });
    }
    const text = await res.text();
    if (res.status >= 400) throw this.failure(what, res, text);
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      headers[k] = v;
    });
    return new this.opts.responseContext(res.status, headers, { text: async () => text, binary: async () => Buffer.from(text, 'utf8') });
  }

  private failure(what: string, res: Response, text: string): AuditwatchError {
    let detail = '';
    try {
      const parsed = errorBody.safeParse(JSON.parse(text));
      if (parsed.success) detail = parsed.data.errors.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('; ');
    } catch {
      detail = '';
    }
    if (detail === '') detail = text.slice(0, 300);
    detail = bound(this.scrub(detail), { max: 600 });
    const status = res.status;
    const base = { target: 'datadog', status };
    if (status === 401 || status === 403) {
      return new AuditwatchError('PROVISION', `Datadog ${what}: HTTP ${status}: the API key or application key was refused (${detail}); check the environment variables named in provision.datadog`, base);
    }
    if (status === 429) {
      const wait = rateLimitWaitMs(res.headers);
      return new AuditwatchError('PROVISION', `Datadog ${what}: HTTP 429 rate limited${wait === undefined ? '' : `, retry in ${wait} ms`}`, { ...base, retryAfterMs: wait }, { retriable: true });
    }
    return new AuditwatchError('PROVISION', `Datadog ${what}: HTTP ${status}: ${detail}`, base, { retriable: status >= 500 || status === 408 });
  }
}
