// The schema registry every service and command uses for the wire format: the user's (SCHEMA_REGISTRY_URL,
// any registry speaking the Confluent REST API: Confluent's, Karapace, Redpanda, Apicurio's ccompat API)
// or the local one that `npm run kafka:start` starts beside the broker. Spoken through
// @kafkajs/confluent-schema-registry; ids and schemas are cached by the codec, so the registry is asked
// once per subject at start-up and once per unknown writer id, never per record.
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { Middleware } from 'mappersmith';
import { z } from 'zod';
import {
  allTopics,
  AvroCodec,
  COMPATIBILITY_LEVELS,
  type CompatibilityLevel,
  SchemaError,
  type SchemaRegistryClient,
  SUBJECT_STRATEGIES,
  type SubjectStrategy,
  type TopicSpec,
} from '../../schemas/index.ts';
import {
  DependencyError,
  type Env,
  LOCAL_REGISTRY_PORT,
  parseEnv,
  port,
  UserInputError,
} from '../../platform/index.ts';
import type { Kafka } from 'kafkajs';
import { KafkaSchemaSource } from '../schemaStore.ts';

const registrySchema = z.object({
  SCHEMA_REGISTRY_URL: z
    .string()
    .regex(/^https?:\/\/[^\s/]+/, 'an http:// or https:// URL, e.g. http://schema-registry:8081')
    .optional(),
  // Not the reference registry's 8081 locally: that is the generator's health port.
  WEBTRAIL_SCHEMA_REGISTRY_PORT: port({ zeroForAny: true }).default(LOCAL_REGISTRY_PORT),
  SCHEMA_REGISTRY_USERNAME: z.string().min(1).optional(),
  SCHEMA_REGISTRY_PASSWORD: z.string().min(1).optional(),
  SCHEMA_REGISTRY_BEARER_TOKEN: z.string().min(1).optional(),
  WEBTRAIL_SCHEMA_SUBJECT_STRATEGY: z.enum(SUBJECT_STRATEGIES).default('TopicNameStrategy'),
  WEBTRAIL_SCHEMA_COMPATIBILITY: z.enum(COMPATIBILITY_LEVELS).default('BACKWARD'),
});

export interface RegistryConfig {
  url: string;
  /** True when SCHEMA_REGISTRY_URL names the user's registry; false for the local one. */
  external: boolean;
  auth?: { kind: 'basic'; username: string; password: string } | { kind: 'bearer'; token: string };
  subjectStrategy: SubjectStrategy;
  /** The level set on a subject webtrail registers first, and expected of one that exists. */
  compatibility: CompatibilityLevel;
}

export function loadRegistryConfig(env: Env = process.env): RegistryConfig {
  const raw = parseEnv(registrySchema, env);
  let auth: RegistryConfig['auth'];
  if (raw.SCHEMA_REGISTRY_USERNAME || raw.SCHEMA_REGISTRY_PASSWORD) {
    if (!raw.SCHEMA_REGISTRY_USERNAME || !raw.SCHEMA_REGISTRY_PASSWORD)
      throw new UserInputError(
        'invalid configuration: SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD go together (basic auth)',
      );
    auth = { kind: 'basic', username: raw.SCHEMA_REGISTRY_USERNAME, password: raw.SCHEMA_REGISTRY_PASSWORD };
  }
  if (raw.SCHEMA_REGISTRY_BEARER_TOKEN) {
    if (auth)
      throw new UserInputError(
        'invalid configuration: set SCHEMA_REGISTRY_BEARER_TOKEN or SCHEMA_REGISTRY_USERNAME/_PASSWORD, not both',
      );
    auth = { kind: 'bearer', token: raw.SCHEMA_REGISTRY_BEARER_TOKEN };
  }
  const url = (raw.SCHEMA_REGISTRY_URL ?? `http://127.0.0.1:${raw.WEBTRAIL_SCHEMA_REGISTRY_PORT}`).replace(/\/+$/, '');
  if (/^[a-z]+:\/\/[^/]*@/i.test(url))
    throw new UserInputError(
      'invalid configuration: SCHEMA_REGISTRY_URL holds credentials; put them in SCHEMA_REGISTRY_USERNAME/_PASSWORD instead (kept out of logs)',
    );
  return {
    url,
    external: Boolean(raw.SCHEMA_REGISTRY_URL),
    auth,
    subjectStrategy: raw.WEBTRAIL_SCHEMA_SUBJECT_STRATEGY,
    compatibility: raw.WEBTRAIL_SCHEMA_COMPATIBILITY,
  };
}

const bearer =
  (token: string): Middleware =>
  () => ({
    prepareRequest: async (next) => (await next()).enhance({ headers: { authorization: `Bearer ${token}` } }),
  });

interface ResponseLike {
  status?: number;
  message?: string;
}

const NETWORK_FAILURE =
  /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ENOTFOUND|EPIPE)\b|socket hang up|[Tt]imeout/;

/** A registry over its REST API. Errors name the registry and what was asked, never the credentials. */
export class RestSchemaRegistry implements SchemaRegistryClient {
  private readonly client: SchemaRegistry;

  constructor(readonly config: RegistryConfig) {
    this.client = new SchemaRegistry({
      host: config.url,
      clientId: 'webtrail',
      auth:
        config.auth?.kind === 'basic' ? { username: config.auth.username, password: config.auth.password } : undefined,
      // mappersmith's ESM and CommonJS typings differ; the middleware is the same function to both.
      middlewares: (config.auth?.kind === 'bearer' ? [bearer(config.auth.token)] : []) as never[],
      retry: { retries: 5, maxRetryTimeInSecs: 5 },
    });
  }

  async register(subject: string, schema: string): Promise<number> {
    try {
      const { id } = await this.client.register(
        { type: SchemaType.AVRO, schema },
        { subject, compatibility: this.config.compatibility as never },
      );
      return id;
    } catch (error) {
      throw this.explain(error, `registering the schema of subject '${subject}'`);
    }
  }

  async schemaById(id: number): Promise<string> {
    try {
      const type = (await this.client.getSchema(id)) as unknown as {
        schema(options?: { exportAttrs?: boolean }): unknown;
      };
      return JSON.stringify(type.schema({ exportAttrs: true }));
    } catch (error) {
      throw this.explain(error, `fetching schema id ${id}`);
    }
  }

  private explain(error: unknown, what: string): Error {
    const e = error as ResponseLike & Error;
    const reason = (e.message ?? String(error)).replace(/^webtrail - /, '').replace(/^Error, status 400: (?=\w)/, '');
    const where = `the schema registry at ${this.config.url}`;
    if (e.name === 'ConfluentSchemaRegistryCompatibilityError') {
      return new SchemaError(
        `${where}: ${what}: ${reason}; set WEBTRAIL_SCHEMA_COMPATIBILITY to the subject's level, or change the subject's config`,
        { cause: error },
      );
    }
    if (e.status === 401 || e.status === 403)
      return new UserInputError(
        `${where} refused ${what} (HTTP ${e.status}): check SCHEMA_REGISTRY_USERNAME/_PASSWORD or SCHEMA_REGISTRY_BEARER_TOKEN`,
        { cause: error },
      );
    // A registry away, overloaded or failing may answer later; its refusals (incompatible, invalid, an
    // unknown id) and the client's own are final. The client reports a connection that failed as a 400
    // too, told apart by the system's error code.
    const unreachable = NETWORK_FAILURE.test(reason);
    const transient =
      unreachable || e.status === 408 || e.status === 429 || (e.status !== undefined && e.status >= 500);
    if (!transient) return new SchemaError(`${where}: ${what}: ${reason}`, { cause: error });
    return new DependencyError(
      `${where} did not answer ${what}: ${reason}${unreachable ? ' (is it running? npm run kafka:start starts the local one)' : ''}`,
      { cause: error },
    );
  }
}

/**
 * The codec every service and command uses: ids from the configured registry; records of the old format
 * find their writer schemas in schemas/history or, given a Kafka client, the old schema topic.
 */
export function createCodec(env: Env = process.env, kafka?: Kafka): AvroCodec {
  const config = loadRegistryConfig(env);
  return new AvroCodec({
    registry: new RestSchemaRegistry(config),
    subjectStrategy: config.subjectStrategy,
    legacySource: kafka ? new KafkaSchemaSource(kafka) : undefined,
  });
}

/** Registers the value schema of every webtrail topic (once per subject): a refused schema stops a service before it works. */
export async function registerTopicSchemas(codec: AvroCodec, topics: TopicSpec[] = allTopics()): Promise<void> {
  await Promise.all(topics.flatMap((t) => (t.valueSchema ? [codec.register(t.name, t.valueSchema)] : [])));
}
