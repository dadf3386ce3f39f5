// A scriptable in-memory sink and small builders for the outbox tests.
import type { Notification, Routed } from '../../src/alerts/notification.js';
import type { SinkMode } from '../../src/alerts/pipeline.js';
import type { RateLimit, SendContext, Sink, Verdict } from '../../src/sinks/sink.js';
import type { FakeClock } from './fake-clock.js';

export interface Call {
  readonly id: string;
  readonly ctx: SendContext;
  readonly at: number;
}

export class ScriptedSink implements Sink {
  readonly kind = 'webhook' as const;
  readonly calls: Call[] = [];
  inFlight = 0;
  maxInFlight = 0;
  /** Decides each answer; default: ok. */
  answer: (n: Notification, ctx: SendContext) => Verdict | Promise<Verdict> = () => ({ kind: 'ok' });

  constructor(
    readonly name: string,
    private readonly clock: FakeClock,
    readonly opts: { rateLimit?: RateLimit; concurrency?: number; durable?: boolean; mode?: SinkMode } = {},
  ) {}

  get mode(): SinkMode {
    return this.opts.mode ?? 'alert';
  }
  get durable(): boolean {
    return this.opts.durable ?? true;
  }
  get rateLimit(): RateLimit | undefined {
    return this.opts.rateLimit;
  }
  get concurrency(): number {
    return this.opts.concurrency ?? 4;
  }

  async send(n: Notification, ctx: SendContext): Promise<Verdict> {
    this.calls.push({ id: n.id, ctx, at: this.clock.now() });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await Promise.resolve();
      return await this.answer(n, ctx);
    } finally {
      this.inFlight--;
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  ids(): string[] {
    return this.calls.map((c) => c.id);
  }
}

export function note(id: string, orderKey: string, createdAt: number): Notification {
  return {
    id,
    orderKey,
    createdAt,
    severity: 'warning',
    body: { type: 'operator', title: id, detail: 'test' },
  };
}

export function routed(sinks: string[], ...ns: Notification[]): Routed[] {
  return ns.map((notification) => ({ notification, sinks }));
}
