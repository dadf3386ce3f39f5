// What the delivery loop reports, for the log and the metrics (wired in app/). Every failure
// that loses a notification for a sink (drop, give-up) is reported here: nothing is silent.
import type { Severity } from '../config/detectors.js';

export interface DeliveryInfo {
  readonly id: string;
  readonly sink: string;
  readonly attempt: number;
  readonly possibleRepeat: boolean;
  readonly severity: Severity | undefined;
}

export interface DeliveryObserver {
  delivered?(e: DeliveryInfo & { readonly latencyMs: number }): void;
  retrying?(e: DeliveryInfo & { readonly reason: string; readonly delayMs: number }): void;
  /** The receiver refused it for good; `gone`: the endpoint no longer exists (404/410). */
  dropped?(e: DeliveryInfo & { readonly reason: string; readonly gone: boolean }): void;
  gaveUp?(e: DeliveryInfo & { readonly reason: string; readonly ageMs: number }): void;
  /** Earlier failures were told in a successful message of the sink. */
  reported?(sink: string, count: number): void;
  /** The store could not write: the outbox has stopped. */
  storeFailed?(err: unknown): void;
}

export class SinkStats {
  enqueued = 0;
  delivered = 0;
  retries = 0;
  dropped = 0;
  gaveUp = 0;
  duplicates = 0;
  possibleRepeats = 0;
  pending = 0;
}
