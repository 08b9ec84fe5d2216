// Generates schemas/types.ts from schemas/src/*.avsc so the TypeScript types can never drift from the
// Avro schemas. `npm run schemas:gen` writes it; a test fails when the committed file is stale.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SCHEMA_DIR, SCHEMA_NAMES, loadSchemaTypes, readSchemaJson, standaloneSchemaText } from '../schemas/index.ts';

type AvroJson = string | AvroJson[] | { [key: string]: unknown };

interface Emitter {
  declared: Set<string>;
  out: string[];
}

function shortName(name: string): string {
  return name.split('.').pop() ?? name;
}

function tsType(schema: AvroJson, em: Emitter): string {
  if (typeof schema === 'string') {
    switch (schema) {
      case 'null':
        return 'null';
      case 'boolean':
        return 'boolean';
      case 'int':
      case 'long':
      case 'float':
      case 'double':
        return 'number';
      case 'bytes':
        return 'Buffer';
      case 'string':
        return 'string';
      default:
        return shortName(schema);
    }
  }
  if (Array.isArray(schema)) return schema.map((s) => tsType(s, em)).join(' | ');
  const type = schema.type as AvroJson;
  switch (type) {
    case 'record':
      declareRecord(schema, em);
      return shortName(String(schema.name));
    case 'enum':
      declareEnum(schema, em);
      return shortName(String(schema.name));
    case 'array':
      return `Array<${tsType(schema.items as AvroJson, em)}>`;
    case 'map':
      return `Record<string, ${tsType(schema.values as AvroJson, em)}>`;
    case 'fixed':
      return 'Buffer';
    default:
      return tsType(type, em);
  }
}

function doc(text: unknown, indent = ''): string {
  return typeof text === 'string' ? `${indent}/** ${text} */\n` : '';
}

function declareEnum(schema: { [key: string]: unknown }, em: Emitter): void {
  const name = shortName(String(schema.name));
  if (em.declared.has(name)) return;
  em.declared.add(name);
  const symbols = (schema.symbols as string[]).map((s) => `'${s}'`).join(' | ');
  em.out.push(`${doc(schema.doc)}export type ${name} = ${symbols};\n`);
  em.out.push(
    `export const ${name}Values = [${(schema.symbols as string[]).map((s) => `'${s}'`).join(', ')}] as const;\n`,
  );
}

function declareRecord(schema: { [key: string]: unknown }, em: Emitter): void {
  const name = shortName(String(schema.name));
  if (em.declared.has(name)) return;
  em.declared.add(name);
  const fields = (schema.fields as Array<{ name: string; type: AvroJson; doc?: string }>).map(
    (f) => `${doc(f.doc, '  ')}  ${f.name}: ${tsType(f.type, em)};`,
  );
  em.out.push(`${doc(schema.doc)}export interface ${name} {\n${fields.join('\n')}\n}\n`);
}

export function generateTypes(): string {
  const em: Emitter = { declared: new Set(), out: [] };
  for (const name of SCHEMA_NAMES) tsType(readSchemaJson(name) as AvroJson, em);
  const map = SCHEMA_NAMES.map((n) => `  ${n}: ${n};`).join('\n');
  return [
    '// Generated from schemas/src/*.avsc by `npm run schemas:gen`. Do not edit by hand.\n',
    ...em.out,
    `/** Value type of each top-level schema. */\nexport interface SchemaTypes {\n${map}\n}\n`,
  ].join('\n');
}

export const TYPES_FILE = path.join(SCHEMA_DIR, 'types.ts');

/** schemas/<Name>.avsc for each schema: self-contained, so a tool or a registry loads any one alone. */
export function standaloneSchemaFiles(): Map<string, string> {
  const types = loadSchemaTypes();
  return new Map(
    SCHEMA_NAMES.map((name) => [path.join(SCHEMA_DIR, `${name}.avsc`), standaloneSchemaText(types.get(name)!)]),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  writeFileSync(TYPES_FILE, generateTypes());
  console.log(`wrote ${path.relative(process.cwd(), TYPES_FILE)}`);
  for (const [file, text] of standaloneSchemaFiles()) writeFileSync(file, text);
  console.log(`wrote ${SCHEMA_NAMES.length} self-contained schemas/<Name>.avsc`);
}
