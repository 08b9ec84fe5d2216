// The old schema topic (webtrail.schemas, compacted, keyed by fingerprint), from before the registry wire
// format: producers of that format published the schemas they wrote with here, so a record of it with a
// fingerprint that is neither current nor in schemas/history finds its writer schema here. Read only now.
import type { Kafka } from 'kafkajs';
import { TOPICS, type WriterSchemaSource } from '../schemas/index.ts';
import { followTopic } from './topicFollower.ts';

export class KafkaSchemaSource implements WriterSchemaSource {
  private cache = new Map<string, string>();

  constructor(
    private readonly kafka: Kafka,
    private readonly timeoutMs = 15_000,
  ) {}

  async lookup(fingerprint: string): Promise<string | undefined> {
    if (!this.cache.has(fingerprint)) this.cache = await readAllSchemas(this.kafka, this.timeoutMs);
    return this.cache.get(fingerprint);
  }
}

/** Reads the whole schema topic, without touching any consumer group. */
async function readAllSchemas(kafka: Kafka, timeoutMs: number): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const follower = await followTopic(
    kafka,
    TOPICS.schemas.name,
    (message) => {
      if (message.key && message.value) found.set(message.key.toString(), message.value.toString());
    },
    { timeoutMs, groupPrefix: 'webtrail-schema-reader', follow: false },
  );
  try {
    await follower.caughtUp;
  } finally {
    await follower.stop();
  }
  return found;
}
