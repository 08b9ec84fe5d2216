// The local schema registry: the REST API of registryApi.ts, its state kept in a compacted Kafka topic as
// the reference registry keeps it (read whole at start, each write acknowledged by the brokers before it
// is answered). For the local stack and small deployments with no registry of their own; one instance per
// topic (it hands out ids itself, with no leader election), so Kubernetes runs it as one replica.
import { serve, type ServerType } from '@hono/node-server';
import { Partitioners, type Kafka } from 'kafkajs';
import type { AddressInfo } from 'node:net';
import { type CompatibilityLevel, TOPICS } from '../../schemas/index.ts';
import { followTopic, type TopicFollower } from '../topicFollower.ts';
import { ensureTopics } from '../client.ts';
import { registryApi } from './registryApi.ts';
import { RegistryState, type ConfigValue, type RegistryKey, type SchemaValue } from './registryState.ts';

export interface SchemaRegistryServer {
  url: string;
  port: number;
  state: RegistryState;
  close(): Promise<void>;
}

export interface SchemaRegistryOptions {
  host?: string;
  port?: number;
  /** The level of a subject with none of its own, until PUT /config changes it (BACKWARD, as the reference registry). */
  defaultLevel?: CompatibilityLevel;
  topic?: string;
}

function parseRecord(
  key: Buffer | null,
  value: Buffer | null,
): { key: RegistryKey; value: SchemaValue | ConfigValue | null } | null {
  if (!key) return null;
  try {
    return {
      key: JSON.parse(key.toString('utf8')) as RegistryKey,
      value: value ? (JSON.parse(value.toString('utf8')) as SchemaValue | ConfigValue) : null,
    };
  } catch {
    return null;
  }
}

export async function startSchemaRegistry(
  kafka: Kafka,
  options: SchemaRegistryOptions = {},
): Promise<SchemaRegistryServer> {
  const topic = options.topic ?? TOPICS.schemaRegistry.name;
  // Its own topic, compacted as the reference registry's _schemas, made here when missing.
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, [{ ...TOPICS.schemaRegistry, name: topic }]);
  } finally {
    await admin.disconnect();
  }
  const state = new RegistryState(options.defaultLevel ?? 'BACKWARD');
  const follower: TopicFollower = await followTopic(
    kafka,
    topic,
    (message) => {
      const record = parseRecord(message.key, message.value);
      if (record) state.apply(record.key, record.value);
    },
    { groupPrefix: 'webtrail-schema-registry', timeoutMs: 60_000 },
  );
  await follower.caughtUp;
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  const app = registryApi(state, async (records) => {
    await producer.send({
      topic,
      acks: -1,
      messages: records.map((r) => ({
        key: JSON.stringify(r.key),
        value: r.value === null ? null : JSON.stringify(r.value),
      })),
    });
    // Answered from the state at once (the follower applies the same records again, to the same effect).
    for (const r of records) state.apply(r.key, r.value);
  });
  const host = options.host ?? '127.0.0.1';
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port: options.port ?? 0 }, () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    state,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await follower.stop();
      await producer.disconnect();
    },
  };
}
