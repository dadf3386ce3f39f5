import { detectorFromYaml, type DetectorDef } from '../../src/config/detectors.js';
import { provisionSectionSchema, type ProvisionSection } from '../../src/config/sections/provision.js';
import type { RetryPolicy } from '../../src/provision/retry.js';

/** A detector from YAML lines, as a file under detectors/ would give it. */
export function def(yaml: string, file = 'detectors/test.yaml'): DetectorDef {
  return detectorFromYaml(file, yaml);
}

export const THRESHOLD = def(
  'id: rate-limit-burst\nkind: threshold\ndescription: Caller keeps hitting rate limits on one tool\nwhere: { outcome: rate_limited }\ngroupBy: [callerId, tool]\nwindow: 1h\nthreshold: 100\nseverity: warning\nrunbook: https://runbooks.example/rate-limit\n',
  '/somewhere/detectors/rate-limit-burst.yaml',
);
export const DENIAL = def('id: denial-spike\nkind: threshold\nwhere: { outcome: denied }\ngroupBy: [callerId]\nwindow: 1h\nthreshold: 30\nseverity: critical\n', 'detectors/denial-spike.yaml');
export const STREAK = def('id: error-streak\nkind: streak\nwhere: { outcome: error }\nresetWhere: { outcome: success }\ngroupBy: [callerId]\nthreshold: 20\nseverity: critical\n', 'detectors/error-streak.yaml');
export const OPTIONAL_GROUP = def('id: by-version\nkind: threshold\nwhere: { outcome: [error, denied] }\ngroupBy: [callerId, serverVersion]\nwindow: 15m\nthreshold: 5\nseverity: info\n', 'detectors/by-version.yaml');

/** A detector of a kind no compiler knows (as the engine's newer kinds are to provisioning). */
export const UNKNOWN_KIND = { ...DENIAL, id: 'future-kind', kind: 'leak' } as unknown as DetectorDef;

export function section(raw: unknown = {}): ProvisionSection {
  return provisionSectionSchema.parse(raw);
}

/** Retries without waiting; records the waits asked for. */
export function instantRetry(attempts = 4): RetryPolicy & { waits: number[] } {
  const waits: number[] = [];
  return {
    attempts,
    baseDelayMs: 100,
    maxDelayMs: 120_000,
    waits,
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  };
}
