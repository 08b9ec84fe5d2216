// The only reader of process.env for what several services share: Kafka, the home folder, the runtime
// of a stage. Each service's own config.ts extends it. Units are in the names (…Ms, …Bytes).
import path from 'node:path';
import { z } from 'zod';
import { topicPrefix } from '../schemas/index.ts';
import { UserInputError } from './errors.ts';

export type Env = Record<string, string | undefined>;

/** Where the local stack's schema registry listens by default (in Kubernetes it is the Service's 8081). */
export const LOCAL_REGISTRY_PORT = 8791;

export const SERVICE_NAMES = ['generator', 'rollout', 'judge', 'sink', 'refiner'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().nonnegative();
/** A TCP port: 1-65535, or 0 too where 0 means "any free one". */
export const port = (options: { zeroForAny?: boolean } = {}) =>
  z.coerce
    .number()
    .int('a whole number')
    .min(
      options.zeroForAny ? 0 : 1,
      options.zeroForAny ? 'a port from 0 (any free one) to 65535' : 'a port from 1 to 65535',
    )
    .max(65535, options.zeroForAny ? 'a port from 0 (any free one) to 65535' : 'a port from 1 to 65535');

/** An http:// or https:// URL (what every endpoint setting takes), e.g. `example` as the hint. */
export const httpUrl = (example: string) =>
  z
    .string()
    .url(`an http:// or https:// URL, e.g. ${example}`)
    .refine((v) => /^https?:$/.test(new URL(v).protocol), `an http:// or https:// URL, e.g. ${example}`);

export const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Every setting name a parsed schema has declared in this process (scripts/genSettings.ts lists them all). */
export const DECLARED_SETTINGS = new Set<string>();

/** Parses env with a zod schema; a bad value becomes one readable line naming the variable. */
export function parseEnv<T extends z.ZodType>(schema: T, env: Env): z.infer<T> {
  if (schema instanceof z.ZodObject) for (const name of Object.keys(schema.shape)) DECLARED_SETTINGS.add(name);
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.');
    const got = env[name];
    return `${name}: ${issue.message}${got === undefined ? '' : ` (got '${got}')`}`;
  });
  throw new UserInputError(`invalid configuration: ${problems.join('; ')}`);
}

const homeSchema = z.object({ WEBTRAIL_HOME: z.string().min(1).optional() });

/** Where local state lives: the broker's data, blobs, datasets. */
export function webtrailHome(env: Env = process.env): string {
  const { WEBTRAIL_HOME } = parseEnv(homeSchema, env);
  return path.resolve(WEBTRAIL_HOME ?? '.webtrail');
}

const kafkaSchema = z.object({
  KAFKA_BROKERS: z.string().optional(),
  WEBTRAIL_KAFKA_PORT: port().default(9092),
  KAFKA_CLIENT_ID: z.string().optional(),
  KAFKA_SSL: bool.default(false),
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
  KAFKA_CONNECTION_TIMEOUT_MS: positiveInt.default(3000),
});

export interface KafkaConfig {
  brokers: string[];
  /** True when KAFKA_BROKERS was given: use that cluster and start nothing. */
  external: boolean;
  clientId: string;
  ssl: boolean;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  connectionTimeoutMs: number;
}

export function loadKafkaConfig(clientId: string, env: Env = process.env): KafkaConfig {
  const raw = parseEnv(kafkaSchema, env);
  const brokers = raw.KAFKA_BROKERS
    ? raw.KAFKA_BROKERS.split(',')
        .map((b) => b.trim())
        .filter(Boolean)
    : [`127.0.0.1:${raw.WEBTRAIL_KAFKA_PORT}`];
  for (const broker of brokers) {
    if (!/^[^:\s]+:\d+$/.test(broker))
      throw new UserInputError(`invalid configuration: KAFKA_BROKERS: '${broker}' is not host:port`);
  }
  let sasl: KafkaConfig['sasl'];
  if (raw.KAFKA_SASL_MECHANISM) {
    if (!raw.KAFKA_SASL_USERNAME || !raw.KAFKA_SASL_PASSWORD) {
      throw new UserInputError(
        'invalid configuration: KAFKA_SASL_MECHANISM needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD',
      );
    }
    sasl = {
      mechanism: raw.KAFKA_SASL_MECHANISM,
      username: raw.KAFKA_SASL_USERNAME,
      password: raw.KAFKA_SASL_PASSWORD,
    };
  }
  return {
    brokers,
    external: Boolean(raw.KAFKA_BROKERS),
    clientId: raw.KAFKA_CLIENT_ID ?? clientId,
    ssl: raw.KAFKA_SSL,
    sasl,
    connectionTimeoutMs: raw.KAFKA_CONNECTION_TIMEOUT_MS,
  };
}

/** How a stage consumes: slots, retries, timeouts. Variables are WEBTRAIL_<SERVICE>_<NAME>. */
export interface RuntimeConfig {
  service: ServiceName;
  groupId: string;
  /** Messages handled at once by this process (its local slots). */
  concurrency: number;
  /** Messages of one partition handled at once. */
  maxInFlightPerPartition: number;
  maxAttempts: number;
  retryBackoffMs: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** The longest a handler may keep a rebalance waiting (Kafka's max.poll.interval.ms). */
  rebalanceTimeoutMs: number;
  commitIntervalMs: number;
  httpPort: number;
  /** How long SIGTERM waits for in-flight work before giving up. */
  drainTimeoutMs: number;
  /** Where a new consumer group starts: the oldest record (true) or only new ones. */
  fromBeginning: boolean;
}

const SERVICE_DEFAULTS: Record<ServiceName, { concurrency: number; httpPort: number; rebalanceTimeoutMs: number }> = {
  generator: { concurrency: 4, httpPort: 8081, rebalanceTimeoutMs: 300_000 },
  rollout: { concurrency: 4, httpPort: 8082, rebalanceTimeoutMs: 900_000 },
  judge: { concurrency: 8, httpPort: 8083, rebalanceTimeoutMs: 300_000 },
  sink: { concurrency: 256, httpPort: 8084, rebalanceTimeoutMs: 120_000 },
  refiner: { concurrency: 8, httpPort: 8085, rebalanceTimeoutMs: 300_000 },
};

export function loadRuntimeConfig(service: ServiceName, env: Env = process.env): RuntimeConfig {
  const p = `WEBTRAIL_${service.toUpperCase()}_`;
  const d = SERVICE_DEFAULTS[service];
  const schema = z.object({
    [`${p}GROUP_ID`]: z
      .string()
      .min(1)
      .default(`${topicPrefix(env.WEBTRAIL_TOPIC_PREFIX)}webtrail-${service}`),
    [`${p}CONCURRENCY`]: positiveInt.default(d.concurrency),
    [`${p}MAX_IN_FLIGHT_PER_PARTITION`]: positiveInt.optional(),
    [`${p}MAX_ATTEMPTS`]: positiveInt.default(3),
    [`${p}RETRY_BACKOFF_MS`]: nonNegativeInt.default(1000),
    [`${p}SESSION_TIMEOUT_MS`]: positiveInt.default(30_000),
    [`${p}HEARTBEAT_INTERVAL_MS`]: positiveInt.default(3_000),
    [`${p}REBALANCE_TIMEOUT_MS`]: positiveInt.default(d.rebalanceTimeoutMs),
    [`${p}COMMIT_INTERVAL_MS`]: nonNegativeInt.default(500),
    [`${p}HTTP_PORT`]: port({ zeroForAny: true }).default(d.httpPort),
    [`${p}DRAIN_TIMEOUT_MS`]: positiveInt.default(d.rebalanceTimeoutMs),
    [`${p}FROM_BEGINNING`]: bool.default(true),
  });
  const raw = parseEnv(schema, env) as Record<string, unknown>;
  const get = <T>(name: string) => raw[`${p}${name}`] as T;
  const config: RuntimeConfig = {
    service,
    groupId: get('GROUP_ID'),
    concurrency: get('CONCURRENCY'),
    maxInFlightPerPartition: get<number | undefined>('MAX_IN_FLIGHT_PER_PARTITION') ?? get<number>('CONCURRENCY'),
    maxAttempts: get('MAX_ATTEMPTS'),
    retryBackoffMs: get('RETRY_BACKOFF_MS'),
    sessionTimeoutMs: get('SESSION_TIMEOUT_MS'),
    heartbeatIntervalMs: get('HEARTBEAT_INTERVAL_MS'),
    rebalanceTimeoutMs: get('REBALANCE_TIMEOUT_MS'),
    commitIntervalMs: get('COMMIT_INTERVAL_MS'),
    httpPort: get('HTTP_PORT'),
    drainTimeoutMs: get('DRAIN_TIMEOUT_MS'),
    fromBeginning: get('FROM_BEGINNING'),
  };
  if (config.heartbeatIntervalMs * 3 > config.sessionTimeoutMs) {
    throw new UserInputError(
      `invalid configuration: ${p}HEARTBEAT_INTERVAL_MS must be at most a third of ${p}SESSION_TIMEOUT_MS`,
    );
  }
  return config;
}
