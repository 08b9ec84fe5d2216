// Strict, offline validation of custom resources against the CRDs they belong to (k8s/crds/): each
// served version's openAPIV3Schema as a JSON schema in which an object that declares its properties
// accepts no others (unless it says x-kubernetes-preserve-unknown-fields), as `kubectl --validate=strict`
// and kubeconform's strict mode read them.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';

interface Crd {
  spec: {
    group: string;
    names: { kind: string };
    versions: Array<{ name: string; served: boolean; schema?: { openAPIV3Schema: Record<string, unknown> } }>;
  };
}

type Schema = Record<string, unknown>;

/** Closes every object schema that lists its properties; drops the Kubernetes-only keywords. */
export function strictSchema(schema: Schema): Schema {
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith('x-kubernetes-')) continue;
    if (key === 'properties' && value && typeof value === 'object')
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strictSchema(v as Schema)]));
    else if ((key === 'items' || key === 'additionalProperties' || key === 'not') && value && typeof value === 'object')
      out[key] = strictSchema(value as Schema);
    else if ((key === 'anyOf' || key === 'oneOf' || key === 'allOf') && Array.isArray(value))
      out[key] = value.map((v) => strictSchema(v as Schema));
    else out[key] = value;
  }
  if (
    out.properties &&
    out.additionalProperties === undefined &&
    schema['x-kubernetes-preserve-unknown-fields'] !== true
  )
    out.additionalProperties = false;
  // The API server fills these in; a manifest never needs them, and the CRDs leave metadata open.
  if (out.properties && (out.properties as Schema).metadata) (out.properties as Schema).metadata = { type: 'object' };
  if (schema['x-kubernetes-int-or-string'] === true) return { anyOf: [{ type: 'integer' }, { type: 'string' }] };
  return out;
}

/** The OpenAPI formats Kubernetes' schemas and the CRDs use. */
export function addOpenApiFormats(ajv: Pick<Ajv, 'addFormat'>): void {
  ajv.addFormat('int32', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
  });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('double', { type: 'number', validate: () => true });
  ajv.addFormat('float', { type: 'number', validate: () => true });
  ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i);
  ajv.addFormat('byte', /^[A-Za-z0-9+/]*={0,2}$/);
}

/** One line per problem: an undeclared field, a wrong type, a value out of range. */
export function describeSchemaError(e: ErrorObject): string {
  const at = e.instancePath || '/';
  if (e.keyword === 'additionalProperties')
    return `${at}: unknown field ${(e.params as { additionalProperty: string }).additionalProperty}`;
  return `${at}: ${e.message ?? e.keyword}`;
}

/** Compiled schemas by apiVersion/kind, and what is wrong with an object by its own. */
export class KindValidators {
  protected readonly validators = new Map<string, ValidateFunction>();

  /** Whether a schema here covers apiVersion/kind. */
  has(apiVersion: string | undefined, kind: string | undefined): boolean {
    return this.validators.has(`${apiVersion}/${kind}`);
  }

  /** What is wrong with the object, one line per field: an undeclared field, a wrong type, a value out of range. */
  problems(object: { apiVersion?: string; kind?: string }): string[] {
    const validate = this.validators.get(`${object.apiVersion}/${object.kind}`);
    if (!validate || validate(object)) return [];
    return (validate.errors ?? []).map(describeSchemaError);
  }
}

export class CrdValidator extends KindValidators {
  constructor(dir: string) {
    super();
    const ajv = new Ajv({ allErrors: true, strict: false });
    addOpenApiFormats(ajv);
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .sort()) {
      const crd = parse(readFileSync(path.join(dir, file), 'utf8')) as Crd;
      for (const version of crd.spec.versions.filter((v) => v.served && v.schema)) {
        this.validators.set(
          `${crd.spec.group}/${version.name}/${crd.spec.names.kind}`,
          ajv.compile(strictSchema(version.schema!.openAPIV3Schema)),
        );
      }
    }
  }
}
