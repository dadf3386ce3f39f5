// Checks the input topics and creates (or checks) the internal ones before anything consumes:
// a missing input topic is a clear startup error, not a consumer retrying forever.
import type { KafkaSettings } from '../../config/sections/kafka.js';
import { AuditwatchError } from '../../errors.js';
import type { LogAdmin } from '../../sources/source.js';
import type { KafkaLog } from './log.js';

export interface TopicLayout {
  /** The topic detection reads: the input when keyed by callerId, else `<group>-by-caller`. */
  readonly detectionTopic: string;
  readonly detectionPartitions: number;
  readonly deadLetterPartitions: number;
  /** Largest snapshot chunk that fits the state topic's max.message.bytes. */
  readonly chunkBytes: number;
  /** Original bytes kept in a dead letter: input.maxBytes, or less if the topic's limit is lower. */
  readonly deadLetterValueBytes: number;
}

// Snapshot records superseded by a newer one stay at least this long before compaction may
// remove them: a checkpoint is committed within seconds of being written.
const STATE_TOPIC_CONFIG = { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': String(3_600_000), 'segment.ms': String(6 * 3_600_000) };
const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;
// Room for a record's key, headers and batch framing next to its value.
const OVERHEAD = 16 * 1024;

async function maxMessageBytes(admin: LogAdmin, topic: string): Promise<number> {
  const n = Number((await admin.topicConfig(topic, ['max.message.bytes'])).get('max.message.bytes') ?? DEFAULT_MAX_MESSAGE_BYTES);
  return Number.isFinite(n) && n > 0 ? n : DEFAULT_MAX_MESSAGE_BYTES;
}

async function ensure(admin: LogAdmin, s: KafkaSettings, log: KafkaLog, topic: string, partitions: number, config: Record<string, string>, what: string): Promise<number> {
  const existing = await admin.partitionCount(topic);
  if (existing !== undefined) return existing;
  if (!s.createTopics) {
    throw new AuditwatchError('KAFKA', `the ${what} topic ${topic} does not exist and kafka.createTopics is off: create it with ${partitions} partitions`, { topic });
  }
  const created = await admin.createTopic({ topic, partitions, replicationFactor: s.replicationFactor, config });
  if (created) log.log('info', `created the ${what} topic ${topic} (${partitions} partitions)`);
  return (await admin.partitionCount(topic)) ?? partitions;
}

/** Topics that carry whole events are created to hold the largest accepted one (input.maxBytes). */
function sized(maxBytes: number): Record<string, string> {
  return { 'max.message.bytes': String(Math.max(DEFAULT_MAX_MESSAGE_BYTES, maxBytes + 4 * OVERHEAD)) };
}

export async function prepareTopics(admin: LogAdmin, s: KafkaSettings, log: KafkaLog, maxBytes: number): Promise<TopicLayout> {
  const inputCounts: number[] = [];
  for (const topic of s.inputTopics) {
    const n = await admin.partitionCount(topic);
    if (n === undefined) throw new AuditwatchError('KAFKA', `input topic ${topic} does not exist (kafka.input.topics)`, { topic });
    inputCounts.push(n);
  }
  let detectionTopic: string;
  let detectionPartitions: number;
  if (s.keyedBy === 'callerId') {
    const [topic, ...more] = s.inputTopics;
    // Two topics keyed by callerId would be two streams per caller in no defined order.
    if (topic === undefined || more.length > 0) {
      throw new AuditwatchError('CONFIG_INVALID', 'kafka.input.keyedBy: callerId needs exactly one input topic; with several, use keyedBy: none (auditwatch re-keys them)');
    }
    detectionTopic = topic;
    detectionPartitions = inputCounts[0] ?? 1;
  } else {
    detectionTopic = s.byCallerTopic;
    detectionPartitions = await ensure(admin, s, log, s.byCallerTopic, Math.max(...inputCounts), sized(maxBytes), 're-key');
    const limit = await maxMessageBytes(admin, s.byCallerTopic);
    if (limit < maxBytes + OVERHEAD) {
      throw new AuditwatchError('KAFKA', `${s.byCallerTopic} takes messages up to ${limit} bytes, less than input.maxBytes (${maxBytes}) allows: raise its max.message.bytes to ${maxBytes + 4 * OVERHEAD} or lower input.maxBytes`, {
        topic: s.byCallerTopic,
      });
    }
  }
  const stateCount = await ensure(admin, s, log, s.stateTopic, detectionPartitions, STATE_TOPIC_CONFIG, 'state');
  if (stateCount !== detectionPartitions) {
    throw new AuditwatchError('KAFKA', `state topic ${s.stateTopic} has ${stateCount} partitions but ${detectionTopic} has ${detectionPartitions}: they must match (partition p of the state topic holds the checkpoints of partition p)`, {
      topic: s.stateTopic,
    });
  }
  const deadLetterPartitions = await ensure(admin, s, log, s.deadLetterTopic, detectionPartitions, sized(maxBytes), 'dead-letter');
  const deadLetterValueBytes = Math.max(1024, Math.min(maxBytes, (await maxMessageBytes(admin, s.deadLetterTopic)) - OVERHEAD));
  if (deadLetterValueBytes < maxBytes) log.log('warn', `${s.deadLetterTopic} takes messages up to ${deadLetterValueBytes + OVERHEAD} bytes: dead letters keep at most ${deadLetterValueBytes} bytes of the original`);
  const cfg = await admin.topicConfig(s.stateTopic, ['max.message.bytes', 'cleanup.policy']);
  const policy = cfg.get('cleanup.policy');
  if (policy !== undefined && !policy.includes('compact')) log.log('warn', `state topic ${s.stateTopic} has cleanup.policy=${policy}: checkpoints of idle partitions may expire; use compact`);
  const maxMessage = Number(cfg.get('max.message.bytes') ?? DEFAULT_MAX_MESSAGE_BYTES);
  const chunkBytes = Math.max(OVERHEAD, (Number.isFinite(maxMessage) ? maxMessage : DEFAULT_MAX_MESSAGE_BYTES) - OVERHEAD);
  return { detectionTopic, detectionPartitions, deadLetterPartitions, chunkBytes, deadLetterValueBytes };
}
