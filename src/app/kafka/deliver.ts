// The delivery side as the Kafka runtime sees it. A notification is one alert transition of one
// detection partition, named by the offset of the event that caused it and the transition's
// deterministic id: replaying the partition from a checkpoint produces the same names, which is
// how the runtime recognises what it already delivered (the ack is in the state partition).
import type { Transition } from '../../engine/transition.js';
import { transitionJson } from '../../engine/transition.js';

export interface KafkaNotification {
  /** `<offset>:<transitionId>`: unique within the partition, even for equal transitions. */
  readonly id: string;
  readonly partition: number;
  /** Detection offset of the event that caused the transition. */
  readonly offset: number;
  readonly transition: Transition;
}

export type AckFn = (n: KafkaNotification) => void;

/**
 * Takes notifications in order per partition and calls the ack function once each has been
 * delivered. The runtime records acks in the state partition; what is not acked at a checkpoint
 * is part of the checkpoint and delivered again after a restore (a possible repeat: receivers
 * deduplicate on the id, as PagerDuty does on its dedup_key).
 */
export interface Deliverer {
  submit(ns: readonly KafkaNotification[], ack: AckFn): void;
  /** Handed over and not yet acked, in order. */
  pending(partition: number): readonly KafkaNotification[];
  /** The partition moved to another instance: forget what is not delivered (the new owner will). */
  drop(partition: number): void;
  /** Waits until nothing is pending or the deadline passes; resolves with what is left. */
  drain(deadline: number): Promise<number>;
}

/** One JSON object per line: the replay form of the transition plus its id and origin. */
export function notificationLine(n: KafkaNotification): string {
  return JSON.stringify({ id: n.id, partition: n.partition, offset: n.offset, ...transitionJson(n.transition) });
}

/**
 * Writes each notification as a JSON line, synchronously (pipes and files are written
 * synchronously by Node on Linux), and acks it right after: nothing is ever pending.
 */
export class JsonLinesDeliverer implements Deliverer {
  constructor(
    private readonly write: (text: string) => void,
    /** Transitions on their way (metrics). */
    private readonly observe: (ts: readonly Transition[]) => void = () => undefined,
  ) {}

  submit(ns: readonly KafkaNotification[], ack: AckFn): void {
    if (ns.length === 0) return;
    this.observe(ns.map((n) => n.transition));
    let text = '';
    for (const n of ns) text += notificationLine(n) + '\n';
    this.write(text);
    for (const n of ns) ack(n);
  }

  pending(): readonly KafkaNotification[] {
    return [];
  }

  drop(): void {}

  drain(): Promise<number> {
    return Promise.resolve(0);
  }
}
