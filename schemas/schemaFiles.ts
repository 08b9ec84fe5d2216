// Loads the Avro schemas into avsc types. The hand-written sources in schemas/src/ are the source of truth
// (each may name a type another defines); TypeScript types (types.ts), topic declarations and the
// self-contained schemas/<Name>.avsc files that other tools load alone (npm run schemas:gen) derive from them.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import avro from 'avsc';

export const SCHEMA_DIR = path.dirname(fileURLToPath(import.meta.url));
/** The hand-written sources. */
export const SOURCE_DIR = path.join(SCHEMA_DIR, 'src');

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

export function readSchemaJson(name: SchemaName, dir = SOURCE_DIR): avro.Schema {
  return JSON.parse(readFileSync(path.join(dir, `${name}.avsc`), 'utf8')) as avro.Schema;
}

/** Parses every schema of `dir` with one shared registry so that named references resolve. */
export function loadSchemaTypes(dir = SOURCE_DIR): Map<SchemaName, avro.Type> {
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

/**
 * A schema as a file that standard Avro tools (fastavro, Avro's own, a schema registry) load on its own:
 * every named type it uses defined inline at first use, docs and defaults kept.
 */
export function standaloneSchemaText(type: avro.Type): string {
  return `${JSON.stringify(type.schema({ exportAttrs: true }), null, 2)}\n`;
}
