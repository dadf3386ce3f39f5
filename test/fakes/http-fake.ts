// Shared machinery for the contract fakes in this folder: a node:http server on 127.0.0.1:0 that
// records every request, asks the vendor subclass for a verdict (accept / reject with a reason),
// and can be scripted to misbehave (status, 429, 5xx, slow, connection reset, down/up).
//
// Tests never sleep to synchronise: they await `waitForRequests` / `waitFor`, which resolve on the
// fake's own 'settled' events and reject at a deadline.
import http from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { EventEmitter } from 'node:events';

export type Outcome = 'pending' | 'accepted' | 'rejected' | 'fault';

/** One request as the fake received it, plus what the fake did with it. */
export interface RecordedRequest {
  readonly seq: number;
  readonly method: string;
  /** Path without the query string, e.g. `/api/v1/monitor/12`. */
  readonly path: string;
  /** Path and query string exactly as received. */
  readonly url: string;
  readonly query: URLSearchParams;
  /** Node lower-cases header names. */
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: Buffer;
  readonly bodyText: string;
  /** Parsed JSON body, or undefined when the body is empty or not JSON (see jsonError). */
  readonly json: unknown;
  readonly jsonError: string | undefined;
  /** `now()` of the fake when the whole body had arrived. */
  readonly receivedAt: number;
  outcome: Outcome;
  status: number | undefined;
  /** Why the contract check rejected the request (outcome 'rejected'). */
  reason: string | undefined;
  /** Which injected fault answered it (outcome 'fault'). */
  fault: FaultKind | undefined;
  /** Milliseconds the request was held by an injected `slow` fault. */
  delayedMs: number;
  respondedAt: number | undefined;
}

export type ReplyBody = string | Buffer | object;

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** Strings go out as text/plain, objects as JSON, unless headers set content-type. */
  body?: ReplyBody;
}

export interface Verdict extends Reply {
  accepted: boolean;
  reason?: string;
}

export function accept(status: number, body?: ReplyBody, headers?: Record<string, string>): Verdict {
  return { accepted: true, status, body, headers };
}

export function reject(status: number, reason: string, body?: ReplyBody, headers?: Record<string, string>): Verdict {
  return { accepted: false, status, reason, body, headers };
}

export type FaultKind = 'status' | 'rateLimit' | 'serverError' | 'slow' | 'reset';

type FaultAction =
  | { kind: 'status'; reply: Reply }
  | { kind: 'rateLimit'; retryAfterSeconds: number; options: RateLimitFaultOptions }
  | { kind: 'serverError'; status: number }
  | { kind: 'slow'; ms: number }
  | { kind: 'reset' };

export interface FaultOptions {
  /** How many matching requests this fault answers (default 1; Infinity for "until cancelled"). */
  times?: number;
  /** Only requests for which this returns true are affected (default: every request). */
  when?: (req: RecordedRequest) => boolean;
}

export interface RateLimitFaultOptions extends FaultOptions {
  /** Leave out the generic Retry-After header (for vendors that do not document one). */
  omitRetryAfter?: boolean;
}

export interface FaultHandle {
  /** Requests this fault has answered so far. */
  readonly hits: number;
  /** Requests it will still answer. */
  readonly remaining: number;
  cancel(): void;
}

interface FaultRule {
  action: FaultAction;
  remaining: number;
  hits: number;
  when: ((req: RecordedRequest) => boolean) | undefined;
}

export interface WaitOptions {
  /** Deadline; the wait rejects with a summary of what was received (default 5000 ms). */
  timeoutMs?: number;
}

export interface WaitForRequestsOptions extends WaitOptions {
  /** Which requests count (default 'accepted'). */
  outcome?: Outcome | 'any';
}

export interface HttpFakeOptions {
  /** Clock used for receivedAt and vendor rate limiting; inject one to test time without sleeping. */
  now?: () => number;
  /** Bodies larger than this are cut off with 413 (default 5 MiB). */
  maxBodyBytes?: number;
}

const DEFAULT_TIMEOUT_MS = 5000;

export abstract class HttpFake {
  protected readonly now: () => number;
  private readonly maxBodyBytes: number;
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<{ timer: NodeJS.Timeout; finish: () => void }>();
  private readonly events = new EventEmitter();
  private readonly records: RecordedRequest[] = [];
  private readonly rules: FaultRule[] = [];
  private seq = 0;
  private port = 0;
  private listening = false;
  private closed = false;

  protected constructor(options: HttpFakeOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxBodyBytes = options.maxBodyBytes ?? 5 * 1024 * 1024;
    this.events.setMaxListeners(0);
    this.server = http.createServer((req, res) => {
      void this.onRequest(req, res);
    });
    // Unref'd so a test that forgets close() cannot keep the test runner alive forever.
    this.server.unref();
    this.server.on('connection', (socket: Socket) => {
      socket.unref();
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Vendor contract check. Called for every request that no response fault answered. */
  protected abstract handle(req: RecordedRequest): Verdict | Promise<Verdict>;

  /** The vendor's own 429. Subclasses add their rate-limit headers and body. */
  protected rateLimitReply(retryAfterSeconds: number, options: RateLimitFaultOptions): Reply {
    const headers: Record<string, string> = {};
    if (!options.omitRetryAfter) headers['Retry-After'] = String(retryAfterSeconds);
    return { status: 429, headers, body: 'rate limited' };
  }

  /** The vendor's own 5xx body. */
  protected serverErrorReply(status: number): Reply {
    return { status, body: 'internal server error' };
  }

  /** Start listening on 127.0.0.1 on a free port. */
  async listen(): Promise<this> {
    await this.bind(0);
    return this;
  }

  /** Base URL, e.g. `http://127.0.0.1:43127` (no trailing slash). */
  get url(): string {
    if (this.port === 0) throw new Error('fake is not listening yet: await listen()/start() first');
    return `http://127.0.0.1:${this.port}`;
  }

  // ---------------------------------------------------------------- records

  /** Every request received, in arrival order. */
  requests(): readonly RecordedRequest[] {
    return this.records;
  }

  /** Requests that passed the vendor contract check. */
  accepted(): readonly RecordedRequest[] {
    return this.records.filter((r) => r.outcome === 'accepted');
  }

  /** Requests the contract check rejected; `reason` says why. */
  rejected(): readonly RecordedRequest[] {
    return this.records.filter((r) => r.outcome === 'rejected');
  }

  /** Requests answered by an injected fault. */
  faulted(): readonly RecordedRequest[] {
    return this.records.filter((r) => r.outcome === 'fault');
  }

  /** Forget recorded requests (faults and vendor state stay). */
  clearRecords(): void {
    this.records.length = 0;
  }

  // ---------------------------------------------------------------- waiting

  /**
   * Resolves once `n` requests with the given outcome (default 'accepted') have been answered.
   * Event-driven; rejects at the deadline with what was received instead.
   */
  async waitForRequests(n: number, options: WaitForRequestsOptions = {}): Promise<RecordedRequest[]> {
    const outcome = options.outcome ?? 'accepted';
    const matching = (): RecordedRequest[] =>
      this.records.filter((r) => r.outcome !== 'pending' && (outcome === 'any' || r.outcome === outcome));
    await this.waitFor(() => matching().length >= n, {
      timeoutMs: options.timeoutMs,
      description: `${n} request(s) with outcome '${outcome}'`,
    });
    return matching();
  }

  /** Resolves when `predicate` holds, re-checking whenever a request arrives or is answered. */
  waitFor(predicate: () => boolean, options: WaitOptions & { description?: string } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (predicate()) return Promise.resolve();
    return new Promise<void>((resolve, rejectWait) => {
      const check = (): void => {
        if (predicate()) {
          cleanup();
          resolve();
        }
      };
      const onClose = (): void => {
        cleanup();
        rejectWait(new Error(`fake closed while waiting for ${options.description ?? 'condition'}`));
      };
      const deadline = setTimeout(() => {
        cleanup();
        rejectWait(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${options.description ?? 'condition'}; received: ${this.summary()}`,
          ),
        );
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(deadline);
        this.events.off('settled', check);
        this.events.off('received', check);
        this.events.off('closed', onClose);
      };
      this.events.on('settled', check);
      this.events.on('received', check);
      this.events.on('closed', onClose);
    });
  }

  /** One line per recorded request, for failure messages. */
  summary(): string {
    if (this.records.length === 0) return '(nothing)';
    return this.records
      .map((r) => `#${r.seq} ${r.method} ${r.url} -> ${r.outcome} ${r.status ?? '-'}${r.reason ? ` (${r.reason})` : ''}${r.fault ? ` [${r.fault}]` : ''}`)
      .join('; ');
  }

  // ---------------------------------------------------------------- faults

  /** Answer the next matching request(s) with this status, headers and body instead of the vendor logic. */
  status(code: number, headers?: Record<string, string>, body?: ReplyBody, options?: FaultOptions): FaultHandle {
    return this.addRule({ kind: 'status', reply: { status: code, headers, body } }, options);
  }

  /** Answer with the vendor's 429 (Retry-After plus the vendor's own rate-limit headers). */
  rateLimit(retryAfterSeconds: number, options: RateLimitFaultOptions = {}): FaultHandle {
    return this.addRule({ kind: 'rateLimit', retryAfterSeconds, options }, options);
  }

  /** Answer with the vendor's 5xx body. */
  serverError(code = 500, options?: FaultOptions): FaultHandle {
    if (code < 500 || code > 599) throw new Error(`serverError wants a 5xx code, got ${code}`);
    return this.addRule({ kind: 'serverError', status: code }, options);
  }

  /**
   * Hold the matching request(s) for `ms` (a server-side timer) and then answer normally
   * (or with another injected fault). Lets a client's own timeout fire.
   */
  slow(ms: number, options?: FaultOptions): FaultHandle {
    return this.addRule({ kind: 'slow', ms }, options);
  }

  /** Destroy the socket without any response (the client sees ECONNRESET / socket hang up). */
  reset(options?: FaultOptions): FaultHandle {
    return this.addRule({ kind: 'reset' }, options);
  }

  /** Drop every injected fault that has not fired yet. */
  clearFaults(): void {
    this.rules.length = 0;
  }

  /** Stop listening and cut open connections: new connections are refused until `up()`. */
  async down(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closedPromise = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closedPromise;
  }

  /** Listen again on the same port after `down()`. */
  async up(): Promise<void> {
    if (this.closed) throw new Error('fake is closed');
    if (this.listening) return;
    await this.bind(this.port);
  }

  get isDown(): boolean {
    return !this.listening;
  }

  /** Stop the server, cancel held requests and reject pending waits. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) {
      clearTimeout(t.timer);
      t.finish();
    }
    this.timers.clear();
    this.events.emit('closed');
    if (this.listening) {
      this.listening = false;
      const closedPromise = new Promise<void>((resolve) => this.server.close(() => resolve()));
      for (const socket of this.sockets) socket.destroy();
      await closedPromise;
    } else {
      for (const socket of this.sockets) socket.destroy();
    }
  }

  // ---------------------------------------------------------------- internals

  private bind(port: number): Promise<void> {
    return new Promise<void>((resolve, rejectBind) => {
      const onError = (err: Error): void => rejectBind(err);
      this.server.once('error', onError);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', onError);
        const address = this.server.address();
        if (address === null || typeof address === 'string') {
          rejectBind(new Error('unexpected server address'));
          return;
        }
        this.port = address.port;
        this.listening = true;
        resolve();
      });
    });
  }

  private addRule(action: FaultAction, options: FaultOptions = {}): FaultHandle {
    const times = options.times ?? 1;
    if (!(times > 0)) throw new Error(`fault times must be > 0, got ${times}`);
    const rule: FaultRule = { action, remaining: times, hits: 0, when: options.when };
    this.rules.push(rule);
    const rules = this.rules;
    return {
      get hits() {
        return rule.hits;
      },
      get remaining() {
        return rule.remaining;
      },
      cancel() {
        rule.remaining = 0;
        const i = rules.indexOf(rule);
        if (i >= 0) rules.splice(i, 1);
      },
    };
  }

  /** First rule (FIFO) of the wanted family that matches this request; consumes one use. */
  private takeRule(req: RecordedRequest, delays: boolean): FaultAction | undefined {
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i];
      if (rule === undefined) continue;
      if ((rule.action.kind === 'slow') !== delays) continue;
      if (rule.remaining <= 0) continue;
      if (rule.when !== undefined && !rule.when(req)) continue;
      rule.remaining -= 1;
      rule.hits += 1;
      if (rule.remaining <= 0) this.rules.splice(i, 1);
      return rule.action;
    }
    return undefined;
  }

  private hold(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.timers.delete(entry);
          resolve();
        }, ms),
        finish: resolve,
      };
      this.timers.add(entry);
    });
  }

  private readBody(req: IncomingMessage): Promise<{ body: Buffer; tooLarge: boolean }> {
    return new Promise((resolve, rejectRead) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let tooLarge = false;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > this.maxBodyBytes) {
          tooLarge = true;
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => resolve({ body: Buffer.concat(chunks), tooLarge }));
      req.on('error', rejectRead);
    });
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: Buffer;
    let tooLarge: boolean;
    try {
      ({ body, tooLarge } = await this.readBody(req));
    } catch {
      return; // client went away mid-body; nothing to record
    }
    const parsedUrl = new URL(req.url ?? '/', 'http://127.0.0.1');
    const bodyText = body.toString('utf8');
    let json: unknown = undefined;
    let jsonError: string | undefined = undefined;
    if (body.length > 0) {
      try {
        json = JSON.parse(bodyText) as unknown;
      } catch (err) {
        jsonError = err instanceof Error ? err.message : String(err);
      }
    }
    const rec: RecordedRequest = {
      seq: ++this.seq,
      method: req.method ?? 'GET',
      path: parsedUrl.pathname,
      url: req.url ?? '/',
      query: parsedUrl.searchParams,
      headers: req.headers,
      rawBody: body,
      bodyText,
      json,
      jsonError,
      receivedAt: this.now(),
      outcome: 'pending',
      status: undefined,
      reason: undefined,
      fault: undefined,
      delayedMs: 0,
      respondedAt: undefined,
    };
    this.records.push(rec);
    this.events.emit('received', rec);

    const delay = this.takeRule(rec, true);
    const fault = this.takeRule(rec, false);
    if (delay !== undefined && delay.kind === 'slow') {
      rec.delayedMs = delay.ms;
      await this.hold(delay.ms);
      if (this.closed || res.destroyed) {
        rec.outcome = 'fault';
        rec.fault = 'slow';
        this.settle(rec);
        return;
      }
    }

    if (tooLarge) {
      this.finish(rec, res, { accepted: false, status: 413, reason: `body larger than ${this.maxBodyBytes} bytes`, body: 'payload too large' });
      return;
    }

    if (fault !== undefined) {
      rec.outcome = 'fault';
      rec.fault = fault.kind;
      switch (fault.kind) {
        case 'reset':
          res.socket?.destroy();
          res.destroy();
          this.settle(rec);
          return;
        case 'status':
          this.send(rec, res, fault.reply);
          return;
        case 'rateLimit':
          this.send(rec, res, this.rateLimitReply(fault.retryAfterSeconds, fault.options));
          return;
        case 'serverError':
          this.send(rec, res, this.serverErrorReply(fault.status));
          return;
        case 'slow':
          break; // never selected here
      }
    }

    let verdict: Verdict;
    try {
      verdict = await this.handle(rec);
    } catch (err) {
      verdict = { accepted: false, status: 500, reason: `fake handler threw: ${err instanceof Error ? err.stack ?? err.message : String(err)}`, body: 'fake handler error' };
    }
    this.finish(rec, res, verdict);
  }

  private finish(rec: RecordedRequest, res: ServerResponse, verdict: Verdict): void {
    rec.outcome = verdict.accepted ? 'accepted' : 'rejected';
    rec.reason = verdict.reason;
    this.send(rec, res, verdict);
  }

  private send(rec: RecordedRequest, res: ServerResponse, reply: Reply): void {
    rec.status = reply.status;
    rec.respondedAt = this.now();
    if (!res.destroyed && !res.headersSent) {
      const headers: Record<string, string> = { ...(reply.headers ?? {}) };
      const hasContentType = Object.keys(headers).some((k) => k.toLowerCase() === 'content-type');
      let payload: Buffer;
      if (reply.body === undefined) {
        payload = Buffer.alloc(0);
      } else if (Buffer.isBuffer(reply.body)) {
        payload = reply.body;
        if (!hasContentType) headers['Content-Type'] = 'application/octet-stream';
      } else if (typeof reply.body === 'string') {
        payload = Buffer.from(reply.body, 'utf8');
        if (!hasContentType) headers['Content-Type'] = 'text/plain; charset=utf-8';
      } else {
        payload = Buffer.from(JSON.stringify(reply.body), 'utf8');
        if (!hasContentType) headers['Content-Type'] = 'application/json';
      }
      headers['Content-Length'] = String(payload.length);
      res.writeHead(reply.status, headers);
      res.end(payload);
    }
    this.settle(rec);
  }

  private settle(rec: RecordedRequest): void {
    this.events.emit('settled', rec);
  }
}

// ------------------------------------------------------------------ small helpers for vendor checks

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Media type of a request without parameters, lower-cased (`application/json; charset=utf-8` -> `application/json`). */
export function mediaType(headers: IncomingHttpHeaders): string | undefined {
  const raw = headers['content-type'];
  if (raw === undefined) return undefined;
  return raw.split(';')[0]?.trim().toLowerCase();
}

/** Length in Unicode code points (what a person would call characters). */
export function charLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** A single header value (first one if repeated). */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
