// The notification model: what the alert pipeline hands to the outbox and the sinks render.
// Plain, JSON-serialisable data (the outbox writes it to disk and reads it back after a crash),
// built once from engine transitions. Event strings in it are already screened for secrets and
// bounded; sinks still escape and bound them for their own format.
import type { Severity } from '../config/detectors.js';

/** One key field of an alert and its value (null when the event lacked the field). */
export type KeyPair = readonly [field: string, value: string | null];

/** One alert (one fire-to-resolve incident of a detector and key), as shown in a notification. */
export interface AlertItem {
  readonly incidentId: string;
  /** Detector + key: stable across incidents (PagerDuty's dedup_key derives from it). */
  readonly alertKeyId: string;
  readonly detector: string;
  readonly severity: Severity;
  readonly key: readonly KeyPair[];
  /** Event time of the fire, epoch ms. */
  readonly firedAt: number;
  /** Event time of the resolve, when resolved. */
  readonly resolvedAt?: number;
  /** Count at the fire (events in the window, or streak length) and the threshold it exceeded. */
  readonly count?: number;
  readonly threshold?: number;
  /** Windowed detectors: the counted window is (firedAt - windowMs, firedAt]. */
  readonly windowMs?: number;
  /** Leak detectors: where in the event the leak was and which rule matched (never the value). */
  readonly evidence?: { readonly path: string; readonly rule: string };
}

/** Trusted text about a detector, from its definition file. */
export interface DetectorInfo {
  readonly id: string;
  readonly description?: string;
  readonly runbook?: string;
}

/** A single alert's fire or resolve, for sinks that want one message per alert (PagerDuty). */
export interface AlertBody {
  readonly type: 'alert';
  readonly status: 'firing' | 'resolved';
  readonly alert: AlertItem;
  readonly detector: DetectorInfo;
}

export interface GroupMembers {
  readonly total: number;
  /** The first ones by count (descending), at most the pipeline's top-N. */
  readonly top: readonly AlertItem[];
}

/** A flush of an aggregation group (Slack): every firing alert of the group and what resolved since. */
export interface GroupBody {
  readonly type: 'group';
  /** `reminder`: nothing changed since the last message, the alerts are still firing. */
  readonly status: 'firing' | 'resolved' | 'reminder';
  readonly route: string;
  /** The groupBy labels and their values for this group. */
  readonly labels: readonly KeyPair[];
  readonly detectors: readonly DetectorInfo[];
  readonly firing: GroupMembers;
  /** Firing alerts not in the previous message of this group. */
  readonly newCount: number;
  readonly resolved: GroupMembers;
  /** Earliest and latest fire (event time) among the alerts of this message. */
  readonly firstFiredAt: number;
  readonly lastFiredAt: number;
}

/** A message about auditwatch itself (a sink is gone, deliveries were given up). */
export interface OperatorBody {
  readonly type: 'operator';
  readonly title: string;
  readonly detail: string;
}

export type NotificationBody = AlertBody | GroupBody | OperatorBody;

export interface Notification {
  /** Deterministic: the same transitions produce the same id after a crash or a replay. */
  readonly id: string;
  /** Notifications with the same order key reach a sink in the order they were produced. */
  readonly orderKey: string;
  /** Wall-clock time it was produced, epoch ms (max age counts from here). */
  readonly createdAt: number;
  readonly severity: Severity;
  readonly body: NotificationBody;
}

/** A notification and the sinks it goes to. */
export interface Routed {
  readonly notification: Notification;
  readonly sinks: readonly string[];
}

const SEVERITY_RANK = new Map<Severity, number>([
  ['info', 0],
  ['warning', 1],
  ['critical', 2],
]);

export function maxSeverity(a: Severity, b: Severity): Severity {
  return (SEVERITY_RANK.get(a) ?? 0) >= (SEVERITY_RANK.get(b) ?? 0) ? a : b;
}
