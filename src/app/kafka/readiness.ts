// Readiness of the Kafka runtime, for the health endpoint (served by ops/): ready when every
// component is; each keeps the reason it last gave, so "not ready" always says why.

export interface ComponentState {
  readonly ok: boolean;
  readonly detail: string;
  /** When it last changed, epoch ms. */
  readonly since: number;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly components: Readonly<Record<string, ComponentState>>;
}

export class Readiness {
  private readonly states = new Map<string, ComponentState>();
  private readonly listeners = new Set<(r: ReadinessReport) => void>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Declares a component (not ready until it says so). */
  expect(component: string, detail: string): void {
    if (!this.states.has(component)) this.states.set(component, { ok: false, detail, since: this.now() });
  }

  set(component: string, ok: boolean, detail: string): void {
    const prev = this.states.get(component);
    if (prev !== undefined && prev.ok === ok && prev.detail === detail) return;
    const changed = prev === undefined || prev.ok !== ok;
    this.states.set(component, { ok, detail, since: changed ? this.now() : prev.since });
    if (changed) {
      const report = this.report();
      for (const l of this.listeners) l(report);
    }
  }

  get ready(): boolean {
    if (this.states.size === 0) return false;
    for (const s of this.states.values()) if (!s.ok) return false;
    return true;
  }

  report(): ReadinessReport {
    return { ready: this.ready, components: Object.fromEntries(this.states) };
  }

  /** Called on every change of a component's ok state. Returns the unsubscribe function. */
  onChange(listener: (r: ReadinessReport) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
