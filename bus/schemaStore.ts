// The schema topic (webtrail.schemas, compacted, keyed by fingerprint): producers publish the schemas
// they write with; a reader that meets an unknown fingerprint looks it up here, so an old service
// reads records from a newer one without redeploying.
import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import type { WriterSchemaSource } from '../schemas/codec.ts';
import { TOPICS } from '../schemas/topics.ts';

export async function publishSchemas(producer: Producer, schemas: Array<{ name: string; fingerprint: string; schema: string }>): Promise<void> {
  await producer.send({
    topic: TOPICS.schemas.name,
    acks: -1,
    messages: schemas.map((s) => ({ key: s.fingerprint, value: s.schema, headers: { 'webtrail-schema-name': s.name } })),
  });
}

export class KafkaSchemaSource implements WriterSchemaSource {
  private cache = new Map<string, string>();

  constructor(private readonly kafka: Kafka, private readonly timeoutMs = 15_000) {}

  async lookup(fingerprint: string): Promise<string | undefined> {
    if (!this.cache.has(fingerprint)) this.cache = await readAllSchemas(this.kafka, this.timeoutMs);
    return this.cache.get(fingerprint);
  }
}

/** Reads the whole schema topic with a throwaway group that commits nothing and is deleted after. */
async function readAllSchemas(kafka: Kafka, timeoutMs: number): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `webtrail-schema-reader-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId });
  try {
    const ends = await admin.fetchTopicOffsets(TOPICS.schemas.name);
    const remaining = new Map(ends.filter((p) => p.high !== p.low).map((p) => [p.partition, BigInt(p.high)]));
    if (remaining.size === 0) return found;
    await consumer.connect();
    await consumer.subscribe({ topic: TOPICS.schemas.name, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out reading the schema topic')), timeoutMs);
      void consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          if (message.key && message.value) found.set(message.key.toString(), message.value.toString());
          const end = remaining.get(partition);
          if (end !== undefined && BigInt(message.offset) + 1n >= end) remaining.delete(partition);
          if (remaining.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
  return found;
}
