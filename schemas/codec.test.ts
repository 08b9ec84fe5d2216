import { readFileSync } from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { SchemaError } from './errors.ts';
import { site, task, trajectory, trainingExample, verdict } from '../test/helpers/samples.ts';
import { generateTypes, standaloneSchemaFiles, TYPES_FILE } from '../scripts/genTypes.ts';
import { AvroCodec, HEADER_FINGERPRINT, HEADER_SCHEMA, loadHistory } from './codec.ts';
import { compatibilityProblems, readProblem } from './compatibility.ts';
import { describeType, loadSchemaTypes, readSchemaJson, SCHEMA_NAMES } from './schemaFiles.ts';

const codec = new AvroCodec();

/** Site as a later release might write it: one more field, with a default. */
const siteV2Schema = (() => {
  const schema = readSchemaJson('Site') as { fields: unknown[] };
  return { ...schema, fields: [...schema.fields, { name: 'priority', type: 'int', default: 0, doc: 'added later' }] };
})();

describe('AvroCodec', () => {
  it('round-trips every record type with schema and fingerprint headers', async () => {
    const samples = { Site: site(), Task: task(), Trajectory: trajectory(), Verdict: verdict(), TrainingExample: trainingExample() } as const;
    for (const [name, value] of Object.entries(samples)) {
      const encoded = codec.encode(name as keyof typeof samples, value as never);
      expect(encoded.headers[HEADER_SCHEMA]).toBe(name);
      expect(encoded.headers[HEADER_FINGERPRINT]).toMatch(/^[0-9a-f]{64}$/);
      expect((await codec.decode(encoded.headers, encoded.value)).value).toEqual(value);
    }
  });

  it('names the offending field when a value does not fit its schema', () => {
    expect(() => codec.encode('Site', { ...site(), submittedAtMs: 'yesterday' } as never)).toThrow(/submittedAtMs/);
  });

  it('refuses records without webtrail headers, and of the wrong schema', async () => {
    await expect(codec.decode({}, Buffer.from('garbage'))).rejects.toBeInstanceOf(SchemaError);
    const encoded = codec.encode('Site', site());
    await expect(codec.decodeAs('Task', encoded.headers, encoded.value)).rejects.toThrow(/expected a Task record, got Site/);
  });

  it('lets an old reader read a record written with a newer, compatible schema', async () => {
    const writer = avro.Type.forSchema(siteV2Schema as avro.Schema);
    const { schema, fingerprint } = describeType(writer);
    const lookups: string[] = [];
    const oldReader = new AvroCodec(undefined, { lookup: async (fp) => (lookups.push(fp), fp === fingerprint ? schema : undefined) });
    const value = writer.toBuffer({ ...site('new.example.com'), priority: 7 });
    const decoded = await oldReader.decodeAs('Site', { [HEADER_SCHEMA]: 'Site', [HEADER_FINGERPRINT]: fingerprint }, value);
    expect(decoded).toEqual(site('new.example.com'));
    expect(lookups).toEqual([fingerprint]);
  });

  it('catches an incompatible change instead of misreading bytes', async () => {
    const schema = readSchemaJson('Site') as { fields: Array<{ name: string; type: unknown }> };
    const broken = { ...schema, fields: schema.fields.map((f) => (f.name === 'submittedAtMs' ? { ...f, type: 'string' } : f)) };
    const writer = avro.Type.forSchema(broken as avro.Schema);
    const { schema: json, fingerprint } = describeType(writer);
    const reader = new AvroCodec(undefined, { lookup: async () => json });
    const value = writer.toBuffer({ ...site(), submittedAtMs: 'now' });
    await expect(reader.decode({ [HEADER_SCHEMA]: 'Site', [HEADER_FINGERPRINT]: fingerprint }, value)).rejects.toThrow(/incompatible writer schema/);
    // A new required field without a default cannot read old records either.
    const needsField = avro.Type.forSchema({ ...schema, fields: [...schema.fields, { name: 'owner', type: 'string' }] } as avro.Schema);
    expect(readProblem(needsField, loadSchemaTypes().get('Site')!)).toMatch(/owner/);
  });

  it('reports an unknown writer schema clearly', async () => {
    await expect(codec.decode({ [HEADER_SCHEMA]: 'Site', [HEADER_FINGERPRINT]: 'ab'.repeat(32) }, Buffer.from([0]))).rejects.toThrow(/writer schema abababababab is unknown/);
  });
});

describe('schema evolution policy', () => {
  const current = loadSchemaTypes();
  const history = [...loadHistory()];

  it('records every current schema in schemas/history (run npm run schemas:snapshot after a change)', () => {
    for (const name of SCHEMA_NAMES) {
      const { fingerprint } = describeType(current.get(name)!);
      expect(history.some(([fp]) => fp === fingerprint), `${name} ${fingerprint.slice(0, 12)} missing from schemas/history`).toBe(true);
    }
  });

  it('keeps every schema fully compatible with all its recorded versions (FULL_TRANSITIVE, the rule the registry checks)', () => {
    for (const name of SCHEMA_NAMES) {
      const earlier = history.filter(([, h]) => h.name === name).map(([fingerprint, h], i) => ({ version: i + 1, fingerprint, type: avro.Type.forSchema(JSON.parse(h.schema) as avro.Schema) }));
      const problems = compatibilityProblems('FULL_TRANSITIVE', current.get(name)!, earlier);
      expect(problems, `${name} against ${earlier.map((e) => e.fingerprint.slice(0, 12)).join(', ')}`).toEqual([]);
    }
    expect(history.filter(([, h]) => !(SCHEMA_NAMES as readonly string[]).includes(h.name)).map(([, h]) => h.name), 'history holds unknown schemas').toEqual([]);
  });

  it('keeps schemas/<Name>.avsc self-contained, each loading alone, generated from schemas/src (npm run schemas:gen)', () => {
    for (const [file, text] of standaloneSchemaFiles()) {
      expect(readFileSync(file, 'utf8'), `${file} is stale: npm run schemas:gen`).toBe(text);
      // No registry of the other files: every named type it uses is in it.
      const alone = avro.Type.forSchema(JSON.parse(text) as avro.Schema);
      const name = path.basename(file, '.avsc') as (typeof SCHEMA_NAMES)[number];
      expect(describeType(alone).fingerprint, name).toBe(describeType(current.get(name)!).fingerprint);
    }
  });

  it('keeps schemas/types.ts generated from the .avsc files (npm run schemas:gen)', () => {
    expect(readFileSync(TYPES_FILE, 'utf8')).toBe(generateTypes());
  });
});
