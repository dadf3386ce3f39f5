// A provisioning target (Datadog, Elasticsearch): it finds what auditwatch manages there, compiles
// the detectors for it (pure, given what it found), and applies one plan entry at a time. HTTP
// lives behind this interface; the planner never sees it.
import type { DetectorDef } from '../config/detectors.js';
import type { CompileResult, DesiredObject, LiveObject, TargetName } from './model.js';

export interface Discovery {
  /** Objects auditwatch manages on the target (tagged or named by auditwatch), projected to owned fields. */
  readonly live: readonly LiveObject[];
  /** Facts about the target that decide what is compiled (license, script languages...). */
  readonly notes: readonly string[];
}

export interface ProvisionTarget {
  readonly name: TargetName;
  /** Where it is, safe to print (no credentials). */
  readonly endpoint: string;
  discover(): Promise<Discovery>;
  /** Pure: the objects this target should hold for these detectors, given what discover() found. */
  compile(defs: readonly DetectorDef[]): CompileResult;
  create(desired: DesiredObject): Promise<void>;
  update(desired: DesiredObject, live: LiveObject): Promise<void>;
  remove(live: LiveObject): Promise<void>;
  close(): Promise<void>;
}
