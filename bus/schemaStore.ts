// The schema topic (webtrail.schemas, compacted, keyed by fingerprint): producers publish the schemas
// they write with; a reader that meets an unknown fingerprint looks it up here, so an old service
// reads records from a newer one without redeploying.
import type { Kafka, Producer } from 'kafkajs';
import type { WriterSchemaSource } from '../schemas/codec.ts';
import { TOPICS } from '../schemas/topics.ts';
import { followTopic } from './topicFollower.ts';

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

/** Reads the whole schema topic, without touching any consumer group. */
async function readAllSchemas(kafka: Kafka, timeoutMs: number): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const follower = await followTopic(kafka, TOPICS.schemas.name, (message) => {
    if (message.key && message.value) found.set(message.key.toString(), message.value.toString());
  }, { timeoutMs, groupPrefix: 'webtrail-schema-reader', follow: false });
  try {
    await follower.caughtUp;
  } finally {
    await follower.stop();
  }
  return found;
}
