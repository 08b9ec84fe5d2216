// The local schema registry against the real clients users point at it: the npm client most TypeScript
// Kafka users reach for (@kafkajs/confluent-schema-registry) and Confluent's own Python client
// (SchemaRegistryClient, AvroDeserializer), over real HTTP, its state in a topic of the real broker.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import avro from 'avsc';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSchemaRegistry, type SchemaRegistryServer } from '../bus/registry/registryServer.ts';
import { ROOT, spawnTs } from '../platform/spawnTs.ts';
import { readSchemaJson } from '../schemas/schemaFiles.ts';
import { loadRegistryConfig } from '../bus/registry/registryClient.ts';
import { runCli } from './helpers/processes.ts';
import { testKafka, uniqueName } from './helpers/kafka.ts';
import { freePort } from '../scripts/freePort.ts';
import { registryAnswers, startLocalRegistry, stopLocalRegistry } from '../scripts/localRegistry.ts';

const kafka = testKafka();
const storeTopic = uniqueName('registry-store');
const dataTopic = 'webtrail.example-things';
const subject = `${dataTopic}-value`;
let server: SchemaRegistryServer;

const thing = (fields: object[]) => ({ type: 'record', name: 'Thing', namespace: 'dev.webtrail', fields });
const v1 = thing([{ name: 'id', type: 'string' }]);
// Compatible (BACKWARD): a new field with a default.
const v2 = thing([
  { name: 'id', type: 'string' },
  { name: 'round', type: 'int', default: 0 },
]);
// Incompatible: a new field without one; data written before cannot be read with it.
const v3 = thing([
  { name: 'id', type: 'string' },
  { name: 'round', type: 'int', default: 0 },
  { name: 'owner', type: 'string' },
]);

beforeAll(async () => {
  server = await startSchemaRegistry(kafka, { port: 0, topic: storeTopic });
});

afterAll(async () => {
  await server?.close();
});

describe('the local schema registry', () => {
  let id1: number;
  let id2: number;

  it('registers, serves and frames schemas for the npm client, under the default subject naming (topic-value)', async () => {
    const client = new SchemaRegistry({ host: server.url });
    ({ id: id1 } = await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(v1) }, { subject }));
    expect(await client.getLatestSchemaId(subject)).toBe(id1);
    // The same schema again (another spelling): the same id, no new version.
    expect(
      (await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(v1, null, 2) }, { subject })).id,
    ).toBe(id1);
    const framed = await client.encode(id1, { id: 'a' });
    // The wire format: magic byte 0, the id in 4 bytes big-endian, then the Avro body.
    expect(framed[0]).toBe(0);
    expect(framed.readUInt32BE(1)).toBe(id1);
    expect(framed.subarray(5)).toEqual(avro.Type.forSchema(v1 as avro.Schema).toBuffer({ id: 'a' }));
    expect(await client.decode(framed)).toEqual({ id: 'a' });
    const answered = await fetch(`${server.url}/subjects/${subject}/versions/latest`);
    expect(answered.headers.get('content-type')).toBe('application/vnd.schemaregistry.v1+json');
    expect(await answered.json()).toMatchObject({ subject, version: 1, id: id1 });
  });

  it('takes a compatible change (a new field with a default), read by old and new consumers alike', async () => {
    const client = new SchemaRegistry({ host: server.url });
    ({ id: id2 } = await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(v2) }, { subject }));
    expect(id2).not.toBe(id1);
    const oldReader = avro.Type.forSchema(v1 as avro.Schema);
    const newReader = avro.Type.forSchema(v2 as avro.Schema);
    // Each consumer fetches the writer's schema by the id in the record and resolves it into its own.
    const writtenNew = await client.encode(id2, { id: 'b', round: 2 });
    const writtenOld = await client.encode(id1, { id: 'c' });
    const writerOf = async (framed: Buffer) =>
      avro.Type.forSchema(
        JSON.parse(
          ((await (await fetch(`${server.url}/schemas/ids/${framed.readUInt32BE(1)}`)).json()) as { schema: string })
            .schema,
        ) as avro.Schema,
      );
    expect(oldReader.fromBuffer(writtenNew.subarray(5), oldReader.createResolver(await writerOf(writtenNew)))).toEqual({
      id: 'b',
    });
    expect(newReader.fromBuffer(writtenOld.subarray(5), newReader.createResolver(await writerOf(writtenOld)))).toEqual({
      id: 'c',
      round: 0,
    });
    expect(await (await fetch(`${server.url}/subjects/${subject}/versions`)).json()).toEqual([1, 2]);
  });

  it("refuses an incompatible change with the registry's error, and registers nothing", async () => {
    const client = new SchemaRegistry({ host: server.url });
    await expect(client.register({ type: SchemaType.AVRO, schema: JSON.stringify(v3) }, { subject })).rejects.toThrow(
      /incompatible with an earlier schema for subject "webtrail.example-things-value".*owner/,
    );
    const check = await fetch(`${server.url}/compatibility/subjects/${subject}/versions/latest?verbose=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ schema: JSON.stringify(v3) }),
    });
    expect(await check.json()).toEqual({ is_compatible: false, messages: [expect.stringContaining('owner')] });
    expect(await (await fetch(`${server.url}/subjects/${subject}/versions`)).json()).toEqual([1, 2]);
    // Not a schema at all: 422 with the registry's code for it.
    const bad = await fetch(`${server.url}/subjects/${subject}/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ schema: '{"type":"record","name":"X","fields":[{"name":"a","type":"nope"}]}' }),
    });
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({ error_code: 42201 });
  });

  it('keeps its state in its topic: started again, it answers the same ids, versions and levels', async () => {
    await server.close();
    server = await startSchemaRegistry(kafka, { port: 0, topic: storeTopic });
    const client = new SchemaRegistry({ host: server.url });
    expect(await client.getLatestSchemaId(subject)).toBe(id2);
    expect(await (await fetch(`${server.url}/subjects`)).json()).toEqual([subject]);
    expect(await (await fetch(`${server.url}/config/${subject}`)).json()).toEqual({ compatibilityLevel: 'BACKWARD' });
    // A new schema after the restart gets a new id, not one already handed out.
    const other = await client.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(thing([{ name: 'name', type: 'string' }])) },
      { subject: 'webtrail.other-value' },
    );
    expect([id1, id2]).not.toContain(other.id);
  });

  it("answers Confluent's own Python client: subjects, versions, AvroDeserializer, and the refusal of an incompatible schema", async () => {
    const python = path.join(ROOT, '.venv/bin/python');
    expect(existsSync(python), 'scripts/setup.sh makes .venv with confluent-kafka').toBe(true);
    const framed = await new SchemaRegistry({ host: server.url }).encode(id2, { id: 'from-node', round: 7 });
    // Not spawnSync: the registry answers from this process, whose event loop must keep running.
    const run = await promisify(execFile)(
      python,
      [
        path.join(ROOT, 'test/fixtures/registry_client.py'),
        server.url,
        dataTopic,
        framed.toString('hex'),
        JSON.stringify(v3),
      ],
      { encoding: 'utf8', timeout: 50_000 },
    );
    const answer = JSON.parse(run.stdout) as {
      subjects: string[];
      latest: { version: number; id: number };
      level: string;
      value: unknown;
      refused: { http_status: number; error_code: number; message: string } | null;
    };
    expect(answer.subjects).toContain(subject);
    expect(answer.latest).toEqual({ version: 2, id: id2 });
    expect(answer.level).toBe('BACKWARD');
    expect(answer.value).toEqual({ id: 'from-node', round: 7 });
    expect(answer.refused).toMatchObject({ http_status: 409, error_code: 409 });
    expect(answer.refused!.message).toMatch(/incompatible/);
  });

  it("stops a command and a service whose schema the registry refuses, with the registry's error, before writing anything", async () => {
    const prefix = `refused-${Date.now().toString(36)}.`;
    const subject = `${prefix}webtrail.sites-value`;
    // The subject already holds a Site without submittedAtMs: today's Site (which needs it, with no
    // default) cannot read what was written with that one, so BACKWARD refuses it.
    const site = readSchemaJson('Site') as { fields: Array<{ name: string }> };
    const earlier = { ...site, fields: site.fields.filter((f) => f.name !== 'submittedAtMs') };
    const registryUrl = loadRegistryConfig().url;
    const registered = await fetch(`${registryUrl}/subjects/${subject}/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ schema: JSON.stringify(earlier) }),
    });
    expect(registered.status).toBe(200);
    const env = { WEBTRAIL_TOPIC_PREFIX: prefix, LOG_LEVEL: 'fatal' };
    const refusal = new RegExp(
      `the schema registry at ${registryUrl.replace(/[.]/g, '\\.')}: registering the schema of subject '${subject.replace(/[.]/g, '\\.')}': .*incompatible.*submittedAtMs`,
    );

    const submitted = await runCli(['submit', '-', '--source', 'refused'], { input: 'a.example.com\n', env });
    expect(submitted.code).toBe(1);
    expect(submitted.stderr).toMatch(refusal);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(`${prefix}webtrail.sites`);
      expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(0);
    } finally {
      await admin.disconnect();
    }

    // A service registers every topic's schema at start-up: it stops there, before consuming.
    const generator = spawnTs('services/generator/main.ts', {
      env: { ...process.env, ...env, WEBTRAIL_GENERATOR_HTTP_PORT: '0' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    generator.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => generator.once('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(stderr).toMatch(refusal);
  }, 90_000);

  it('is started beside the broker by the local stack (npm run kafka:start) and stopped by it, from its pid file', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'webtrail-registry-'));
    const port = await freePort(0);
    // Started by a caller with a topic prefix (the bench), it keeps its store under the plain name: the
    // caller deletes its prefixed topics when it ends, and the registry outlives it.
    const prefix = `${uniqueName('starter')}.`;
    const env = {
      ...process.env,
      WEBTRAIL_HOME: home,
      WEBTRAIL_SCHEMA_REGISTRY_PORT: String(port),
      WEBTRAIL_TOPIC_PREFIX: prefix,
    };
    const started = await startLocalRegistry(env);
    try {
      expect(started).toMatchObject({ url: `http://127.0.0.1:${port}`, started: true, external: false });
      expect(await registryAnswers(started.url)).toBe(true);
      const admin = kafka.admin();
      await admin.connect();
      try {
        const topics = await admin.listTopics();
        expect(topics.filter((t) => t.startsWith(prefix))).toEqual([]);
        expect(topics).toContain('webtrail.schema-registry');
      } finally {
        await admin.disconnect();
      }
      // Already running: reused, not started twice.
      expect((await startLocalRegistry(env)).started).toBe(false);
    } finally {
      expect(await stopLocalRegistry(env)).toBe(true);
    }
    expect(await registryAnswers(started.url)).toBe(false);
    // The user's own registry: nothing is started.
    expect(await startLocalRegistry({ ...env, SCHEMA_REGISTRY_URL: 'http://127.0.0.1:1' })).toMatchObject({
      external: true,
      started: false,
    });
  });
});
