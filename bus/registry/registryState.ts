// The local schema registry's state: subjects and their versions, schemas by id, compatibility levels.
// It is rebuilt from the registry's compacted topic, whose records have the reference registry's shape
// (keys {"keytype":"SCHEMA","subject",...,"version",...} and {"keytype":"CONFIG",...}), so the state is
// exactly what the topic holds. Plain data in, plain data out: the server decides, this remembers.
import avro from 'avsc';
import { type CompatibilityLevel, describeType, isCompatibilityLevel } from '../../schemas/index.ts';

export interface SchemaKey {
  keytype: 'SCHEMA';
  subject: string;
  version: number;
  magic: 1;
}
export interface ConfigKey {
  keytype: 'CONFIG';
  subject: string | null;
  magic: 0;
}
export type RegistryKey = SchemaKey | ConfigKey;

export interface SchemaValue {
  subject: string;
  version: number;
  id: number;
  schema: string;
  deleted: boolean;
}
export interface ConfigValue {
  compatibilityLevel: CompatibilityLevel;
}

export interface RegisteredVersion {
  subject: string;
  version: number;
  id: number;
  schema: string;
  deleted: boolean;
}

/**
 * A schema as the registry keeps and compares it: parsed by avsc and written back with its docs, defaults
 * and other attributes, so that the same schema spelt with other whitespace or key order is the same.
 * Throws on a schema that is not valid Avro.
 */
export function normalizeSchema(text: string): { type: avro.Type; schema: string } {
  const type = avro.Type.forSchema(JSON.parse(text) as avro.Schema);
  // The codec's self-contained form: what webtrail publishes is kept exactly as it writes it.
  return { type, schema: describeType(type).schema };
}

export class RegistryState {
  private readonly subjects = new Map<string, RegisteredVersion[]>();
  private readonly schemas = new Map<number, string>();
  private readonly types = new Map<number, avro.Type>();
  private readonly idOfSchema = new Map<string, number>();
  private readonly subjectLevels = new Map<string, CompatibilityLevel>();
  private globalLevel: CompatibilityLevel;

  constructor(defaultLevel: CompatibilityLevel) {
    this.globalLevel = defaultLevel;
  }

  /** Applies one record of the topic (a null value deletes a config; schema records are never removed). */
  apply(key: RegistryKey, value: SchemaValue | ConfigValue | null): void {
    if (key.keytype === 'CONFIG') {
      const level = (value as ConfigValue | null)?.compatibilityLevel;
      if (key.subject === null) {
        if (isCompatibilityLevel(level)) this.globalLevel = level;
      } else if (isCompatibilityLevel(level)) this.subjectLevels.set(key.subject, level);
      else this.subjectLevels.delete(key.subject);
      return;
    }
    if (!value) return;
    const v = value as SchemaValue;
    const versions = this.subjects.get(v.subject) ?? [];
    const at = versions.findIndex((x) => x.version === v.version);
    const entry = { subject: v.subject, version: v.version, id: v.id, schema: v.schema, deleted: v.deleted };
    if (at >= 0) versions[at] = entry;
    else versions.push(entry);
    versions.sort((a, b) => a.version - b.version);
    this.subjects.set(v.subject, versions);
    if (!this.schemas.has(v.id)) {
      this.schemas.set(v.id, v.schema);
      this.idOfSchema.set(v.schema, v.id);
    }
  }

  subjectNames(includeDeleted = false): string[] {
    return [...this.subjects]
      .filter(([, versions]) => includeDeleted || versions.some((v) => !v.deleted))
      .map(([name]) => name)
      .sort();
  }

  /** A subject's versions, the deleted left out unless asked. */
  versions(subject: string, includeDeleted = false): RegisteredVersion[] {
    return (this.subjects.get(subject) ?? []).filter((v) => includeDeleted || !v.deleted);
  }

  version(subject: string, version: number | 'latest'): RegisteredVersion | undefined {
    const live = this.versions(subject);
    return version === 'latest' ? live.at(-1) : live.find((v) => v.version === version);
  }

  /** The next version number of a subject (deleted versions keep theirs). */
  nextVersion(subject: string): number {
    return (this.subjects.get(subject)?.at(-1)?.version ?? 0) + 1;
  }

  schemaById(id: number): string | undefined {
    return this.schemas.get(id);
  }

  typeById(id: number): avro.Type | undefined {
    let type = this.types.get(id);
    const schema = this.schemas.get(id);
    if (!type && schema) this.types.set(id, (type = avro.Type.forSchema(JSON.parse(schema) as avro.Schema)));
    return type;
  }

  /** The id a schema (normalized) already has anywhere in the registry: ids are global, as the reference registry's. */
  idOf(schema: string): number | undefined {
    return this.idOfSchema.get(schema);
  }

  nextId(): number {
    return Math.max(0, ...this.schemas.keys()) + 1;
  }

  /** Where a schema id is registered, as [subject, version] pairs. */
  usesOf(id: number): Array<{ subject: string; version: number }> {
    return [...this.subjects.values()]
      .flat()
      .filter((v) => v.id === id && !v.deleted)
      .map(({ subject, version }) => ({ subject, version }));
  }

  level(subject?: string): CompatibilityLevel {
    return (subject === undefined ? undefined : this.subjectLevels.get(subject)) ?? this.globalLevel;
  }

  subjectLevel(subject: string): CompatibilityLevel | undefined {
    return this.subjectLevels.get(subject);
  }
}
