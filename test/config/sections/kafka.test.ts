import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { kafkaConfigured, kafkaSectionSchema, resolveKafkaSettings } from '../../../src/config/sections/kafka.js';
import { runtimeConfigSchema } from '../../../src/config/runtime.js';
import { isAuditwatchError } from '../../../src/errors.js';

const files = new Map<string, string>([
  ['/etc/kafka/ca.pem', '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n'],
  ['/run/secrets/kafka', 'file-S3cret-value\n'],
]);
const readFile = (p: string): string => {
  const v = files.get(p);
  if (v === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
  return v;
};

describe('kafka section of auditwatch.yaml', () => {
  it('derives the internal topics from the group, with safe defaults', () => {
    const s = resolveKafkaSettings({ brokers: ['kafka-1:9092'], input: { topics: ['mcp-audit'] } }, {}, readFile);
    assert.deepEqual(
      { ...s, sasl: undefined },
      {
        brokers: ['kafka-1:9092'],
        clientId: 'auditwatch',
        groupId: 'auditwatch',
        inputTopics: ['mcp-audit'],
        keyedBy: 'none',
        startFrom: 'earliest',
        stateTopic: 'auditwatch-state',
        deadLetterTopic: 'auditwatch-dlq',
        byCallerTopic: 'auditwatch-by-caller',
        createTopics: true,
        replicationFactor: undefined,
        checkpointIntervalMs: 5_000,
        checkpointEvents: 200_000,
        sessionTimeoutMs: 30_000,
        output: 'alerting',
        tls: undefined,
        sasl: undefined,
      },
    );
  });

  it('parses as part of auditwatch.yaml, and the parsed section parses again (durations become numbers)', () => {
    const config = runtimeConfigSchema.parse({ kafka: { brokers: ['k:9092'], groupId: 'g', input: { topics: ['t'], keyedBy: 'callerId' }, checkpoint: { interval: '10s' }, sessionTimeout: '6s' } });
    const s = resolveKafkaSettings(config.kafka, {}, readFile);
    assert.equal(s.checkpointIntervalMs, 10_000);
    assert.equal(s.sessionTimeoutMs, 6_000);
    assert.equal(s.keyedBy, 'callerId');
    assert.equal(s.stateTopic, 'g-state');
  });

  it('takes everything from AUDITWATCH_KAFKA_* when there is no file section, the environment winning over the file', () => {
    const env = {
      AUDITWATCH_KAFKA_BROKERS: ' a:9092, b:9093 ',
      AUDITWATCH_KAFKA_GROUP_ID: 'prod-aw',
      AUDITWATCH_KAFKA_TOPICS: 'audit-a,audit-b',
      AUDITWATCH_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      AUDITWATCH_KAFKA_SASL_USERNAME: 'aw',
      AUDITWATCH_KAFKA_SASL_PASSWORD: 'env-S3cret-value',
      AUDITWATCH_KAFKA_TLS_CA: '/etc/kafka/ca.pem',
      AUDITWATCH_KAFKA_OUTPUT: 'jsonl',
    };
    assert.equal(kafkaConfigured(undefined, env), true);
    assert.equal(kafkaConfigured(undefined, {}), false);
    const s = resolveKafkaSettings({ brokers: ['file:9092'], groupId: 'from-file' }, env, readFile);
    assert.deepEqual(s.brokers, ['a:9092', 'b:9093']);
    assert.equal(s.groupId, 'prod-aw');
    assert.deepEqual(s.inputTopics, ['audit-a', 'audit-b']);
    assert.equal(s.output, 'jsonl');
    assert.equal(s.sasl?.mechanism, 'scram-sha-512');
    assert.equal(s.sasl?.password.reveal(), 'env-S3cret-value');
    assert.equal(s.tls?.ca, files.get('/etc/kafka/ca.pem'));
    assert.equal(s.tls?.verify, true, 'TLS verification is on unless turned off');
  });

  it('reads the SASL password from a file; it never shows in the settings printed or serialised', () => {
    const s = resolveKafkaSettings({ brokers: ['k:9092'], input: { topics: ['t'] }, sasl: { mechanism: 'plain', username: 'aw', password: { file: '/run/secrets/kafka' } } }, {}, readFile);
    assert.equal(s.sasl?.password.reveal(), 'file-S3cret-value');
    for (const text of [JSON.stringify(s), inspect(s, { depth: 10 }), String(s.sasl?.password), `${s.sasl?.password}`]) assert.ok(!text.includes('file-S3cret-value'), text);
  });

  it('a missing password names where it should be, never a value', () => {
    const go = (env: NodeJS.ProcessEnv) => resolveKafkaSettings({ brokers: ['k:9092'], input: { topics: ['t'] }, sasl: { mechanism: 'plain', username: 'aw' } }, env, readFile);
    assert.throws(() => go({}), (err: unknown) => isAuditwatchError(err, 'SECRET_MISSING') && /AUDITWATCH_KAFKA_SASL_PASSWORD is not set/.test(err.message));
    assert.throws(
      () => resolveKafkaSettings({ brokers: ['k:9092'], input: { topics: ['t'] }, sasl: { mechanism: 'plain', username: 'aw', password: { file: '/nope' } } }, {}, readFile),
      (err: unknown) => isAuditwatchError(err, 'SECRET_MISSING') && /cannot read the SASL password from file \/nope/.test(err.message),
    );
  });

  it('refuses bad values with the field named, and never echoes a password given where it does not belong', () => {
    const bad = (raw: unknown, env: NodeJS.ProcessEnv = {}): string => {
      try {
        resolveKafkaSettings(raw, env, readFile);
      } catch (err) {
        assert.ok(isAuditwatchError(err, 'CONFIG_INVALID'));
        return err.message;
      }
      return 'accepted';
    };
    assert.match(bad({ input: { topics: ['t'] } }), /kafka\.brokers: no brokers given \(set kafka\.brokers or AUDITWATCH_KAFKA_BROKERS\)/);
    assert.match(bad({ brokers: ['k:9092'] }), /kafka\.input\.topics: no input topic/);
    assert.match(bad({ brokers: ['http://k:9092'], input: { topics: ['t'] } }), /kafka\.brokers\.0: a broker is host:port/);
    assert.match(bad({ brokers: ['k:9092'], input: { topics: ['t'] }, checkpoint: { interval: '0s' } }), /kafka\.checkpoint\.interval/);
    assert.match(bad({ brokers: ['k:9092'], input: { topics: ['t'] }, tls: { cert: '/c.pem' } }), /tls\.cert and tls\.key go together/);
    assert.match(bad({ brokers: ['k:9092'], input: { topics: ['t'] }, tls: { ca: '/missing.pem' } }), /cannot read the CA file \/missing\.pem/);
    assert.match(bad({ brokers: ['k:9092'], input: { topics: ['t'] }, sasl: { mechanism: 'gssapi', username: 'u' } }), /kafka\.sasl\.mechanism/);
    // A password pasted into the file is refused (strict schema), and not repeated in the message.
    const msg = bad({ brokers: ['k:9092'], input: { topics: ['t'] }, sasl: { mechanism: 'plain', username: 'u', password: 'Pasted-S3cret' } });
    assert.match(msg, /kafka\.sasl\.password/);
    assert.ok(!msg.includes('Pasted-S3cret'));
    assert.match(bad({}, { AUDITWATCH_KAFKA_BROKERS: 'k:9092', AUDITWATCH_KAFKA_TOPICS: 't', AUDITWATCH_KAFKA_KEYED_BY: 'tool' }), /kafka\.input\.keyedBy/);
  });

  it('the schema accepts exactly the documented keys', () => {
    assert.equal(kafkaSectionSchema.safeParse({ brokers: ['k:1'], bogus: 1 }).success, false);
    assert.equal(kafkaSectionSchema.safeParse({ topics: { state: 'my-state', deadLetter: 'my-dlq', byCaller: 'my-rekey' }, replicationFactor: 3, createTopics: false }).success, true);
  });
});
