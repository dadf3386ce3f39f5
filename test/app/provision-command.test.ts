// `auditwatch provision` as a user runs it (a child process): exit codes, config errors, a detector
// that cannot be compiled, and keys that never reach the output.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DatadogFake } from '../fakes/datadog.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const API_KEY = 'dd-cli-api-key-4f3e2d1c0b9a8f7e6d5c';
const APP_KEY = 'dd-cli-app-key-9a8b7c6d5e4f3a2b1c0d9e8f';
const dir = tempDir('aw-cli-prov-');
dir.write('detectors/denial-spike.yaml', 'id: denial-spike\nkind: threshold\nwhere: { outcome: denied }\ngroupBy: [callerId]\nwindow: 1h\nthreshold: 30\nseverity: critical\n');
dir.write('bad/slow-burn.yaml', 'id: slow-burn\nkind: threshold\nwhere: { outcome: denied }\ngroupBy: [callerId]\nwindow: 3d\nthreshold: 5\nseverity: info\n');

describe('auditwatch provision (CLI)', () => {
  let fake: DatadogFake;
  let config: string;
  before(async () => {
    fake = await DatadogFake.start({ apiKeys: [API_KEY], appKeys: [APP_KEY] });
    config = dir.write('auditwatch.yaml', `provision:\n  datadog:\n    baseUrl: ${fake.url}\n`);
  });
  after(() => fake.close());

  const provision = (args: string[], env: NodeJS.ProcessEnv = { DD_API_KEY: API_KEY, DD_APP_KEY: APP_KEY }) =>
    cli(['provision', '--config', config, '--target', 'datadog', '--detectors', `${dir.dir}/detectors`, ...args], { env });

  it('exits 3 when changes are planned, 0 after --apply, 0 when nothing changed', async () => {
    const dry = await provision([]);
    assert.equal(dry.code, 3, dry.stdout + dry.stderr);
    assert.match(dry.stdout, /Plan: 1 to create/);
    assert.equal((await provision(['--apply'])).code, 0);
    const again = await provision(['--dry-run']);
    assert.equal(again.code, 0, again.stdout);
    assert.match(again.stdout, /1 unchanged/);
  });

  it('exits 1 on refused keys without printing them', async () => {
    const wrong = 'dd-cli-wrong-key-00ff11ee22dd33cc';
    const r = await provision([], { DD_API_KEY: wrong, DD_APP_KEY: APP_KEY });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /HTTP 403: the API key or application key was refused/);
    for (const k of [wrong, APP_KEY]) assert.ok(!(r.stdout + r.stderr).includes(k), 'a key reached the output');
  });

  it('exits 2 when a key is not in the environment, naming the variable', async () => {
    const r = await provision([], { DD_APP_KEY: APP_KEY, DD_API_KEY: '' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /environment variable DD_API_KEY is not set/);
  });

  it('exits 2 for a detector that cannot be compiled, naming it and its file, and writes nothing', async () => {
    const before = fake.requests().filter((x) => x.method !== 'GET').length;
    const r = await cli(['provision', '--config', config, '--target', 'datadog', '--detectors', `${dir.dir}/bad`, '--apply'], { env: { DD_API_KEY: API_KEY, DD_APP_KEY: APP_KEY } });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /bad\/slow-burn\.yaml: detector "slow-burn" cannot be compiled for datadog \(monitor\): window 3d is longer than the 48h/);
    assert.equal(fake.requests().filter((x) => x.method !== 'GET').length, before);
  });

  it('exits 2 on --dry-run with --apply', async () => {
    const r = await provision(['--dry-run', '--apply']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--dry-run and --apply exclude each other/);
  });
});
