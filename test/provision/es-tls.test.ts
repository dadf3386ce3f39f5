// Elasticsearch over TLS: the server's certificate is verified by default, a CA file makes a
// private CA trusted, and tlsVerify: false is the explicit way out.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { provision } from '../../src/app/provision.js';
import { ElasticsearchContract } from '../fakes/elasticsearch-contract.js';
import { tempDir } from '../helpers/tmp.js';
import { instantRetry, section } from './helpers.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url));
const dir = tempDir('aw-tls-');
dir.write('detectors/denial-spike.yaml', 'id: denial-spike\nkind: threshold\nwhere: { outcome: denied }\ngroupBy: [callerId]\nwindow: 1h\nthreshold: 30\nseverity: critical\n');

const devNull = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });

describe('Elasticsearch over TLS', () => {
  let es: ElasticsearchContract;
  let server: https.Server;
  let url: string;
  before(async () => {
    es = await ElasticsearchContract.start();
    // A TLS front for the contract server, with the fixture's self-signed certificate.
    server = https.createServer({ key: readFileSync(fixture('localhost-key.pem')), cert: readFileSync(fixture('localhost-cert.pem')) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const headers: Record<string, string> = {};
        for (const h of ['content-type', 'authorization', 'accept']) if (typeof req.headers[h] === 'string') headers[h] = req.headers[h];
        void fetch(`${es.url}${req.url ?? '/'}`, { method: req.method, headers, body: body.length > 0 ? body : undefined }).then(async (r) => {
          const out: Record<string, string> = {};
          r.headers.forEach((v, k) => {
            if (k !== 'content-length' && k !== 'transfer-encoding' && k !== 'connection') out[k] = v;
          });
          res.writeHead(r.status, out);
          res.end(Buffer.from(await r.arrayBuffer()));
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await es.close();
  });

  const run = (settings: Record<string, unknown>) =>
    provision({ detectorsDir: `${dir.dir}/detectors`, routesFile: undefined, section: section({ elasticsearch: { url, ...settings } }), targets: ['elasticsearch'], apply: false, prune: false, deps: { env: {}, retry: instantRetry(1) }, stdout: devNull(), stderr: devNull() });

  it('refuses a certificate it cannot verify (verification is on by default)', async () => {
    await assert.rejects(run({}), /Elasticsearch GET \/_script_language failed: .*(self[- ]signed|certificate)/i);
  });

  it('trusts the server with the CA file', async () => {
    assert.equal(await run({ caFile: fixture('localhost-cert.pem') }), 3);
  });

  it('connects without verification only when tlsVerify is false', async () => {
    assert.equal(await run({ tlsVerify: false }), 3);
  });

  it('names a CA file it cannot read', async () => {
    await assert.rejects(run({ caFile: `${dir.dir}/missing.pem` }), /provision\.elasticsearch\.caFile: cannot read .*missing\.pem/);
  });
});
