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
}

// Snapshot records superseded by a newer one stay at least this long before compaction may
// remove them: a checkpoint is committed within seconds of being written.
const STATE_TOPIC_CONFIG = { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': String(3_600_000), 'segment.ms': String(6 * 3_600_000) };
const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

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

export async function prepareTopics(admin: LogAdmin, s: KafkaSettings, log: KafkaLog): Promise<TopicLayout> {
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
    detectionPartitions = await ensure(admin, s, log, s.byCallerTopic, Math.max(...inputCounts), {}, 're-key');
  }
  const stateCount = await ensure(admin, s, log, s.stateTopic, detectionPartitions, STATE_TOPIC_CONFIG, 'state');
  if (stateCount !== detectionPartitions) {
    throw new AuditwatchError('KAFKA', `state topic ${s.stateTopic} has ${stateCount} partitions but ${detectionTopic} has ${detectionPartitions}: they must match (partition p of the state topic holds the checkpoints of partition p)`, {
      topic: s.stateTopic,
    });
  }
  const deadLetterPartitions = await ensure(admin, s, log, s.deadLetterTopic, detectionPartitions, {}, 'dead-letter');
  const cfg = await admin.topicConfig(s.stateTopic, ['max.message.bytes', 'cleanup.policy']);
  const policy = cfg.get('cleanup.policy');
  if (policy !== undefined && !policy.includes('compact')) log.log('warn', `state topic ${s.stateTopic} has cleanup.policy=${policy}: checkpoints of idle partitions may expire; use compact`);
  const maxMessage = Number(cfg.get('max.message.bytes') ?? DEFAULT_MAX_MESSAGE_BYTES);
  // Room for the record's key, headers and batch overhead.
  const chunkBytes = Math.max(16 * 1024, (Number.isFinite(maxMessage) ? maxMessage : DEFAULT_MAX_MESSAGE_BYTES) - 16 * 1024);
  return { detectionTopic, detectionPartitions, deadLetterPartitions, chunkBytes };
}
