// The proof of equivalence on a real Elasticsearch node: `provision verify` indexes a generated
// stream, replays it through the engine and compares keys above the threshold at many evaluation
// times. Threshold detectors must agree exactly; the streak's differences must all be declared.
// A deliberately wrong query (gte for gt, lt for lte, threshold off by one) must be caught, so the
// check is shown to be able to fail. Through the contract server (which renders mustache and
// passes the rest to the node), the stored-template form is checked against the plain body too.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { provisionVerify, type VerifyOptions } from '../../../src/app/provision-verify.js';
import { searchBody, type SearchShape } from '../../../src/provision/es-query.js';
import { ElasticsearchContract } from '../../fakes/elasticsearch-contract.js';
import { cli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/tmp.js';
import { instantRetry, section } from '../../provision/helpers.js';
import { elasticsearchForTests } from '../../services/global.js';

const dir = tempDir('aw-verify-');
dir.write('detectors/rate-limit-burst.yaml', 'id: rate-limit-burst\nkind: threshold\nwhere: { outcome: rate_limited }\ngroupBy: [callerId, tool]\nwindow: 1h\nthreshold: 100\nseverity: warning\n');
dir.write('detectors/denial-spike.yaml', 'id: denial-spike\nkind: threshold\nwhere: { outcome: denied }\ngroupBy: [callerId]\nwindow: 1h\nthreshold: 30\nseverity: critical\n');
dir.write('detectors/error-streak.yaml', 'id: error-streak\nkind: streak\nwhere: { outcome: error }\nresetWhere: { outcome: success }\ngroupBy: [callerId]\nthreshold: 20\nseverity: critical\n');
// Two levels, one of them an optional field (the null key) and two where values.
dir.write('detectors/by-version.yaml', 'id: by-version\nkind: threshold\nwhere: { outcome: [error, denied] }\ngroupBy: [callerId, serverVersion]\nwindow: 15m\nthreshold: 5\nseverity: info\n');

function quiet(): Writable & { text(): string } {
  let text = '';
  const w = new Writable({
    write(c: Buffer, _e, cb) {
      text += c.toString('utf8');
      cb();
    },
  });
  return Object.assign(w, { text: () => text });
}

type Body = { query: { bool: { filter: { range?: { timestamp: Record<string, unknown> } }[] } }; aggs: Record<string, { terms?: { min_doc_count: number } }> };
const mutate = (f: (b: Body) => void) => (shape: SearchShape, endMs: number) => {
  const b = JSON.parse(JSON.stringify(searchBody(shape, { endMs }))) as Body;
  f(b);
  return b;
};

describe('provision verify on a real Elasticsearch node', () => {
  let url: string;
  before(async () => {
    url = (await elasticsearchForTests()).url;
  });

  const run = async (extra: Partial<VerifyOptions> = {}, esUrl = url) => {
    const stdout = quiet();
    const summary = await provisionVerify({ detectorsDir: `${dir.dir}/detectors`, section: section({ elasticsearch: { url: esUrl } }), env: {}, seed: 20260305, evaluations: 120, keysPerDetector: 6, keepIndex: false, retry: instantRetry(), stdout, stderr: quiet(), ...extra });
    return { summary, out: stdout.text() };
  };

  it('finds the compiled queries equivalent: threshold keys match exactly, streak differences are all declared', async () => {
    const { summary, out } = await run();
    assert.equal(summary.exitCode, 0, out);
    const by = new Map(summary.reports.map((r) => [r.detector, r]));
    for (const id of ['rate-limit-burst', 'denial-spike', 'by-version']) {
      const r = by.get(id);
      assert.ok(r, id);
      assert.equal(r.exactness.kind, 'exact');
      assert.equal(r.undeclared.length, 0, `${id}: ${JSON.stringify(r.undeclared.slice(0, 3))}`);
      assert.equal(r.agreed, r.keysCompared, id);
      assert.ok(r.keysCompared >= 20, `${id} compared too few keys (${r.keysCompared}) to mean anything`);
    }
    const streak = by.get('error-streak');
    assert.ok(streak && streak.exactness.kind === 'approximation');
    assert.equal(streak.undeclared.length, 0);
    assert.ok((streak.declared.get('reset-in-window') ?? 0) > 0 && (streak.declared.get('streak-longer-than-window') ?? 0) > 0, 'both declared causes occur');
    assert.ok(by.get('by-version')?.keysCompared !== undefined);
    process.stdout.write(`# verify: ${summary.events} events, ${summary.reports.reduce((n, r) => n + r.keysCompared, 0)} keys compared in ${summary.elapsedMs} ms\n`);
  });

  it('catches a window boundary one millisecond off (gte instead of gt)', async () => {
    const { summary } = await run({ evaluations: 60, bodyFor: mutate((b) => {
      const r = b.query.bool.filter[0]?.range?.timestamp ?? {};
      r.gte = r.gt;
      delete r.gt;
    }) });
    assert.equal(summary.exitCode, 1);
    assert.ok(summary.reports.filter((r) => r.exactness.kind === 'exact').some((r) => r.undeclared.some((d) => d.side === 'query-only')));
  });

  it('catches the other boundary (lt instead of lte)', async () => {
    const { summary } = await run({ evaluations: 60, bodyFor: mutate((b) => {
      const r = b.query.bool.filter[0]?.range?.timestamp ?? {};
      r.lt = r.lte;
      delete r.lte;
    }) });
    assert.equal(summary.exitCode, 1);
    assert.ok(summary.reports.some((r) => r.undeclared.some((d) => d.side === 'engine-only')));
  });

  it('catches a threshold off by one (min_doc_count = threshold)', async () => {
    const { summary } = await run({ evaluations: 60, bodyFor: (shape, endMs) => searchBody({ ...shape, threshold: shape.threshold - 1 }, { endMs }) });
    assert.equal(summary.exitCode, 1);
  });

  describe('template form, rendered by the contract server and run on the node', () => {
    let contract: ElasticsearchContract;
    before(async () => {
      contract = await ElasticsearchContract.start({ upstream: url });
    });
    after(() => contract.close());

    it('returns exactly the plain body’s keys', async () => {
      const { summary, out } = await run({ evaluations: 40 }, contract.url);
      assert.equal(summary.exitCode, 0, out);
      assert.ok(summary.templateChecks >= 30, out);
      assert.ok(contract.accepted().some((r) => r.path.endsWith('/_search/template')));
      assert.deepEqual(contract.rejected().map((r) => r.reason), []);
    });
  });

  it('runs as `auditwatch provision verify` and exits 0', async () => {
    const r = await cli(['provision', 'verify', '--detectors', `${dir.dir}/detectors`, '--es-url', url, '--evaluations', '40', '--keys', '4', '--seed', '7']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /verify: equivalent: \d+ keys compared, every difference is one the plan declares/);
  });
});
