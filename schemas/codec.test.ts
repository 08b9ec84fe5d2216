import { readFileSync } from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { SchemaError } from './errors.ts';
import { site, task, trajectory, trainingExample, verdict } from '../test/helpers/samples.ts';
import { generateTypes, standaloneSchemaFiles, TYPES_FILE } from '../scripts/genTypes.ts';
import { AvroCodec, HEADER_FINGERPRINT, HEADER_SCHEMA, loadHistory, subjectName } from './codec.ts';
import { createCodec, loadRegistryConfig, RestSchemaRegistry } from '../bus/registry/registryClient.ts';
import { uniqueName } from '../test/helpers/kafka.ts';
import { freePort } from '../scripts/freePort.ts';
import { isRetriable } from '../platform/errors.ts';
import { compatibilityProblems, readProblem } from './compatibility.ts';
import { describeType, loadSchemaTypes, readSchemaJson, SCHEMA_DIR, SCHEMA_NAMES } from './schemaFiles.ts';

const codec = createCodec();
const registryUrl = loadRegistryConfig().url;
const siteType = loadSchemaTypes().get('Site')!;

/** Site as a later release might write it: one more field, with a default. */
const siteV2Schema = (() => {
  const schema = readSchemaJson('Site') as { fields: unknown[] };
  return { ...schema, fields: [...schema.fields, { name: 'priority', type: 'int', default: 0, doc: 'added later' }] };
})();

/** Registers a schema straight over the registry's REST API (not through the code under test); returns its id. */
async function registerDirectly(subject: string, schema: object): Promise<number> {
  const response = await fetch(`${registryUrl}/subjects/${encodeURIComponent(subject)}/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema: JSON.stringify(schema) }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { id: number }).id;
}

/** A record framed by hand the Confluent way: magic byte 0, the id in 4 bytes big-endian, the Avro body. */
function framed(id: number, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(id, 1);
  return Buffer.concat([head, body]);
}

/** A codec whose registry calls are counted. */
function countingCodec(): { codec: AvroCodec; calls: string[] } {
  const calls: string[] = [];
  const rest = new RestSchemaRegistry(loadRegistryConfig());
  const registry = {
    register: (subject: string, schema: string) => (calls.push(`register ${subject}`), rest.register(subject, schema)),
    schemaById: (id: number) => (calls.push(`schema ${id}`), rest.schemaById(id)),
  };
  return { codec: new AvroCodec({ registry }), calls };
}

describe('AvroCodec: the schema registry wire format', () => {
  it('frames every record type as magic byte 0, the id the registry gave its subject (topic-value), then the Avro body', async () => {
    const samples = {
      Site: site(),
      Task: task(),
      Trajectory: trajectory(),
      Verdict: verdict(),
      TrainingExample: trainingExample(),
    } as const;
    const types = loadSchemaTypes();
    for (const [name, value] of Object.entries(samples)) {
      const topic = uniqueName('test.codec');
      const encoded = await codec.encode(topic, name as keyof typeof samples, value as never);
      // The id as the registry itself answers it for the subject, asked over HTTP.
      const latest = (await (await fetch(`${registryUrl}/subjects/${topic}-value/versions/latest`)).json()) as {
        id: number;
        version: number;
      };
      expect(latest.version).toBe(1);
      // The registry holds the very schema of schemas/<Name>.avsc, the file other tools load alone.
      const held = (await (await fetch(`${registryUrl}/schemas/ids/${latest.id}/schema`)).json()) as object;
      expect(held).toEqual(JSON.parse(readFileSync(path.join(SCHEMA_DIR, `${name}.avsc`), 'utf8')));
      expect(encoded.value[0]).toBe(0);
      expect(encoded.value.readUInt32BE(1)).toBe(latest.id);
      expect(encoded.value.subarray(5)).toEqual(types.get(name as keyof typeof samples)!.toBuffer(value));
      // A header names the schema for people; nothing else rides in headers.
      expect(encoded.headers).toEqual({ [HEADER_SCHEMA]: name });
      expect((await codec.decode({}, encoded.value)).value).toEqual(value);
      expect(codec.encodedSize(name as keyof typeof samples, value as never)).toBe(encoded.value.length);
    }
  });

  it('asks the registry once per subject and once per unknown id, never per record', async () => {
    const { codec: counted, calls } = countingCodec();
    const topic = uniqueName('test.codec');
    const records = await Promise.all(
      Array.from({ length: 50 }, (_, i) => counted.encode(topic, 'Site', site(`s${i}.example.com`))),
    );
    expect(calls).toEqual([`register ${topic}-value`]);
    // Another process's codec reads them: one fetch of the id, then none.
    const { codec: reader, calls: readerCalls } = countingCodec();
    for (const r of records) await reader.decodeAs('Site', {}, r.value);
    expect(readerCalls).toEqual([`schema ${records[0]!.value.readUInt32BE(1)}`]);
    // What a codec wrote itself it reads without asking.
    await counted.decode({}, records[0]!.value);
    expect(calls).toHaveLength(1);
  });

  it('names the offending field when a value does not fit its schema', async () => {
    await expect(
      codec.encode(uniqueName('test.codec'), 'Site', { ...site(), submittedAtMs: 'yesterday' } as never),
    ).rejects.toThrow(/submittedAtMs/);
    expect(() => codec.encodedSize('Site', { ...site(), submittedAtMs: 'yesterday' } as never)).toThrow(
      /submittedAtMs/,
    );
  });

  it('refuses bytes in neither format, records of another schema, and an id the registry does not know', async () => {
    await expect(codec.decode({}, Buffer.from('garbage'))).rejects.toThrow(
      /unknown magic byte 103: not in the schema registry's wire format/,
    );
    await expect(codec.decode({}, null)).rejects.toBeInstanceOf(SchemaError);
    const encoded = await codec.encode(uniqueName('test.codec'), 'Site', site());
    await expect(codec.decodeAs('Task', encoded.headers, encoded.value)).rejects.toThrow(
      /expected a Task record, got Site/,
    );
    const unknown = framed(2_000_000_000, siteType.toBuffer(site()));
    const error = await codec.decode({}, unknown).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(SchemaError);
    expect((error as Error).message).toMatch(/schema id 2000000000/);
  });

  it('lets an old reader read a record written with a newer, compatible schema, and a new reader an old record', async () => {
    const topic = uniqueName('test.codec');
    const subject = `${topic}-value`;
    const oldId = await registerDirectly(subject, siteType.schema({ exportAttrs: true }) as object);
    const newId = await registerDirectly(subject, siteV2Schema);
    expect(newId).not.toBe(oldId);
    const writer = avro.Type.forSchema(siteV2Schema as avro.Schema);
    const fromNewer = framed(newId, writer.toBuffer({ ...site('new.example.com'), priority: 7 }));
    expect(await createCodec().decodeAs('Site', {}, fromNewer)).toEqual(site('new.example.com'));
    // A reader of the newer release (its Site has the field), reading what the current release wrote.
    const newer = new AvroCodec({
      registry: new RestSchemaRegistry(loadRegistryConfig()),
      types: new Map([['Site', writer]]) as never,
    });
    const fromCurrent = await codec.encode(topic, 'Site', site('old.example.com'));
    expect(await newer.decodeAs('Site', {}, fromCurrent.value)).toEqual({ ...site('old.example.com'), priority: 0 });
  });

  it('catches an incompatible writer instead of misreading bytes', async () => {
    const schema = readSchemaJson('Site') as { fields: Array<{ name: string; type: unknown }> };
    const broken = {
      ...schema,
      fields: schema.fields.map((f) => (f.name === 'submittedAtMs' ? { ...f, type: 'string' } : f)),
    };
    const id = await registerDirectly(`${uniqueName('test.codec')}-value`, broken);
    const writer = avro.Type.forSchema(broken as avro.Schema);
    await expect(
      createCodec().decode({}, framed(id, writer.toBuffer({ ...site(), submittedAtMs: 'now' }))),
    ).rejects.toThrow(/incompatible writer schema \(schema id \d+\) for Site/);
    // A new required field without a default cannot read old records either.
    const needsField = avro.Type.forSchema({
      ...schema,
      fields: [...schema.fields, { name: 'owner', type: 'string' }],
    } as avro.Schema);
    expect(readProblem(needsField, siteType)).toMatch(/owner/);
  });

  it("names subjects as Confluent's three strategies do", () => {
    expect(subjectName('TopicNameStrategy', 'webtrail.tasks', 'Task')).toBe('webtrail.tasks-value');
    expect(subjectName('RecordNameStrategy', 'webtrail.tasks', 'Task')).toBe('dev.webtrail.Task');
    expect(subjectName('TopicRecordNameStrategy', 'webtrail.tasks', 'Task')).toBe('webtrail.tasks-dev.webtrail.Task');
  });

  it('waits for a registry that does not answer (a retriable error), and says where it looked', async () => {
    const port = await freePort();
    const away = createCodec({ SCHEMA_REGISTRY_URL: `http://127.0.0.1:${port}` });
    const error = await away.encode('webtrail.sites', 'Site', site()).then(
      () => new Error('encoded'),
      (e: unknown) => e as Error,
    );
    expect(isRetriable(error)).toBe(true);
    expect(error.message).toContain(`the schema registry at http://127.0.0.1:${port} did not answer`);
  });
});

describe('AvroCodec: records of the old format (bare body, schema and fingerprint in headers)', () => {
  const old = (name: string, fingerprint: string) => ({ [HEADER_SCHEMA]: name, [HEADER_FINGERPRINT]: fingerprint });

  it("reads records written with the current schema and with every earlier release's (schemas/history)", async () => {
    const { fingerprint } = describeType(siteType);
    expect(await codec.decodeAs('Site', old('Site', fingerprint), siteType.toBuffer(site('a.example.com')))).toEqual(
      site('a.example.com'),
    );
    const current = loadSchemaTypes();
    let earlier = 0;
    for (const [fp, h] of loadHistory()) {
      const writer = avro.Type.forSchema(JSON.parse(h.schema) as avro.Schema);
      const reader = current.get(h.name as (typeof SCHEMA_NAMES)[number])!;
      if (fp === describeType(reader).fingerprint) continue;
      // A value as that release wrote it: today's sample read into its schema (they are FULL compatible).
      const sample = (
        {
          Site: site,
          Task: task,
          Trajectory: trajectory,
          Verdict: verdict,
          TrainingExample: trainingExample,
        } as Record<string, (() => unknown) | undefined>
      )[h.name];
      if (!sample) continue;
      const value = sample();
      const asWritten = writer.fromBuffer(reader.toBuffer(value), writer.createResolver(reader));
      const decoded = await codec.decode(old(h.name, fp), writer.toBuffer(asWritten));
      expect(decoded.schema).toBe(h.name);
      // Every field that release had comes back as written (the ones it lacked take their defaults).
      expect(
        writer.fromBuffer(reader.toBuffer(decoded.value), writer.createResolver(reader)),
        `${h.name} ${fp.slice(0, 12)}`,
      ).toEqual(asWritten);
      earlier += 1;
    }
    expect(earlier, 'schemas/history holds earlier releases of the sampled schemas').toBeGreaterThan(0);
  });

  it('reports an unknown writer schema clearly', async () => {
    await expect(codec.decode(old('Site', 'ab'.repeat(32)), Buffer.from([0]))).rejects.toThrow(
      /writer schema abababababab is unknown/,
    );
  });
});

describe('schema evolution policy', () => {
  const current = loadSchemaTypes();
  const history = [...loadHistory()];

  it('records every current schema in schemas/history (run npm run schemas:snapshot after a change)', () => {
    for (const name of SCHEMA_NAMES) {
      const { fingerprint } = describeType(current.get(name)!);
      expect(
        history.some(([fp]) => fp === fingerprint),
        `${name} ${fingerprint.slice(0, 12)} missing from schemas/history`,
      ).toBe(true);
    }
  });

  it('keeps every schema fully compatible with all its recorded versions (FULL_TRANSITIVE, the rule the registry checks)', () => {
    for (const name of SCHEMA_NAMES) {
      const earlier = history
        .filter(([, h]) => h.name === name)
        .map(([fingerprint, h], i) => ({
          version: i + 1,
          fingerprint,
          type: avro.Type.forSchema(JSON.parse(h.schema) as avro.Schema),
        }));
      const problems = compatibilityProblems('FULL_TRANSITIVE', current.get(name)!, earlier);
      expect(problems, `${name} against ${earlier.map((e) => e.fingerprint.slice(0, 12)).join(', ')}`).toEqual([]);
    }
    expect(
      history.filter(([, h]) => !(SCHEMA_NAMES as readonly string[]).includes(h.name)).map(([, h]) => h.name),
      'history holds unknown schemas',
    ).toEqual([]);
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
