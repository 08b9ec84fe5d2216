// A short-lived Kafka connection for CLI commands: fails fast with one clear line when no broker answers.
import type { Admin, Kafka } from 'kafkajs';
import { allTopics, type AvroCodec } from '../schemas/index.ts';
import { createLogger, type KafkaConfig, loadKafkaConfig, UserInputError } from '../platform/index.ts';
import { createKafka, describeConnectionError } from './client.ts';
import { createCodec } from './registry/registryClient.ts';

export interface KafkaSession {
  kafka: Kafka;
  admin: Admin;
  config: KafkaConfig;
  codec: AvroCodec;
  close(): Promise<void>;
}

export async function openKafkaSession(clientId = 'webtrail-cli'): Promise<KafkaSession> {
  const config = loadKafkaConfig(clientId);
  const log = createLogger('cli', process.env.LOG_LEVEL ?? 'fatal');
  const kafka = createKafka(config, log, 2);
  const admin = kafka.admin({ retry: { retries: 1, initialRetryTime: 200 } });
  try {
    await admin.connect();
    await admin.describeCluster();
  } catch (error) {
    await admin.disconnect().catch(() => undefined);
    throw new UserInputError(describeConnectionError(error, config.brokers), { cause: error });
  }
  return {
    kafka,
    admin,
    config,
    codec: createCodec(process.env, kafka),
    close: () => admin.disconnect(),
  };
}

/** Checks the topics exist, naming the webtrail topics that do when one does not (one listing for all). */
export async function requireTopics(admin: Admin, topics: string[]): Promise<void> {
  const existing = await admin.listTopics();
  const missing = topics.find((t) => !existing.includes(t));
  if (missing === undefined) return;
  const known = allTopics()
    .map((t) => t.name)
    .filter((t) => existing.includes(t));
  throw new UserInputError(
    `unknown topic '${missing}'${known.length ? `; existing webtrail topics: ${known.join(', ')}` : ' (no webtrail topics exist yet: submit sites or start a service)'}`,
  );
}
