// The shipper examples cannot run here (no Vector or Fluent Bit binary), so their contract is
// checked: they read the audit log, keep only audit events, add the callerId, key by it and
// produce over verified TLS; and what they produce is what auditwatch, configured as in
// deploy/k8s, decodes into events of that caller.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { inputDecoder } from '../../src/app/input.js';
import { runtimeConfigSchema } from '../../src/config/runtime.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (p: string): string => readFileSync(`${ROOT}${p}`, 'utf8');

interface VectorConfig {
  sources: Record<string, { type: string; include: string[] }>;
  transforms: Record<string, { type: string; inputs: string[]; source: string; drop_on_abort?: boolean }>;
  sinks: Record<string, { type: string; inputs: string[]; topic: string; key_field: string; encoding: { codec: string }; tls: { enabled: boolean; verify_certificate: boolean; verify_hostname: boolean }; sasl?: { enabled: boolean } }>;
}

/** Fluent Bit's classic format: [SECTION] then `Key Value` lines. */
function fluentSections(text: string): { name: string; entries: [string, string][] }[] {
  const out: { name: string; entries: [string, string][] }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const s = /^\[(\w+)\]$/.exec(line);
    if (s !== null) out.push({ name: s[1] ?? '', entries: [] });
    else {
      const kv = /^(\S+)\s+(.+)$/.exec(line);
      assert.ok(kv !== null && out.length > 0, `bad line: ${line}`);
      out[out.length - 1]?.entries.push([kv[1] ?? '', kv[2] ?? '']);
    }
  }
  return out;
}

const K8S_CONFIG = (): ReturnType<typeof runtimeConfigSchema.parse> => {
  const cm = parse(read('deploy/k8s/configmap-config.yaml')) as { data: Record<string, string> };
  return runtimeConfigSchema.parse(parse(cm.data['auditwatch.yaml'] ?? ''));
};

describe('shipper examples', () => {
  it('Vector: audit lines of the file, plus callerId, to Kafka keyed by callerId over verified TLS', () => {
    const v = parse(read('deploy/shippers/vector.yaml')) as VectorConfig;
    const [sourceName, source] = Object.entries(v.sources)[0] ?? [];
    assert.equal(source?.type, 'file');
    assert.ok(source?.include.some((p) => p.endsWith('.log')));
    const [transformName, t] = Object.entries(v.transforms)[0] ?? [];
    assert.deepEqual(t?.inputs, [sourceName]);
    assert.equal(t?.type, 'remap');
    assert.equal(t?.drop_on_abort, true);
    assert.match(t?.source ?? '', /parse_json\(\.message\)/);
    assert.match(t?.source ?? '', /\.target != "audit"\s*\{\s*abort\s*\}/);
    assert.match(t?.source ?? '', /\.callerId = "\$\{MCP_CALLER_ID\}"/);
    const sink = Object.values(v.sinks)[0];
    assert.equal(sink?.type, 'kafka');
    assert.deepEqual(sink?.inputs, [transformName]);
    assert.equal(sink?.key_field, 'callerId');
    assert.equal(sink?.encoding.codec, 'json');
    assert.deepEqual(sink?.tls, { ...sink?.tls, enabled: true, verify_certificate: true, verify_hostname: true });
    assert.equal(sink?.sasl?.enabled, true);
    assert.equal(sink?.topic, K8S_CONFIG().kafka?.input.topics?.[0]);
  });

  it('Fluent Bit: the same, with librdkafka over SASL_SSL and certificate verification on', () => {
    const sections = fluentSections(read('deploy/shippers/fluent-bit.conf'));
    const get = (name: string, key: string): string[] => sections.filter((s) => s.name === name).flatMap((s) => s.entries.filter(([k]) => k === key).map(([, v]) => v));
    assert.deepEqual(get('INPUT', 'Name'), ['tail']);
    assert.ok(get('INPUT', 'Path')[0]?.endsWith('.log'));
    const parser = get('INPUT', 'Parser')[0];
    assert.ok(parser !== undefined && read('deploy/shippers/parsers.conf').includes(`Name        ${parser}`));
    assert.ok(get('SERVICE', 'Parsers_File').includes('parsers.conf'));
    assert.deepEqual(get('FILTER', 'Regex'), ['target ^audit$']);
    assert.deepEqual(get('FILTER', 'Add'), ['callerId ${MCP_CALLER_ID}']);
    assert.deepEqual(get('OUTPUT', 'Name'), ['kafka']);
    assert.deepEqual(get('OUTPUT', 'Message_Key_Field'), ['callerId']);
    assert.deepEqual(get('OUTPUT', 'Format'), ['json']);
    assert.deepEqual(get('OUTPUT', 'rdkafka.security.protocol'), ['SASL_SSL']);
    assert.deepEqual(get('OUTPUT', 'rdkafka.enable.ssl.certificate.verification'), ['true']);
    assert.deepEqual(get('OUTPUT', 'Topics'), [K8S_CONFIG().kafka?.input.topics?.[0]]);
    // Every section's Match targets the input's tag.
    const tag = get('INPUT', 'Tag')[0];
    for (const s of sections.filter((x) => x.name === 'FILTER' || x.name === 'OUTPUT')) assert.deepEqual(s.entries.filter(([k]) => k === 'Match').map(([, v]) => v), [tag]);
  });

  it('what they produce (a redisctl-mcp audit line plus callerId) is what auditwatch decodes, as deploy/k8s configures it', () => {
    const config = K8S_CONFIG();
    assert.equal(config.kafka?.input.keyedBy, 'callerId');
    const decode = inputDecoder({}, config.input).decode;
    const lines = read('test/fixtures/formats/redisctl.jsonl').split('\n').filter((l) => l.trim() !== '');
    assert.ok(lines.length > 3);
    let accepted = 0;
    for (const line of lines) {
      const shipped = JSON.stringify({ ...(JSON.parse(line) as object), callerId: 'agent-reporting' });
      const r = decode(shipped);
      if (!r.ok) continue;
      accepted++;
      assert.equal(r.event.callerId, 'agent-reporting');
    }
    assert.ok(accepted >= lines.length - 1, `${accepted} of ${lines.length} decoded`);
  });
});
