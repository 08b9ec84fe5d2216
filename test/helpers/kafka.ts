// Shared helpers for scenario tests against the real broker (as kafkajs' testHelpers).
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type { AvroCodec } from '../../schemas/codec.ts';
import { loadKafkaConfig } from '../../platform/config.ts';
import { RecordProducer, type OutputRecord } from '../../bus/recordProducer.ts';
import { createCodec } from '../../bus/registry/registryClient.ts';
import { tap } from '../../cli/tap.ts';
import type { TappedRecord } from '../../bus/topicReader.ts';

export function testKafka(): Kafka {
  const config = loadKafkaConfig('webtrail-test');
  return new Kafka({ clientId: config.clientId, brokers: config.brokers, logLevel: logLevel.NOTHING });
}

export function uniqueName(prefix: string): string {
  return `${prefix}.${randomUUID().slice(0, 8)}`;
}

export async function createTopic(kafka: Kafka, topic: string, partitions = 1): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
      });
    } catch (error) {
      // Kafka 4 (KRaft) can answer a new topic's metadata with UNKNOWN_TOPIC_OR_PARTITION for a moment,
      // which kafkajs' wait for leaders does not retry: the topic exists, wait below as ensureTopics does.
      if (!(await admin.listTopics()).includes(topic)) throw error;
    }
    await waitFor(
      async () => {
        try {
          return (await admin.fetchTopicOffsets(topic)).length === partitions || undefined;
        } catch {
          return undefined;
        }
      },
      10_000,
      `the leaders of ${topic}`,
    );
  } finally {
    await admin.disconnect();
  }
}

/** Produces typed records (acks=all) and returns when they are acknowledged. */
export async function produce(kafka: Kafka, records: OutputRecord[]): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    const out = new RecordProducer(producer, testCodec(kafka));
    await out.send(await Promise.all(records.map((r) => out.encode(r))));
  } finally {
    await producer.disconnect();
  }
}

/** Every record now in the topic, decoded (read the way `webtrail tap --from-beginning` reads). */
export async function readTopic(topic: string): Promise<TappedRecord[]> {
  const lines: string[] = [];
  await tap(topic, { fromBeginning: true, follow: false, filters: [], write: async (line) => void lines.push(line) });
  return lines.map((l) => JSON.parse(l) as TappedRecord);
}

/** Polls until check returns a value (not undefined) or the deadline passes. */
export async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

export async function committedOffsets(kafka: Kafka, groupId: string, topic: string): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [result] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((result?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

/** The codec the services use: ids from the test run's registry (started with the broker), old records' schemas from the old schema topic. */
export function testCodec(kafka: Kafka = testKafka()): AvroCodec {
  return createCodec(process.env, kafka);
}
