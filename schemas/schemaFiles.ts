// Loads the Avro schemas in this folder into avsc types. The .avsc files are the source of truth;
// TypeScript types (types.ts) and topic declarations derive from them.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import avro from 'avsc';

export const SCHEMA_DIR = path.dirname(fileURLToPath(import.meta.url));

/** Top-level schemas in dependency order (a schema may reference only the ones before it). */
export const SCHEMA_NAMES = [
  'TokenUsage',
  'ChatMessage',
  'Site',
  'SiteRejection',
  'ScreenedSite',
  'Task',
  'Trajectory',
  'Verdict',
  'TrainingExample',
  'DeadLetter',
] as const;
export type SchemaName = (typeof SCHEMA_NAMES)[number];

export const NAMESPACE = 'dev.webtrail';

export function readSchemaJson(name: SchemaName, dir = SCHEMA_DIR): avro.Schema {
  return JSON.parse(readFileSync(path.join(dir, `${name}.avsc`), 'utf8')) as avro.Schema;
}

/** Parses every schema of `dir` with one shared registry so that named references resolve. */
export function loadSchemaTypes(dir = SCHEMA_DIR): Map<SchemaName, avro.Type> {
  const registry: Record<string, avro.Type> = {};
  const types = new Map<SchemaName, avro.Type>();
  for (const name of SCHEMA_NAMES) {
    types.set(name, avro.Type.forSchema(readSchemaJson(name, dir), { registry }));
  }
  return types;
}

/** The self-contained schema (named references inlined) and its fingerprint, as written in headers. */
export function describeType(type: avro.Type): { schema: string; fingerprint: string } {
  return {
    schema: JSON.stringify(type.schema({ exportAttrs: true })),
    fingerprint: type.fingerprint('sha256').toString('hex'),
  };
}
