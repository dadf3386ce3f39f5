import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { runtimeConfigSchema } from '../../src/config/runtime.js';
import { composeProblems } from './schemas.js';

const FILE = fileURLToPath(new URL('../../deploy/compose.yaml', import.meta.url));
const DIR = dirname(FILE);

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | number>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: unknown;
  read_only?: boolean;
  user?: string;
  ports?: string[];
}
const doc = parse(readFileSync(FILE, 'utf8')) as { services: Record<string, Service> };
const svc = (name: string): Service => {
  const s = doc.services[name];
  assert.ok(s !== undefined, name);
  return s;
};

describe('compose file', () => {
  it('is valid against the Compose Specification schema', () => {
    assert.deepEqual(composeProblems(doc), []);
  });

  it('the schema check has teeth: an unknown key and a wrong type are refused', () => {
    const bad = structuredClone(doc);
    (bad.services['auditwatch'] as Record<string, unknown>)['readonly'] = true;
    assert.match(composeProblems(bad).join('\n'), /additional properties/);
    const bad2 = structuredClone(doc);
    (bad2.services['auditwatch'] as Record<string, unknown>)['ports'] = 9464;
    assert.notDeepEqual(composeProblems(bad2), []);
  });

  it('runs Kafka in KRaft mode, Elasticsearch, auditwatch and the sample producer', () => {
    assert.deepEqual(Object.keys(doc.services).sort(), ['auditwatch', 'elasticsearch', 'kafka', 'producer']);
    const k = svc('kafka').environment ?? {};
    assert.equal(k['KAFKA_PROCESS_ROLES'], 'broker,controller');
    assert.equal(k['KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR'], 1, 'one node: or consumers wait for a coordinator forever');
    assert.ok(svc('kafka').healthcheck !== undefined);
    assert.equal(svc('auditwatch').depends_on?.['kafka']?.condition, 'service_healthy');
  });

  it('builds auditwatch from deploy/Dockerfile, read-only, unprivileged, with its config mounted', () => {
    const a = svc('auditwatch');
    assert.ok(a.build !== undefined);
    assert.ok(existsSync(resolve(DIR, a.build.context, a.build.dockerfile)));
    assert.equal(a.read_only, true);
    assert.equal(a.user, '1000:1000');
    assert.ok((a.ports ?? []).every((p) => p.startsWith('127.0.0.1:')), 'published on loopback only');
    const mount = (a.volumes ?? []).find((v) => v.endsWith(':/etc/auditwatch/auditwatch.yaml:ro'));
    assert.ok(mount !== undefined);
    assert.equal(a.environment?.['AUDITWATCH_CONFIG'], '/etc/auditwatch/auditwatch.yaml');
    const host = resolve(DIR, mount.split(':')[0] ?? '');
    const config = runtimeConfigSchema.safeParse(parse(readFileSync(host, 'utf8')));
    assert.ok(config.success, JSON.stringify(config.error?.issues));
    assert.deepEqual(config.data.kafka?.brokers, ['kafka:9092']);
    assert.equal(config.data.kafka?.input.keyedBy, 'callerId', 'the producer keys by callerId');
    assert.equal(config.data.ops?.health.host, '0.0.0.0');
    assert.ok(config.data.alerting?.outbox.path.startsWith('/var/lib/auditwatch/'));
  });

  it('the producer script it mounts exists and writes to the topic auditwatch reads', () => {
    const p = svc('producer');
    const mount = (p.volumes ?? []).find((v) => v.includes('producer.mjs'));
    assert.ok(mount !== undefined && existsSync(resolve(DIR, mount.split(':')[0] ?? '')));
    assert.equal(p.entrypoint?.[1], mount.split(':')[1]);
    const config = parse(readFileSync(resolve(DIR, 'compose/auditwatch.yaml'), 'utf8')) as { kafka: { input: { topics: string[] } } };
    assert.deepEqual(config.kafka.input.topics, [p.environment?.['TOPIC']]);
  });
});
