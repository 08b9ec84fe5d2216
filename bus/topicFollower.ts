// Reads a topic from its beginning with a throwaway consumer group that commits nothing (and is deleted
// when the follower stops), so it never disturbs anyone's group. `caughtUp` resolves once every partition
// has been read up to where it ended when the follower started; after that it goes on following.
import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import type { AvroCodec, SchemaName, SchemaTypes } from '../schemas/index.ts';
import { errorMessage, type Logger } from '../platform/index.ts';

export interface TopicFollower {
  /** Resolves when what the topic held at the start has been read; rejects after timeoutMs. */
  caughtUp: Promise<void>;
  /** Resolves once everything the topic holds now (its end offsets at the call) has been read. */
  catchUp(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function followTopic(
  kafka: Kafka,
  topic: string,
  onMessage: (message: KafkaMessage, partition: number) => Promise<void> | void,
  options: {
    timeoutMs?: number;
    groupPrefix?: string;
    /** false: only what the topic holds now is wanted (an empty topic then joins no group). */ follow?: boolean;
  } = {},
): Promise<TopicFollower> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `${options.groupPrefix ?? 'webtrail-follower'}-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  };
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const remaining = new Map(ends.filter((p) => p.high !== p.low).map((p) => [p.partition, BigInt(p.high)]));
    let done: () => void = () => undefined;
    let fail: (error: Error) => void = () => undefined;
    const caughtUp = new Promise<void>((resolve, reject) => {
      done = resolve;
      fail = reject;
    });
    const timer = setTimeout(
      () => fail(new Error(`timed out reading ${topic} from its beginning`)),
      options.timeoutMs ?? 60_000,
    );
    const check = () => {
      if (remaining.size > 0) return;
      clearTimeout(timer);
      done();
    };
    check();
    // The next offset to read, per partition: what catchUp compares with the topic's ends.
    const next = new Map<number, bigint>();
    const catchUp = async (waitMs = 60_000) => {
      const now = await admin.fetchTopicOffsets(topic);
      const deadline = Date.now() + waitMs;
      const behind = () =>
        now.some((p) => p.high !== p.low && (next.get(p.partition) ?? BigInt(p.low)) < BigInt(p.high));
      while (behind()) {
        if (stopped) throw new Error(`stopped before ${topic} was read to its end`);
        if (Date.now() > deadline) throw new Error(`timed out reading ${topic} to its end`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    if (remaining.size === 0 && options.follow === false) {
      await stop();
      return { caughtUp, catchUp, stop };
    }
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        await onMessage(message, partition);
        next.set(partition, BigInt(message.offset) + 1n);
        const end = remaining.get(partition);
        if (end !== undefined && BigInt(message.offset) + 1n >= end) {
          remaining.delete(partition);
          check();
        }
      },
    });
    return { caughtUp, catchUp, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Follows a topic of one schema, handing on each decoded value (a service's table of what a topic holds);
 * a record that cannot be decoded is logged and skipped.
 */
export function followRecords<N extends SchemaName>(
  kafka: Kafka,
  codec: AvroCodec,
  topic: string,
  schema: N,
  onValue: (value: SchemaTypes[N]) => void,
  log: Logger,
  options: { timeoutMs?: number; groupPrefix?: string } = {},
): Promise<TopicFollower> {
  return followTopic(
    kafka,
    topic,
    async (message) => {
      try {
        onValue(await codec.decodeAs(schema, message.headers, message.value));
      } catch (error) {
        log.warn({ err: errorMessage(error), topic, offset: message.offset }, 'unreadable record: ignored');
      }
    },
    options,
  );
}
