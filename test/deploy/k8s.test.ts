import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parse } from 'yaml';
import { loadDetectors } from '../../src/config/detectors.js';
import { loadRoutes } from '../../src/config/routes.js';
import { runtimeConfigSchema } from '../../src/config/runtime.js';
import { tempDir } from '../helpers/tmp.js';
import { k8sProblems } from './schemas.js';

const DIR = fileURLToPath(new URL('../../deploy/k8s/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

type Obj = Record<string, unknown>;
const manifests = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');

function objects(file: string): Obj[] {
  return parseAllDocuments(readFileSync(DIR + file, 'utf8')).map((d) => {
    assert.deepEqual(d.errors, [], file);
    return d.toJS() as Obj;
  });
}
function all(): Obj[] {
  return manifests.flatMap(objects);
}
function byKind(kind: string, name?: string): Obj {
  const o = all().find((x) => x['kind'] === kind && (name === undefined || (x['metadata'] as Obj)['name'] === name));
  assert.ok(o !== undefined, `${kind} ${name ?? ''}`);
  return o;
}
// Small typed accessors for the nested manifest data.
const at = (o: unknown, ...path: (string | number)[]): unknown => path.reduce<unknown>((v, k) => (v === null || typeof v !== 'object' ? undefined : (v as Record<string | number, unknown>)[k]), o);

describe('Kubernetes manifests', () => {
  it('are valid Kubernetes objects, with no field their schema does not know', () => {
    assert.ok(manifests.length >= 8);
    for (const f of manifests) for (const o of objects(f)) assert.deepEqual(k8sProblems(o), [], `${f}: ${String(o['kind'])}`);
  });

  it('the strict check catches a misspelt field and a wrong type', () => {
    const d = structuredClone(byKind('Deployment'));
    (d['spec'] as Obj)['replica'] = 2;
    assert.match(k8sProblems(d).join('\n'), /\/spec\/replica: not a field/);
    const e = structuredClone(byKind('Deployment'));
    (at(e, 'spec', 'template', 'spec', 'containers', 0) as Obj)['readinesProbe'] = {};
    assert.match(k8sProblems(e).join('\n'), /readinesProbe: not a field/);
    const f = structuredClone(byKind('Deployment'));
    (f['spec'] as Obj)['replicas'] = 'three';
    assert.match(k8sProblems(f).join('\n'), /replicas must be integer/);
  });

  it('kustomization lists every manifest but the example Secret', () => {
    const k = parse(readFileSync(DIR + 'kustomization.yaml', 'utf8')) as { resources: string[] };
    assert.deepEqual([...k.resources].sort(), manifests.filter((f) => f !== 'secret.example.yaml').sort());
    for (const r of k.resources) assert.ok(existsSync(DIR + r), r);
  });

  it('the Deployment probes the health endpoints, runs unprivileged on a read-only root, and takes secrets only from Secret refs', () => {
    const d = byKind('Deployment');
    const pod = at(d, 'spec', 'template', 'spec') as Obj;
    const c = at(pod, 'containers', 0) as Obj;
    assert.equal(at(c, 'readinessProbe', 'httpGet', 'path'), '/readyz');
    assert.equal(at(c, 'livenessProbe', 'httpGet', 'path'), '/healthz');
    assert.equal(at(c, 'readinessProbe', 'httpGet', 'port'), 'metrics');
    assert.deepEqual(c['ports'], [{ name: 'metrics', containerPort: 9464, protocol: 'TCP' }]);
    assert.equal(at(pod, 'securityContext', 'runAsNonRoot'), true);
    assert.equal(at(c, 'securityContext', 'readOnlyRootFilesystem'), true);
    assert.equal(at(c, 'securityContext', 'allowPrivilegeEscalation'), false);
    assert.deepEqual(at(c, 'securityContext', 'capabilities', 'drop'), ['ALL']);
    assert.ok(Number(at(pod, 'terminationGracePeriodSeconds')) > 30, 'longer than the 30 s graceful stop');
    const env = c['env'] as { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string } } }[];
    for (const name of ['SLACK_WEBHOOK_URL', 'PAGERDUTY_ROUTING_KEY', 'AUDITWATCH_KAFKA_SASL_PASSWORD']) {
      const e = env.find((x) => x.name === name);
      assert.equal(e?.valueFrom?.secretKeyRef?.name, 'auditwatch-secrets', name);
      assert.equal(e?.value, undefined);
    }
    const mounts = (c['volumeMounts'] as { mountPath: string; readOnly?: boolean }[]).filter((m) => m.readOnly !== true).map((m) => m.mountPath);
    assert.deepEqual(mounts.sort(), ['/tmp', '/var/lib/auditwatch'], 'writable: the outbox and /tmp only');
  });

  it('requests memory that fits the benchmark figure for 100k active keys, with the heap capped under the limit', () => {
    const bench = readFileSync(ROOT + 'bench/results/latest.md', 'utf8');
    const m = /memory per active threshold key[^|]*\| ([\d,]+) B/.exec(bench);
    assert.ok(m !== null, 'bench/results/latest.md has the memory-per-key figure');
    const perKey = Number((m[1] ?? '').replace(/,/g, ''));
    const c = at(byKind('Deployment'), 'spec', 'template', 'spec', 'containers', 0) as Obj;
    const mi = (q: unknown): number => Number(/^(\d+)Mi$/.exec(String(q))?.[1]);
    const request = mi(at(c, 'resources', 'requests', 'memory'));
    const limit = mi(at(c, 'resources', 'limits', 'memory'));
    const baseline = 64 + 40; // process RSS over the sample + fetch buffers, MiB (see deployment.yaml)
    const state = (2 * perKey * 100_000) / 2 ** 20; // 100k keys, doubled while a checkpoint is serialised
    assert.ok(request >= baseline + state, `request ${request}Mi < ${Math.ceil(baseline + state)}Mi`);
    assert.ok(limit >= 2 * request);
    const heap = Number(/--max-old-space-size=(\d+)/.exec(String((c['env'] as { name: string; value?: string }[]).find((e) => e.name === 'NODE_OPTIONS')?.value))?.[1]);
    assert.ok(heap > state && heap < limit, `heap cap ${heap} between ${state} and ${limit}`);
  });

  it('PodDisruptionBudget, Service and ServiceMonitor select the Deployment\'s pods and its metrics port', () => {
    const labels = at(byKind('Deployment'), 'spec', 'template', 'metadata', 'labels') as Record<string, string>;
    const matches = (sel: unknown): boolean => Object.entries(sel as Record<string, string>).every(([k, v]) => labels[k] === v);
    assert.ok(matches(at(byKind('PodDisruptionBudget'), 'spec', 'selector', 'matchLabels')));
    const svc = byKind('Service');
    assert.ok(matches(at(svc, 'spec', 'selector')));
    assert.deepEqual(at(svc, 'spec', 'ports', 0, 'targetPort'), 'metrics');
    const sm = byKind('ServiceMonitor');
    const svcLabels = at(svc, 'metadata', 'labels') as Record<string, string>;
    assert.ok(Object.entries(at(sm, 'spec', 'selector', 'matchLabels') as Record<string, string>).every(([k, v]) => svcLabels[k] === v));
    assert.equal(at(sm, 'spec', 'endpoints', 0, 'port'), 'metrics');
    assert.equal(at(sm, 'spec', 'endpoints', 0, 'path'), '/metrics');
  });

  it('ConfigMaps ship exactly the repository\'s detectors and routes, and they load', () => {
    for (const [name, folder] of [
      ['auditwatch-detectors', 'detectors'],
      ['auditwatch-alerts', 'alerts'],
    ] as const) {
      const data = at(byKind('ConfigMap', name), 'data') as Record<string, string>;
      const files = readdirSync(ROOT + folder).filter((f) => f.endsWith('.yaml')).sort();
      assert.deepEqual(Object.keys(data).sort(), files, `${name}: run node deploy/k8s/generate-configmaps.mjs`);
      for (const f of files) assert.equal(data[f], readFileSync(`${ROOT}${folder}/${f}`, 'utf8'), `${name}/${f} is stale: run node deploy/k8s/generate-configmaps.mjs`);
    }
    const t = tempDir();
    const detectors = at(byKind('ConfigMap', 'auditwatch-detectors'), 'data') as Record<string, string>;
    for (const [f, text] of Object.entries(detectors)) t.write(`detectors/${f}`, text);
    assert.ok(loadDetectors(`${t.dir}/detectors`).length >= 3);
    t.write('alerts/routes.yaml', (at(byKind('ConfigMap', 'auditwatch-alerts'), 'data') as Record<string, string>)['routes.yaml'] ?? '');
    assert.ok(loadRoutes(`${t.dir}/alerts/routes.yaml`).length >= 1);
  });

  it('the auditwatch.yaml of the config ConfigMap is a valid configuration pointing at the mounted folders', () => {
    const text = (at(byKind('ConfigMap', 'auditwatch-config'), 'data') as Record<string, string>)['auditwatch.yaml'];
    const res = runtimeConfigSchema.safeParse(parse(text ?? ''));
    assert.ok(res.success, JSON.stringify(res.error?.issues));
    const c = res.data;
    const pod = at(byKind('Deployment'), 'spec', 'template', 'spec', 'containers', 0) as Obj;
    const mounts = (pod['volumeMounts'] as { mountPath: string }[]).map((m) => m.mountPath);
    assert.ok(c.detectors !== undefined && mounts.includes(c.detectors));
    assert.ok(c.alerts !== undefined && mounts.includes(c.alerts));
    assert.equal(c.ops?.health.host, '0.0.0.0');
    assert.equal(c.ops?.health.port, 9464);
    assert.ok(c.alerting?.outbox.path.startsWith('/var/lib/auditwatch/'));
    const env = (pod['env'] as { name: string; value?: string }[]).find((e) => e.name === 'AUDITWATCH_CONFIG');
    assert.ok(mounts.some((m) => env?.value?.startsWith(`${m}/`)));
  });
});
