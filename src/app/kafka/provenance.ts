// Headers the re-key stage puts on each record it copies to `<group>-by-caller`: where the
// record came from. The re-key stage is at-least-once (it commits its input after the copies
// are durable), so a crash re-sends some records; detection drops a copy whose source offset is
// not above the highest one it has seen from that source partition. Copies of one source
// partition reach a by-caller partition in source order (one batch at a time, in order), which
// is what makes "not above the highest seen" exactly "seen before".
export const SOURCE_HEADER = 'aw-src';
export const SOURCE_OFFSET_HEADER = 'aw-src-offset';

export function provenanceHeaders(topic: string, partition: number, offset: number): Record<string, string> {
  return { [SOURCE_HEADER]: `${topic}/${partition}`, [SOURCE_OFFSET_HEADER]: String(offset) };
}
