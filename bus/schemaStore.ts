// The old schema topic (webtrail.schemas, compacted, keyed by fingerprint), from before the registry wire
// format: producers of that format published the schemas they wrote with here, so a record of it with a
// fingerprint that is neither current nor in schemas/history finds its writer schema here. Read only now
// (publishSchemas stays for tests that write old-format records).
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
