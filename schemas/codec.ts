// Typed Avro codec with the Confluent Schema Registry wire format: every value is written as a magic byte
// 0, the 4-byte big-endian id the registry gave its schema, then the Avro body; a `webtrail-schema` header
// names the schema for people (it is not the decoding path). A reader decodes a record written with any
// compatible schema by fetching the writer's schema by id (cached: the registry is asked once per subject
// and once per unknown id, never per record). Records of webtrail's first format (bare body, schema name
// and fingerprint in headers) stay readable: their writer schema comes from schemas/history or the old
// schema topic.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import { SchemaError } from './errors.ts';
import { NAMESPACE, SCHEMA_DIR, SCHEMA_NAMES, describeType, loadSchemaTypes, type SchemaName } from './schemaFiles.ts';
import type { SchemaTypes } from './types.ts';

export const HEADER_SCHEMA = 'webtrail-schema';
/** Only records of the old format carry it. */
export const HEADER_FINGERPRINT = 'webtrail-schema-fingerprint';
export const MAGIC_BYTE = 0;
const FRAME_BYTES = 5;

export type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;
export type Headers = Record<string, HeaderValue>;

/** The registry calls the codec makes (bus/registry/registryClient.ts speaks them over REST). */
export interface SchemaRegistryClient {
  /** Registers a schema under a subject (or finds it there) and returns its id. */
  register(subject: string, schema: string): Promise<number>;
  /** The schema an id stands for. */
  schemaById(id: number): Promise<string>;
}

/** How a topic's value schema is named in the registry, as Confluent's serializers name it. */
export const SUBJECT_STRATEGIES = ['TopicNameStrategy', 'RecordNameStrategy', 'TopicRecordNameStrategy'] as const;
export type SubjectStrategy = (typeof SUBJECT_STRATEGIES)[number];

export function subjectName(strategy: SubjectStrategy, topic: string, schema: SchemaName): string {
  const record = `${NAMESPACE}.${schema}`;
  if (strategy === 'RecordNameStrategy') return record;
  if (strategy === 'TopicRecordNameStrategy') return `${topic}-${record}`;
  return `${topic}-value`;
}

/** Finds the schema that wrote an old-format record, by fingerprint. */
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
  let files: string[];
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

/** How to read the bytes of one writer schema: as which of ours, through which resolver (none when it is ours). */
interface WriterEntry {
  name: SchemaName;
  resolver?: avro.Resolver;
}

export interface CodecOptions {
  registry: SchemaRegistryClient;
  subjectStrategy?: SubjectStrategy;
  /** Where old-format records find writer schemas that are not current and not in schemas/history. */
  legacySource?: WriterSchemaSource;
  types?: Map<SchemaName, avro.Type>;
  history?: Map<string, { name: string; schema: string }>;
}

/**
 * Answers asked for once per key: concurrent asks share one, a settled answer is read without awaiting (the
 * per-record path), and a failed ask is forgotten, to be asked again, unless `final` says it stands.
 */
class AskedOnce<K, V> {
  private readonly entries = new Map<K, V | Promise<V>>();

  known(key: K): V | undefined {
    const entry = this.entries.get(key);
    return entry instanceof Promise ? undefined : entry;
  }

  get(key: K, ask: () => Promise<V>, final: (error: unknown) => boolean = () => false): V | Promise<V> {
    const entry = this.entries.get(key);
    if (entry !== undefined) return entry;
    const pending = ask().then((value) => {
      this.entries.set(key, value);
      return value;
    });
    pending.catch((error: unknown) => {
      if (!final(error)) this.entries.delete(key);
    });
    this.entries.set(key, pending);
    return pending;
  }

  /** An answer known without asking (kept if one is already there). */
  settle(key: K, value: V): void {
    if (this.known(key) === undefined) this.entries.set(key, value);
  }
}

export class AvroCodec {
  private readonly byName = new Map<SchemaName, { type: avro.Type; fingerprint: string; schema: string }>();
  private readonly registry: SchemaRegistryClient;
  private readonly subjectStrategy: SubjectStrategy;
  private readonly legacySource?: WriterSchemaSource;
  /** Registered ids by subject. */
  private readonly ids = new AskedOnce<string, number>();
  /** Writer schemas by id. */
  private readonly writers = new AskedOnce<number, WriterEntry>();
  private readonly legacySchemas = new Map<string, string>();
  private readonly legacyResolvers = new Map<string, avro.Resolver>();

  constructor(options: CodecOptions) {
    this.registry = options.registry;
    this.subjectStrategy = options.subjectStrategy ?? 'TopicNameStrategy';
    this.legacySource = options.legacySource;
    for (const [name, type] of options.types ?? loadSchemaTypes())
      this.byName.set(name, { type, ...describeType(type) });
    for (const [fingerprint, { schema }] of options.history ?? loadHistory())
      this.legacySchemas.set(fingerprint, schema);
  }

  subject(topic: string, name: SchemaName): string {
    return subjectName(this.subjectStrategy, topic, name);
  }

  /**
   * Registers the schema a topic's records are written with (once per subject) and returns its id. A
   * service calls it for its topics at start-up, so that a refused schema stops it before any work.
   */
  async register(topic: string, name: SchemaName): Promise<number> {
    const subject = this.subject(topic, name);
    return this.ids.get(subject, async () => {
      const id = await this.registry.register(subject, this.entry(name).schema);
      // What this process writes it reads without asking the registry again.
      this.writers.settle(id, { name });
      return id;
    });
  }

  async encode<N extends SchemaName>(topic: string, name: N, value: SchemaTypes[N]): Promise<EncodedValue> {
    const body = this.body(name, value);
    const id = this.ids.known(this.subject(topic, name)) ?? (await this.register(topic, name));
    const frame = Buffer.allocUnsafe(FRAME_BYTES);
    frame.writeUInt8(MAGIC_BYTE, 0);
    frame.writeUInt32BE(id, 1);
    return { value: Buffer.concat([frame, body]), headers: { [HEADER_SCHEMA]: name } };
  }

  /** What a value takes on the wire, framing included, without registering anything. */
  encodedSize<N extends SchemaName>(name: N, value: SchemaTypes[N]): number {
    return FRAME_BYTES + this.body(name, value).length;
  }

  /** Decodes a record written with any compatible version of its schema, in either format. */
  async decode(headers: Headers | undefined, value: Buffer | null): Promise<DecodedValue> {
    if (headerString(headers, HEADER_FINGERPRINT) !== undefined) return this.decodeLegacy(headers, value);
    if (!value || value.length < FRAME_BYTES || value[0] !== MAGIC_BYTE) {
      const name = headerString(headers, HEADER_SCHEMA);
      throw new SchemaError(
        `${value?.length ? `unknown magic byte ${value[0]}` : 'empty value'}${name ? ` in a ${name} record` : ''}: not in the schema registry's wire format (magic byte 0, schema id, Avro body), nor webtrail's old format`,
      );
    }
    const id = value.readUInt32BE(1);
    // The writer's schema, fetched once per id; a schema we cannot read is an answer too.
    const writer =
      this.writers.known(id) ??
      (await this.writers.get(
        id,
        async () => this.writerEntry(await this.registry.schemaById(id), `schema id ${id}`),
        (error) => error instanceof SchemaError,
      ));
    const entry = this.entry(writer.name);
    try {
      return { schema: writer.name, value: entry.type.fromBuffer(value.subarray(FRAME_BYTES), writer.resolver) };
    } catch (error) {
      throw new SchemaError(`cannot decode ${writer.name} (schema id ${id}): ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /** Decodes and checks the record is of the expected schema. */
  async decodeAs<N extends SchemaName>(
    name: N,
    headers: Headers | undefined,
    value: Buffer | null,
  ): Promise<SchemaTypes[N]> {
    const decoded = await this.decode(headers, value);
    if (decoded.schema !== name) throw new SchemaError(`expected a ${name} record, got ${decoded.schema}`);
    return decoded.value as SchemaTypes[N];
  }

  private body<N extends SchemaName>(name: N, value: SchemaTypes[N]): Buffer {
    const entry = this.entry(name);
    try {
      return entry.type.toBuffer(value);
    } catch (error) {
      throw new SchemaError(`cannot encode ${name}: ${invalidPaths(entry.type, value)}`, { cause: error });
    }
  }

  private entry(name: SchemaName) {
    const entry = this.byName.get(name);
    if (!entry) throw new SchemaError(`schema ${name} is not loaded`);
    return entry;
  }

  /** Which of our schemas a writer schema is, and how to read it into ours. */
  private writerEntry(text: string, what: string): WriterEntry {
    let writerType: avro.Type;
    try {
      writerType = avro.Type.forSchema(JSON.parse(text) as avro.Schema);
    } catch (error) {
      throw new SchemaError(`${what} is not an Avro schema webtrail can parse: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const fullName = writerType.name ?? writerType.typeName;
    const name = fullName.startsWith(`${NAMESPACE}.`) ? fullName.slice(NAMESPACE.length + 1) : fullName;
    if (!isSchemaName(name)) throw new SchemaError(`${what} is ${fullName}, not one of webtrail's schemas`);
    const entry = this.entry(name);
    if (describeType(writerType).fingerprint === entry.fingerprint) return { name };
    try {
      return { name, resolver: entry.type.createResolver(writerType) };
    } catch (error) {
      throw new SchemaError(`incompatible writer schema (${what}) for ${name}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  private async decodeLegacy(headers: Headers | undefined, value: Buffer | null): Promise<DecodedValue> {
    const name = headerString(headers, HEADER_SCHEMA);
    const fingerprint = headerString(headers, HEADER_FINGERPRINT)!;
    if (!name)
      throw new SchemaError(`missing ${HEADER_SCHEMA} header beside ${HEADER_FINGERPRINT}: not a webtrail record`);
    if (!isSchemaName(name)) throw new SchemaError(`unknown schema '${name}'`);
    if (!value) throw new SchemaError(`empty value for schema ${name}`);
    const entry = this.entry(name);
    try {
      if (fingerprint === entry.fingerprint) return { schema: name, value: entry.type.fromBuffer(value) };
      const resolver = await this.legacyResolver(entry.type, fingerprint);
      return { schema: name, value: entry.type.fromBuffer(value, resolver) };
    } catch (error) {
      if (error instanceof SchemaError) throw error;
      throw new SchemaError(
        `cannot decode ${name} (old format, writer fingerprint ${fingerprint.slice(0, 12)}): ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  private async legacyResolver(reader: avro.Type, fingerprint: string): Promise<avro.Resolver> {
    const cached = this.legacyResolvers.get(fingerprint);
    if (cached) return cached;
    let writerSchema = this.legacySchemas.get(fingerprint);
    if (!writerSchema && this.legacySource) writerSchema = await this.legacySource.lookup(fingerprint);
    if (!writerSchema)
      throw new SchemaError(
        `writer schema ${fingerprint.slice(0, 12)} is unknown here (not current, not in history, not in the old schema topic)`,
      );
    this.legacySchemas.set(fingerprint, writerSchema);
    let resolver: avro.Resolver;
    try {
      resolver = reader.createResolver(avro.Type.forSchema(JSON.parse(writerSchema) as avro.Schema));
    } catch (error) {
      throw new SchemaError(`incompatible writer schema ${fingerprint.slice(0, 12)}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    this.legacyResolvers.set(fingerprint, resolver);
    return resolver;
  }
}

export function isSchemaName(name: string): name is SchemaName {
  return (SCHEMA_NAMES as readonly string[]).includes(name);
}

/** Names the fields that make a value invalid, for an error a person can act on. */
function invalidPaths(type: avro.Type, value: unknown): string {
  const paths: string[] = [];
  type.isValid(value, {
    errorHook: (p, v) => paths.push(`${p.join('.') || '(root)'}=${JSON.stringify(v)?.slice(0, 60)}`),
  });
  return paths.length ? `invalid ${paths.slice(0, 5).join(', ')}` : 'invalid value';
}
