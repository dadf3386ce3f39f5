// Two loopback HTTP servers of the benchmark:
// - the alert receiver both tools post to; it stamps each request with its arrival time;
// - the Elasticsearch `GET /` shim: ElastAlert 2's client (elasticsearch-py 7.10.1) asks `GET /`
//   for the server version, which the integ-test distribution answers with 405 (no module for
//   the root handler). The shim answers that one request with a version document and forwards
//   everything else to the node unchanged, counting the searches it passes on.
import { createServer, request as httpRequest, Agent, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { LOOPBACK } from '../../test/services/ports.js';

export interface ReceivedAlert {
  readonly path: string;
  readonly arrivedAt: number;
  readonly body: unknown;
}

function listen(server: Server): Promise<number> {
  // Clients keep connections open between runs (ElastAlert sleeps run_every between queries): a
  // server closing an idle connection first makes the next request fail with ECONNRESET.
  server.keepAliveTimeout = 15 * 60_000;
  server.headersTimeout = 15 * 60_000 + 1000;
  server.requestTimeout = 0;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: LOOPBACK, port: 0 }, () => {
      const a = server.address();
      if (a === null || typeof a === 'string') reject(new Error('bench: no port'));
      else resolve(a.port);
    });
  });
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export class AlertReceiver {
  private constructor(
    private readonly server: Server,
    readonly port: number,
    /** Every request so far, in arrival order. */
    readonly alerts: readonly ReceivedAlert[],
  ) {}

  static async start(): Promise<AlertReceiver> {
    const received: ReceivedAlert[] = [];
    const server = createServer((req, res) => {
      const arrivedAt = Date.now();
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= 4 * 1024 * 1024) chunks.push(c);
      });
      req.on('end', () => {
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          body = undefined;
        }
        received.push({ path: req.url ?? '/', arrivedAt, body });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    const port = await listen(server);
    return new AlertReceiver(server, port, received);
  }

  url(path: string): string {
    return `http://${LOOPBACK}:${this.port}${path}`;
  }

  stop(): Promise<void> {
    return close(this.server);
  }
}

export class EsRootShim {
  private constructor(
    private readonly server: Server,
    private readonly agent: Agent,
    readonly port: number,
    private readonly counts: { searches: number; forwarded: number },
  ) {}

  /** Requests with `_search` in the path passed on so far. */
  get searches(): number {
    return this.counts.searches;
  }

  static async start(esUrl: string, version: string): Promise<EsRootShim> {
    const target = new URL(esUrl);
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const info = JSON.stringify({
      name: 'auditwatch-test-node',
      cluster_name: 'auditwatch-test',
      cluster_uuid: '_na_',
      version: { number: version, build_flavor: 'default', build_type: 'zip', lucene_version: 'unknown', minimum_wire_compatibility_version: '7.17.0', minimum_index_compatibility_version: '7.0.0' },
      tagline: 'You Know, for Search',
    });
    const counts = { searches: 0, forwarded: 0 };
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const path = req.url ?? '/';
      if ((req.method === 'GET' || req.method === 'HEAD') && (path === '/' || path.startsWith('/?'))) {
        res.writeHead(200, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
        res.end(req.method === 'HEAD' ? undefined : info);
        return;
      }
      counts.forwarded++;
      if (path.includes('_search')) counts.searches++;
      const headers = { ...req.headers, host: target.host };
      const up = httpRequest({ host: target.hostname, port: target.port, method: req.method, path, headers, agent }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      });
      up.on('error', (err) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`shim: ${err.message}`);
      });
      req.pipe(up);
    });
    const port = await listen(server);
    return new EsRootShim(server, agent, port, counts);
  }

  async stop(): Promise<void> {
    await close(this.server);
    this.agent.destroy();
  }
}
