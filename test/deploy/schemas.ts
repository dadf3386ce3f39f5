// Schema linting for deploy/, offline, from npm packages (no schema is fetched at test time):
//   - Kubernetes objects: the validators that kubernetes-models generates from the Kubernetes
//     OpenAPI schema (and @kubernetes-models/prometheus-operator for the ServiceMonitor CRD).
//     Those schemas allow unknown fields, as the API server's non-strict mode does; a typo such as
//     `replica:` would pass. So each object is validated through a Proxy that records which
//     fields the validator reads: a field it never reads is not in the schema, and is reported
//     (the same check as kubeconform --strict).
//   - the compose file: the Compose Specification JSON schema that dclint ships
//     (schemas/compose.schema.json, draft-07, additionalProperties: false), compiled with ajv 8.
// The packages are loaded with require() so that typechecking does not depend on their typings.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

interface ModelClass {
  readonly prototype: { validate(this: unknown): void };
}

/** apiVersion/kind → the module and export of its model. */
const MODELS: Readonly<Record<string, readonly [string, string]>> = {
  'v1/ConfigMap': ['kubernetes-models/v1', 'ConfigMap'],
  'v1/Secret': ['kubernetes-models/v1', 'Secret'],
  'v1/Service': ['kubernetes-models/v1', 'Service'],
  'apps/v1/Deployment': ['kubernetes-models/apps/v1', 'Deployment'],
  'policy/v1/PodDisruptionBudget': ['kubernetes-models/policy/v1', 'PodDisruptionBudget'],
  'monitoring.coreos.com/v1/ServiceMonitor': ['@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1', 'ServiceMonitor'],
};

function track(value: unknown, path: string, seen: Map<string, { value: object; keys: Set<string> }>): unknown {
  if (value === null || typeof value !== 'object') return value;
  const keys = new Set<string>();
  seen.set(path, { value, keys });
  const copy: object = Array.isArray(value)
    ? value.map((v: unknown, i) => track(v, `${path}/${i}`, seen))
    : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, track(v, `${path}/${k}`, seen)]));
  return new Proxy(copy, {
    get(target, p, receiver) {
      if (typeof p === 'string') keys.add(p);
      return Reflect.get(target, p, receiver) as unknown;
    },
    ownKeys(target) {
      for (const k of Reflect.ownKeys(target)) if (typeof k === 'string') keys.add(k);
      return Reflect.ownKeys(target);
    },
  });
}

/** Problems of one Kubernetes object: schema errors, then fields the schema does not know. */
export function k8sProblems(obj: unknown): string[] {
  if (obj === null || typeof obj !== 'object') return ['not an object'];
  const o = obj as Record<string, unknown>;
  const id = `${String(o['apiVersion'])}/${String(o['kind'])}`;
  const entry = MODELS[id];
  if (entry === undefined) return [`no schema for ${id}`];
  const model = (require(entry[0]) as Record<string, ModelClass>)[entry[1]];
  if (model === undefined) return [`${entry[0]} has no ${entry[1]}`];
  const seen = new Map<string, { value: object; keys: Set<string> }>();
  try {
    model.prototype.validate.call(track(obj, '', seen));
  } catch (err) {
    return [err instanceof Error ? err.message : String(err)];
  }
  const unknown: string[] = [];
  for (const [path, { value, keys }] of seen) {
    if (Array.isArray(value)) continue;
    for (const k of Object.keys(value)) if (!keys.has(k)) unknown.push(`${path}/${k}: not a field of ${id}`);
  }
  return unknown;
}

interface Validator {
  (data: unknown): boolean;
  errors?: { instancePath: string; message?: string; params?: unknown }[] | null;
}
interface AjvLike {
  compile(schema: object): Validator;
}
type AjvCtor = new (opts: object) => AjvLike;

let composeValidator: Validator | undefined;

/** The Compose Specification schema shipped by dclint (its package exports no subpath for it). */
export function composeSchema(): Record<string, unknown> {
  const dir = dirname(require.resolve('dclint/package.json'));
  return JSON.parse(readFileSync(join(dir, 'schemas', 'compose.schema.json'), 'utf8')) as Record<string, unknown>;
}

export function composeProblems(doc: unknown): string[] {
  if (composeValidator === undefined) {
    const { $schema, ...schema } = composeSchema();
    // ajv 8 knows draft-07 by its http:// id; the file names it with https://.
    if (typeof $schema !== 'string' || !$schema.includes('draft-07')) throw new Error(`unexpected compose schema dialect ${String($schema)}`);
    const mod = require('ajv') as { default?: AjvCtor } & AjvCtor;
    const Ajv = mod.default ?? mod;
    composeValidator = new Ajv({ allErrors: true, strict: false }).compile(schema);
  }
  if (composeValidator(doc)) return [];
  return (composeValidator.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params ?? {})}`);
}
