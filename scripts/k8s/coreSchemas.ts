// Strict, offline validation of the core Kubernetes kinds (Deployment, Service, ...) against the schemas
// Kubernetes publishes, in the strict form `kubectl --validate=strict` applies: an undeclared field is an
// error. The repo keeps one bundle (k8s/schemas/): the kinds webtrail renders and every definition they
// reach, taken from kubernetes-validate's "local-strict" JSON schemas with descriptions dropped.
// `npm run k8s:schemas -- DIR` rebuilds it from a newer copy.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { KindValidators, addOpenApiFormats, describeSchemaError } from './crdSchemas.ts';

type Schema = Record<string, unknown>;

/** The kinds webtrail's manifests render, by apiVersion/kind, and the file each has in the source. */
export const CORE_KINDS: Record<string, string> = {
  'v1/ConfigMap': 'configmap-v1.json',
  'v1/Namespace': 'namespace-v1.json',
  'v1/PersistentVolumeClaim': 'persistentvolumeclaim-v1.json',
  'v1/Secret': 'secret-v1.json',
  'v1/Service': 'service-v1.json',
  'v1/ServiceAccount': 'serviceaccount-v1.json',
  'apps/v1/Deployment': 'deployment-apps-v1.json',
  'policy/v1/PodDisruptionBudget': 'poddisruptionbudget-policy-v1.json',
};

export const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

export interface CoreSchemaBundle {
  $schema: string;
  $id: string;
  source: string;
  kinds: Record<string, string>;
  $defs: Record<string, Schema>;
}

// The kind files point into _definitions.json; the definitions point within it.
const DEFS_REF = /^(\/api\/_definitions\.json)?#\/\$defs\//;

/** A schema with its descriptions dropped and its references pointed into the bundle. */
function localise(schema: unknown, reached: Set<string>): unknown {
  if (Array.isArray(schema)) return schema.map((s) => localise(s, reached));
  if (!schema || typeof schema !== 'object') return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'description' || key === '$schema' || key === '$id') continue;
    if (key === '$ref' && typeof value === 'string' && DEFS_REF.test(value)) {
      const name = value.replace(DEFS_REF, '');
      reached.add(name);
      out.$ref = `#/$defs/${name}`;
    } else if (key === 'properties' && value && typeof value === 'object') {
      // Property names are data here, not keywords: a property called "description" stays.
      out.properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, localise(v, reached)]));
    } else out[key] = localise(value, reached);
  }
  return out;
}

/** Builds the bundle from a kubernetes-json-schema "vX.Y.Z-local-strict" folder. */
export function bundleCoreSchemas(sourceDir: string, source: string): CoreSchemaBundle {
  const definitions = (
    JSON.parse(readFileSync(path.join(sourceDir, '_definitions.json'), 'utf8')) as { $defs: Record<string, Schema> }
  ).$defs;
  const defs: Record<string, Schema> = {};
  const reached = new Set<string>([OBJECT_META]);
  const kinds: Record<string, string> = {};
  for (const [kind, file] of Object.entries(CORE_KINDS)) {
    const key = `kind:${kind}`;
    defs[key] = localise(JSON.parse(readFileSync(path.join(sourceDir, file), 'utf8')), reached) as Schema;
    kinds[kind] = key;
  }
  for (let pending = [...reached]; pending.length;) {
    const name = pending.pop()!;
    if (defs[name]) continue;
    const definition = definitions[name];
    if (!definition) throw new Error(`${sourceDir}/_definitions.json has no ${name}`);
    const before = new Set(reached);
    defs[name] = localise(definition, reached) as Schema;
    pending.push(...[...reached].filter((n) => !before.has(n)));
  }
  const sorted = Object.fromEntries(Object.entries(defs).sort(([a], [b]) => a.localeCompare(b)));
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://webtrail.invalid/k8s/core-strict.json',
    source,
    kinds,
    $defs: sorted,
  };
}

export class CoreValidator extends KindValidators {
  readonly source: string;
  /** Strict ObjectMeta, for the metadata of custom resources (their CRDs leave it open). */
  readonly objectMeta: ValidateFunction;

  constructor(bundleFile: string) {
    super();
    const bundle = JSON.parse(readFileSync(bundleFile, 'utf8')) as CoreSchemaBundle;
    this.source = bundle.source;
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addOpenApiFormats(ajv);
    ajv.addSchema(bundle);
    // A JSON pointer spells "/" in a name as "~1".
    const compile = (key: string) =>
      ajv.compile({ $ref: `${bundle.$id}#/$defs/${key.replace(/~/g, '~0').replace(/\//g, '~1')}` });
    for (const [kind, key] of Object.entries(bundle.kinds)) this.validators.set(kind, compile(key));
    this.objectMeta = compile(OBJECT_META);
  }

  metadataProblems(metadata: unknown): string[] {
    if (this.objectMeta(metadata)) return [];
    return (this.objectMeta.errors ?? []).map((e) =>
      describeSchemaError({ ...e, instancePath: `/metadata${e.instancePath}` }),
    );
  }
}
