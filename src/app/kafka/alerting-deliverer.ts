// Kafka notifications into the alert pipeline and its outbox (routes, grouping, silences,
// Slack/PagerDuty/webhook sinks). A notification counts as delivered for the state partition
// once the outbox has recorded it durably: from there on the outbox owns retries, and its own
// ids (derived from transition ids) keep a replay from sending an alert twice.
import type { Transition } from '../../engine/transition.js';
import type { Alerting } from '../alerting.js';
import type { AckFn, Deliverer, KafkaNotification } from './deliver.js';

export class AlertingDeliverer implements Deliverer {
  private chain: Promise<void> = Promise.resolve();
  private readonly inFlight = new Map<number, KafkaNotification[]>();
  private failure: unknown;

  constructor(
    private readonly alerting: Alerting,
    /** Transitions on their way (metrics, digest). */
    private readonly observe: (ts: readonly Transition[]) => void,
    /** The outbox cannot record: the runtime must stop (nothing would be delivered). */
    private readonly onError: (err: unknown) => void,
  ) {}

  submit(ns: readonly KafkaNotification[], ack: AckFn): void {
    if (ns.length === 0) return;
    const p = ns[0]?.partition ?? 0;
    const list = this.inFlight.get(p) ?? [];
    list.push(...ns);
    this.inFlight.set(p, list);
    // One accept at a time: notifications keep their order across partitions and batches.
    this.chain = this.chain.then(async () => {
      if (this.failure !== undefined) return;
      try {
        const ts = ns.map((n) => n.transition);
        this.observe(ts);
        await this.alerting.accept(ts);
      } catch (err) {
        this.failure = err;
        this.onError(err);
        return;
      }
      const cur = this.inFlight.get(p);
      if (cur !== undefined) {
        const done = new Set(ns);
        const rest = cur.filter((n) => !done.has(n));
        if (rest.length === 0) this.inFlight.delete(p);
        else this.inFlight.set(p, rest);
      }
      for (const n of ns) ack(n);
    });
  }

  pending(partition: number): readonly KafkaNotification[] {
    return this.inFlight.get(partition) ?? [];
  }

  drop(partition: number): void {
    this.inFlight.delete(partition);
  }

  async drain(deadline: number): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))));
    await Promise.race([this.chain, late]);
    clearTimeout(timer);
    let n = 0;
    for (const l of this.inFlight.values()) n += l.length;
    return n;
  }
}
