// The schema registry's REST API, as the Confluent Schema Registry serves it (the part that serializers,
// deserializers, Kafka Connect's converters, ksqlDB, Flink and the usual client libraries call): schemas by
// id, subjects and their versions, registration with a compatibility check, lookup, compatibility tests and
// the compatibility config. Errors carry the reference registry's error codes. Avro only.
import { Hono, type Context } from 'hono';
import pLimit from 'p-limit';
import { compatibilityProblems, isCompatibilityLevel } from '../../schemas/index.ts';
import {
  normalizeSchema,
  type RegistryKey,
  type RegistryState,
  type SchemaValue,
  type ConfigValue,
} from './registryState.ts';

/** Appends records to the registry's topic; resolves once they are durable and applied to the state. */
export type AppendRecords = (
  records: Array<{ key: RegistryKey; value: SchemaValue | ConfigValue | null }>,
) => Promise<void>;

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

class RegistryError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const subjectNotFound = (subject: string) => new RegistryError(404, 40401, `Subject '${subject}' not found.`);
const versionNotFound = (version: string) => new RegistryError(404, 40402, `Version ${version} not found.`);
const schemaNotFound = (id?: number) =>
  new RegistryError(404, 40403, id === undefined ? 'Schema not found' : `Schema ${id} not found`);

/** A version in a path: a number from 1, or latest (or -1, as the reference registry takes it). */
function parseVersion(text: string): number | 'latest' {
  if (text === 'latest' || text === '-1') return 'latest';
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 2 ** 31 - 1)
    throw new RegistryError(
      422,
      42202,
      `The specified version '${text}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`,
    );
  return n;
}

async function schemaBody(c: Context): Promise<{ schema: string; type: ReturnType<typeof normalizeSchema>['type'] }> {
  let body: { schema?: unknown; schemaType?: unknown; references?: unknown };
  try {
    body = (await c.req.json()) as typeof body;
  } catch {
    throw new RegistryError(422, 42201, 'Invalid schema: the request body is not JSON');
  }
  if (body.schemaType !== undefined && body.schemaType !== 'AVRO')
    throw new RegistryError(
      422,
      42201,
      `Invalid schema: schema type ${String(body.schemaType)} is not supported by this registry (Avro only)`,
    );
  if (Array.isArray(body.references) && body.references.length > 0)
    throw new RegistryError(
      422,
      42201,
      'Invalid schema: schema references are not supported by this registry; register self-contained schemas',
    );
  if (typeof body.schema !== 'string')
    throw new RegistryError(422, 42201, 'Invalid schema: the body needs a "schema" string');
  try {
    return normalizeSchema(body.schema);
  } catch (error) {
    throw new RegistryError(422, 42201, `Invalid schema ${body.schema.slice(0, 200)}: ${(error as Error).message}`);
  }
}

export function registryApi(state: RegistryState, append: AppendRecords): Hono {
  const app = new Hono();
  // Registrations one at a time: ids and versions are handed out in order, each from the state the last left.
  const serially = pLimit(1);
  const json = (c: Context, body: unknown, status = 200) =>
    c.body(JSON.stringify(body), status as 200, { 'content-type': CONTENT_TYPE });

  app.onError((error, c) => {
    if (error instanceof RegistryError)
      return json(c, { error_code: error.code, message: error.message }, error.status);
    return json(c, { error_code: 50001, message: `Error in the backend data store: ${error.message}` }, 500);
  });
  app.notFound((c) => json(c, { error_code: 404, message: 'HTTP 404 Not Found' }, 404));

  app.get('/', (c) => json(c, {}));
  app.get('/schemas/types', (c) => json(c, ['AVRO']));
  app.get('/mode', (c) => json(c, { mode: 'READWRITE' }));

  const byId = (c: Context) => {
    const id = Number(c.req.param('id'));
    const schema = Number.isInteger(id) ? state.schemaById(id) : undefined;
    if (schema === undefined) throw schemaNotFound(id);
    return { id, schema };
  };
  app.get('/schemas/ids/:id', (c) => json(c, { schema: byId(c).schema }));
  app.get('/schemas/ids/:id/schema', (c) => json(c, JSON.parse(byId(c).schema)));
  app.get('/schemas/ids/:id/subjects', (c) => json(c, [...new Set(state.usesOf(byId(c).id).map((u) => u.subject))]));
  app.get('/schemas/ids/:id/versions', (c) => json(c, state.usesOf(byId(c).id)));

  app.get('/subjects', (c) => json(c, state.subjectNames(c.req.query('deleted') === 'true')));

  const liveSubject = (subject: string) => {
    if (state.versions(subject).length === 0) throw subjectNotFound(subject);
  };
  app.get('/subjects/:subject/versions', (c) => {
    const subject = c.req.param('subject');
    liveSubject(subject);
    return json(
      c,
      state.versions(subject).map((v) => v.version),
    );
  });
  const versionOf = (c: Context) => {
    const subject = c.req.param('subject')!;
    liveSubject(subject);
    const found = state.version(subject, parseVersion(c.req.param('version')!));
    if (!found) throw versionNotFound(c.req.param('version')!);
    return found;
  };
  app.get('/subjects/:subject/versions/:version', (c) => {
    const { subject, version, id, schema } = versionOf(c);
    return json(c, { subject, version, id, schema });
  });
  app.get('/subjects/:subject/versions/:version/schema', (c) => json(c, JSON.parse(versionOf(c).schema)));

  // Register: the id the schema already has under the subject, or a new version after the compatibility check.
  app.post('/subjects/:subject/versions', async (c) => {
    const subject = c.req.param('subject');
    const { schema, type } = await schemaBody(c);
    const id = await serially(async () => {
      const existing = state.versions(subject).find((v) => v.schema === schema);
      if (existing) return existing.id;
      const level = state.level(subject);
      const problems = compatibilityProblems(
        level,
        type,
        state.versions(subject).map((v) => ({ version: v.version, type: state.typeById(v.id)! })),
      );
      if (problems.length)
        throw new RegistryError(
          409,
          409,
          `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: [${problems.join('; ')}]`,
        );
      const newId = state.idOf(schema) ?? state.nextId();
      const version = state.nextVersion(subject);
      await append([
        {
          key: { keytype: 'SCHEMA', subject, version, magic: 1 },
          value: { subject, version, id: newId, schema, deleted: false },
        },
      ]);
      return newId;
    });
    return json(c, { id });
  });

  // Lookup: is this schema registered under the subject, and as which version.
  app.post('/subjects/:subject', async (c) => {
    const subject = c.req.param('subject');
    liveSubject(subject);
    const { schema } = await schemaBody(c);
    const found = state.versions(subject).find((v) => v.schema === schema);
    if (!found) throw schemaNotFound();
    return json(c, { subject, version: found.version, id: found.id, schema: found.schema });
  });

  app.delete('/subjects/:subject', async (c) => {
    const subject = c.req.param('subject');
    liveSubject(subject);
    const versions = state.versions(subject);
    await serially(() =>
      append(
        versions.map((v) => ({
          key: { keytype: 'SCHEMA' as const, subject, version: v.version, magic: 1 as const },
          value: { ...v, deleted: true },
        })),
      ),
    );
    return json(
      c,
      versions.map((v) => v.version),
    );
  });

  app.post('/compatibility/subjects/:subject/versions/:version', async (c) => {
    const subject = c.req.param('subject');
    const { type } = await schemaBody(c);
    const wanted = parseVersion(c.req.param('version'));
    const versions = state.versions(subject);
    // A subject with no versions yet takes any schema, as the reference registry answers.
    if (versions.length === 0) return json(c, { is_compatible: true });
    const level = state.level(subject);
    const against =
      wanted === 'latest' || level.endsWith('_TRANSITIVE') ? versions : versions.filter((v) => v.version <= wanted);
    if (wanted !== 'latest' && !versions.some((v) => v.version === wanted)) throw versionNotFound(String(wanted));
    const problems = compatibilityProblems(
      level,
      type,
      against.map((v) => ({ version: v.version, type: state.typeById(v.id)! })),
    );
    return json(
      c,
      c.req.query('verbose') === 'true'
        ? { is_compatible: problems.length === 0, messages: problems }
        : { is_compatible: problems.length === 0 },
    );
  });

  const levelBody = async (c: Context) => {
    const body = (await c.req.json().catch(() => ({}))) as { compatibility?: unknown; compatibilityLevel?: unknown };
    const level = body.compatibility ?? body.compatibilityLevel;
    if (!isCompatibilityLevel(level))
      throw new RegistryError(
        422,
        42203,
        `Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive`,
      );
    return level;
  };
  app.get('/config', (c) => json(c, { compatibilityLevel: state.level() }));
  app.put('/config', async (c) => {
    const level = await levelBody(c);
    await serially(() =>
      append([{ key: { keytype: 'CONFIG', subject: null, magic: 0 }, value: { compatibilityLevel: level } }]),
    );
    return json(c, { compatibility: level });
  });
  app.get('/config/:subject', (c) => {
    const subject = c.req.param('subject');
    const level = state.subjectLevel(subject);
    if (level) return json(c, { compatibilityLevel: level });
    if (c.req.query('defaultToGlobal') === 'true') return json(c, { compatibilityLevel: state.level() });
    throw new RegistryError(404, 40408, `Subject '${subject}' does not have subject-level compatibility configured`);
  });
  app.put('/config/:subject', async (c) => {
    const subject = c.req.param('subject');
    const level = await levelBody(c);
    await serially(() =>
      append([{ key: { keytype: 'CONFIG', subject, magic: 0 }, value: { compatibilityLevel: level } }]),
    );
    return json(c, { compatibility: level });
  });
  app.delete('/config/:subject', async (c) => {
    const subject = c.req.param('subject');
    const before = state.level(subject);
    await serially(() => append([{ key: { keytype: 'CONFIG', subject, magic: 0 }, value: null }]));
    return json(c, { compatibilityLevel: before });
  });
  return app;
}
