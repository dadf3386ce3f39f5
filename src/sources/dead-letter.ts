// Dead letters: every record auditwatch rejects goes to `<group>-dlq` with why and where it came
// from, so nothing disappears silently and an operator can inspect or replay it. The original
// bytes are kept up to the input limit (a 50 MB poison message is not copied whole). The key is
// the source position, so a record re-sent after a crash is recognisable as the same one.
import { z } from 'zod';
import type { OutRecord, SourceRecord } from './source.js';

export interface DeadLetterSource {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** The source record's timestamp, epoch ms. */
  readonly timestamp: number;
}

const H = {
  reason: 'aw-reason',
  detail: 'aw-detail',
  topic: 'aw-source-topic',
  partition: 'aw-source-partition',
  offset: 'aw-source-offset',
  timestamp: 'aw-source-timestamp',
  bytes: 'aw-original-bytes',
  truncated: 'aw-truncated',
} as const;

/** The dead-letter record for a rejected source record; `value` truncated to `maxBytes`. */
export function deadLetterRecord(
  dlqPartitions: number,
  src: DeadLetterSource,
  value: Buffer | null,
  rejection: { readonly reason: string; readonly detail: string },
  maxBytes: number,
): OutRecord {
  const original = value ?? Buffer.alloc(0);
  const truncated = original.length > maxBytes;
  return {
    partition: src.partition % dlqPartitions,
    key: `${src.topic}/${src.partition}/${src.offset}`,
    value: truncated ? original.subarray(0, maxBytes) : original,
    headers: {
      [H.reason]: rejection.reason,
      // The detail never quotes the value (see events/rejection.ts); bounded all the same.
      [H.detail]: rejection.detail.slice(0, 500),
      [H.topic]: src.topic,
      [H.partition]: String(src.partition),
      [H.offset]: String(src.offset),
      [H.timestamp]: String(src.timestamp),
      [H.bytes]: String(original.length),
      [H.truncated]: truncated ? 'true' : 'false',
    },
  };
}

const int = z.string().regex(/^\d{1,16}$/).transform(Number);
const headersSchema = z.object({
  [H.reason]: z.string().min(1).max(200),
  [H.detail]: z.string().max(500),
  [H.topic]: z.string().min(1).max(249),
  [H.partition]: int,
  [H.offset]: int,
  [H.timestamp]: int,
  [H.bytes]: int,
  [H.truncated]: z.enum(['true', 'false']),
});

export interface DeadLetter {
  readonly reason: string;
  readonly detail: string;
  readonly source: DeadLetterSource;
  readonly originalBytes: number;
  readonly truncated: boolean;
  readonly value: Buffer;
}

/** Reads a dead-letter record back (tools, tests); undefined when it is not one. */
export function parseDeadLetter(r: SourceRecord): DeadLetter | undefined {
  const text: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) if (v !== undefined) text[k] = v.toString('utf8');
  const res = headersSchema.safeParse(text);
  if (!res.success) return undefined;
  const h = res.data;
  return {
    reason: h[H.reason],
    detail: h[H.detail],
    source: { topic: h[H.topic], partition: h[H.partition], offset: h[H.offset], timestamp: h[H.timestamp] },
    originalBytes: h[H.bytes],
    truncated: h[H.truncated] === 'true',
    value: r.value ?? Buffer.alloc(0),
  };
}
