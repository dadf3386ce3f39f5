// The HTTP endpoints a platform watches auditwatch by, on one listener:
//   GET /healthz   200 while the process is alive and its event loop answers (liveness)
//   GET /readyz    200 when the readiness state says ready, else 503 with the reason (readiness)
//   GET /metrics   Prometheus text exposition (src/ops/metrics.ts)
// Anything else is 404, any method but GET/HEAD is 405. Bodies never carry configuration values:
// readiness details are written by our own code (partition counts, broker state), not by events.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './metrics.js';

export interface ComponentState {
  readonly ok: boolean;
  readonly detail: string;
  readonly since?: number;
}

/**
 * What /readyz reports. The Kafka runtime's Readiness (partitions assigned, state restored,
 * broker reachable) has this shape; in file mode a `StaticReadiness` is set ready after startup.
 */
export interface ReadinessSource {
  readonly ready: boolean;
  report(): { readonly ready: boolean; readonly components: Readonly<Record<string, ComponentState>> };
}

/** Readiness that the owner sets: one component, "ready" or not with a reason. */
export class StaticReadiness implements ReadinessSource {
  private state: ComponentState;
  constructor(detail = 'starting') {
    this.state = { ok: false, detail };
  }
  set(ok: boolean, detail: string): void {
    this.state = { ok, detail };
  }
  get ready(): boolean {
    return this.state.ok;
  }
  report(): { ready: boolean; components: Record<string, ComponentState> } {
    return { ready: this.state.ok, components: { main: this.state } };
  }
}

export interface HealthServerOptions {
  readonly host: string;
  /** 0: any free port (see `port` once started). */
  readonly port: number;
  readonly metrics: Metrics;
  /** Replaceable while running (`setReadiness`), e.g. once the Kafka runtime exists. */
  readonly readiness: ReadinessSource;
}

const MAX_DETAIL = 300;

export class HealthServer {
  private readiness: ReadinessSource;
  private constructor(
    private readonly server: Server,
    private readonly metrics: Metrics,
    readiness: ReadinessSource,
  ) {
    this.readiness = readiness;
  }

  static async start(opts: HealthServerOptions): Promise<HealthServer> {
    const ref: { self?: HealthServer } = {};
    const server = createServer((req, res) => {
      const self = ref.self;
      if (self === undefined) {
        res.writeHead(503).end();
        return;
      }
      self.handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('internal error\n');
      });
    });
    // Probes and scrapes are short; a slow client must not hold a socket for long.
    server.requestTimeout = 10_000;
    server.headersTimeout = 5_000;
    server.keepAliveTimeout = 5_000;
    const self = new HealthServer(server, opts.metrics, opts.readiness);
    ref.self = self;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.unref();
    return self;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get host(): string {
    return (this.server.address() as AddressInfo).address;
  }

  setReadiness(r: ReadinessSource): void {
    this.readiness = r;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    const head = req.method === 'HEAD';
    if (path === '/healthz') {
      send(res, 200, 'application/json', JSON.stringify({ status: 'alive', uptimeSeconds: Math.round(process.uptime()) }), head);
      return;
    }
    if (path === '/readyz') {
      const report = this.readiness.report();
      this.metrics.ready(report.ready);
      const components: Record<string, { ok: boolean; detail: string }> = {};
      for (const [name, c] of Object.entries(report.components)) components[name] = { ok: c.ok, detail: c.detail.slice(0, MAX_DETAIL) };
      send(res, report.ready ? 200 : 503, 'application/json', JSON.stringify({ status: report.ready ? 'ready' : 'not ready', components }), head);
      return;
    }
    if (path === '/metrics') {
      this.metrics.ready(this.readiness.ready);
      send(res, 200, this.metrics.contentType, await this.metrics.render(), head);
      return;
    }
    send(res, 404, 'text/plain; charset=utf-8', 'not found: try /healthz, /readyz or /metrics\n', head);
  }

  /** Stops listening and closes idle and open connections. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

function send(res: ServerResponse, status: number, type: string, body: string, head: boolean): void {
  res.writeHead(status, { 'content-type': type.includes('charset') ? type : `${type}; charset=utf-8`, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(head ? undefined : body);
}
