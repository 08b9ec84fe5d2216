// Typed Avro codec. Every value is written with the current schema and two headers naming the schema
// and its fingerprint; a reader decodes records written with any compatible schema it can find
// (its own, the history in schemas/history, or a writer schema source such as the Kafka schema topic).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import { SchemaError } from './errors.ts';
import { SCHEMA_DIR, SCHEMA_NAMES, describeType, loadSchemaTypes, type SchemaName } from './schemaFiles.ts';
import type { SchemaTypes } from './types.ts';

export const HEADER_SCHEMA = 'webtrail-schema';
export const HEADER_FINGERPRINT = 'webtrail-schema-fingerprint';

export type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;
export type Headers = Record<string, HeaderValue>;

/** Finds the schema that wrote a record, by fingerprint. */
export interface WriterSchemaSource {
  lookup(fingerprint: string): Promise<string | undefined>;
}

export interface EncodedValue {
  value: Buffer;
  headers: Record<string, string>;
}

export interface DecodedValue<N extends SchemaName = SchemaName> {
  schema: N;
  value: SchemaTypes[N];
}

export function headerString(headers: Headers | undefined, name: string): string | undefined {
  const raw = headers?.[name];
  const first = Array.isArray(raw) ? raw[0] : raw;
  return first === undefined ? undefined : first.toString();
}

export const HISTORY_DIR = path.join(SCHEMA_DIR, 'history');

/** Schemas of earlier releases, by fingerprint: schemas/history/<Name>.<fingerprint>.avsc. */
export function loadHistory(dir = HISTORY_DIR): Map<string, { name: string; schema: string }> {
  const found = new Map<string, { name: string; schema: string }>();
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.avsc'));
  } catch {
    return found;
  }
  for (const file of files) {
    const [name, fingerprint] = file.split('.');
    if (name && fingerprint) found.set(fingerprint, { name, schema: readFileSync(path.join(dir, file), 'utf8') });
  }
  return found;
}

export class AvroCodec {
  private readonly byName = new Map<SchemaName, { type: avro.Type; fingerprint: string; schema: string }>();
  private readonly writerSchemas = new Map<string, string>();
  private readonly resolvers = new Map<string, avro.Resolver>();

  constructor(
    types: Map<SchemaName, avro.Type> = loadSchemaTypes(),
    private readonly source?: WriterSchemaSource,
    history = loadHistory(),
  ) {
    for (const [name, type] of types) this.byName.set(name, { type, ...describeType(type) });
    for (const [fingerprint, { schema }] of history) this.writerSchemas.set(fingerprint, schema);
  }

  /** The current schemas with their fingerprints (what a producer publishes to the schema topic). */
  schemas(): Array<{ name: SchemaName; fingerprint: string; schema: string }> {
    return [...this.byName].map(([name, d]) => ({ name, fingerprint: d.fingerprint, schema: d.schema }));
  }

  encode<N extends SchemaName>(name: N, value: SchemaTypes[N]): EncodedValue {
    const entry = this.entry(name);
    let buffer: Buffer;
    try {
      buffer = entry.type.toBuffer(value);
    } catch (error) {
      throw new SchemaError(`cannot encode ${name}: ${invalidPaths(entry.type, value)}`, { cause: error });
    }
    return { value: buffer, headers: { [HEADER_SCHEMA]: name, [HEADER_FINGERPRINT]: entry.fingerprint } };
  }

  /** Decodes a record written with any compatible version of its schema. */
  async decode(headers: Headers | undefined, value: Buffer | null): Promise<DecodedValue> {
    const name = headerString(headers, HEADER_SCHEMA);
    const fingerprint = headerString(headers, HEADER_FINGERPRINT);
    if (!name || !fingerprint) throw new SchemaError(`missing ${HEADER_SCHEMA} / ${HEADER_FINGERPRINT} headers: not a webtrail record`);
    if (!isSchemaName(name)) throw new SchemaError(`unknown schema '${name}'`);
    if (!value) throw new SchemaError(`empty value for schema ${name}`);
    const entry = this.entry(name);
    try {
      if (fingerprint === entry.fingerprint) return { schema: name, value: entry.type.fromBuffer(value) };
      const resolver = await this.resolver(entry.type, fingerprint);
      return { schema: name, value: entry.type.fromBuffer(value, resolver) };
    } catch (error) {
      if (error instanceof SchemaError) throw error;
      throw new SchemaError(`cannot decode ${name} (writer fingerprint ${fingerprint.slice(0, 12)}): ${(error as Error).message}`, { cause: error });
    }
  }

  /** Decodes and checks the record is of the expected schema. */
  async decodeAs<N extends SchemaName>(name: N, headers: Headers | undefined, value: Buffer | null): Promise<SchemaTypes[N]> {
    const decoded = await this.decode(headers, value);
    if (decoded.schema !== name) throw new SchemaError(`expected a ${name} record, got ${decoded.schema}`);
    return decoded.value as SchemaTypes[N];
  }

  private entry(name: SchemaName) {
    const entry = this.byName.get(name);
    if (!entry) throw new SchemaError(`schema ${name} is not loaded`);
    return entry;
  }

  private async resolver(reader: avro.Type, fingerprint: string): Promise<avro.Resolver> {
    const cached = this.resolvers.get(fingerprint);
    if (cached) return cached;
    let writerSchema = this.writerSchemas.get(fingerprint);
    if (!writerSchema && this.source) writerSchema = await this.source.lookup(fingerprint);
    if (!writerSchema) throw new SchemaError(`writer schema ${fingerprint.slice(0, 12)} is unknown here (not current, not in history, not in the schema topic)`);
    this.writerSchemas.set(fingerprint, writerSchema);
    let resolver: avro.Resolver;
    try {
      resolver = reader.createResolver(avro.Type.forSchema(JSON.parse(writerSchema) as avro.Schema));
    } catch (error) {
      throw new SchemaError(`incompatible writer schema ${fingerprint.slice(0, 12)}: ${(error as Error).message}`, { cause: error });
    }
    this.resolvers.set(fingerprint, resolver);
    return resolver;
  }
}

export function isSchemaName(name: string): name is SchemaName {
  return (SCHEMA_NAMES as readonly string[]).includes(name);
}

/** Names the fields that make a value invalid, for an error a person can act on. */
function invalidPaths(type: avro.Type, value: unknown): string {
  const paths: string[] = [];
  type.isValid(value, { errorHook: (p, v) => paths.push(`${p.join('.') || '(root)'}=${JSON.stringify(v)?.slice(0, 60)}`) });
  return paths.length ? `invalid ${paths.slice(0, 5).join(', ')}` : 'invalid value';
}
