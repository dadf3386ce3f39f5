// Elasticsearch over @elastic/elasticsearch (8.19: runs on Node 20, talks to 8.x and 9.x servers).
// Every call goes through `request`: responses come back as unknown (each caller validates what it
// relies on with zod) and every failure becomes an AuditwatchError with the status, Elasticsearch's
// error type and reason, and nothing else: the client's own errors carry the request, and with it
// the Authorization header, in their metadata.
import { readFileSync } from 'node:fs';
import type { Client } from '@elastic/elasticsearch';
import { z } from 'zod';
import type { ElasticsearchSettings } from '../config/sections/provision.js';
import { AuditwatchError } from '../errors.js';
import { bound } from '../text/bound.js';
import { describeError, type Secret } from '../text/secret.js';
import { withRetry, DEFAULT_RETRY, type RetryPolicy } from './retry.js';

export interface EsCredentials {
  readonly apiKey?: Secret;
  readonly username?: string;
  readonly password?: Secret;
}

const errorBody = z.looseObject({
  error: z.union([z.string(), z.looseObject({ type: z.string().optional(), reason: z.string().nullable().optional() })]),
});

type EsModule = typeof import('@elastic/elasticsearch');

export class EsApi {
  // The client module is imported on first use, so commands that never talk to Elasticsearch
  // (and `auditwatch run` without a provision section) do not load it.
  private loaded: Promise<{ client: Client; errors: EsModule['errors'] }> | undefined;
  private readonly options: ConstructorParameters<EsModule['Client']>[0];
  private readonly secrets: readonly Secret[];

  constructor(
    readonly settings: ElasticsearchSettings,
    credentials: EsCredentials,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {
    let ca: Buffer | undefined;
    if (settings.caFile !== undefined) {
      try {
        ca = readFileSync(settings.caFile);
      } catch (err) {
        throw new AuditwatchError('CONFIG_NOT_FOUND', `provision.elasticsearch.caFile: cannot read ${settings.caFile}`, { file: settings.caFile }, { cause: err });
      }
    }
    const auth =
      credentials.apiKey !== undefined
        ? { apiKey: credentials.apiKey.reveal() }
        : credentials.username !== undefined && credentials.password !== undefined
          ? { username: credentials.username, password: credentials.password.reveal() }
          : undefined;
    this.secrets = [credentials.apiKey, credentials.password].filter((s): s is Secret => s !== undefined);
    this.options = {
      node: settings.url,
      auth,
      tls: { ca, rejectUnauthorized: settings.tlsVerify },
      requestTimeout: settings.timeout,
      maxRetries: 0, // ours, in withRetry
      compression: false,
    };
  }

  private load(): Promise<{ client: Client; errors: EsModule['errors'] }> {
    this.loaded ??= import('@elastic/elasticsearch').then((m) => ({ client: new m.Client(this.options), errors: m.errors }));
    return this.loaded;
  }

  get endpoint(): string {
    const u = new URL(this.settings.url);
    return `${u.protocol}//${u.host}`;
  }

  private scrub(text: string): string {
    let out = text;
    for (const s of this.secrets) out = s.scrub(out);
    return bound(out, { max: 600 });
  }

  private failure(what: string, err: unknown, errors: EsModule['errors']): AuditwatchError {
    if (err instanceof errors.ResponseError) {
      const status = err.statusCode ?? 0;
      const parsed = errorBody.safeParse(err.body);
      let detail = '';
      if (parsed.success) {
        const e = parsed.data.error;
        detail = typeof e === 'string' ? e : [e.type, e.reason].filter((x) => x !== undefined && x !== null).join(': ');
      }
      const auth = status === 401 || status === 403 ? ' (check the credentials named in provision.elasticsearch)' : '';
      const after = Number(err.headers?.['retry-after']);
      const retryAfterMs = status === 429 && Number.isFinite(after) && after >= 0 ? after * 1000 : undefined;
      return new AuditwatchError('PROVISION', `Elasticsearch ${what}: HTTP ${status}${detail === '' ? '' : `: ${this.scrub(detail)}`}${auth}`, { target: 'elasticsearch', status, retryAfterMs }, { retriable: status === 429 || status >= 500 });
    }
    const retriable = err instanceof errors.ConnectionError || err instanceof errors.TimeoutError;
    // The client's message may quote the node URL; describeError redacts URLs, scrub removes keys.
    return new AuditwatchError('PROVISION', `Elasticsearch ${what} failed: ${this.scrub(describeError(err))}`, { target: 'elasticsearch', status: 0 }, { retriable });
  }

  /** One call; retried on 429, 5xx and connection failures (every call made here is idempotent). */
  async request(method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, body?: unknown, querystring?: Record<string, string>): Promise<unknown> {
    const what = `${method} ${path}`;
    const { client, errors } = await this.load();
    return withRetry(async () => {
      try {
        return await client.transport.request({ method, path, body: body as Record<string, unknown> | string | undefined, querystring });
      } catch (err) {
        throw this.failure(what, err, errors);
      }
    }, this.retry);
  }

  /** Newline-delimited body (bulk, msearch). */
  async requestNd(path: string, lines: readonly unknown[], querystring?: Record<string, string>): Promise<unknown> {
    const what = `POST ${path}`;
    const { client, errors } = await this.load();
    return withRetry(async () => {
      try {
        return await client.transport.request({ method: 'POST', path, bulkBody: lines as Record<string, unknown>[], querystring });
      } catch (err) {
        throw this.failure(what, err, errors);
      }
    }, this.retry);
  }

  async close(): Promise<void> {
    if (this.loaded !== undefined) await (await this.loaded).client.close();
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof AuditwatchError && err.context.status === 404;
}
