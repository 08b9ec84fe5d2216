// Reads a topic from its beginning with a throwaway consumer group that commits nothing (and is deleted
// when the follower stops), so it never disturbs anyone's group. `caughtUp` resolves once every partition
// has been read up to where it ended when the follower started; after that it goes on following.
import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';

export interface TopicFollower {
  /** Resolves when what the topic held at the start has been read; rejects after timeoutMs. */
  caughtUp: Promise<void>;
  stop(): Promise<void>;
}

export async function followTopic(kafka: Kafka, topic: string, onMessage: (message: KafkaMessage, partition: number) => Promise<void> | void, options: { timeoutMs?: number; groupPrefix?: string; /** false: only what the topic holds now is wanted (an empty topic then joins no group). */ follow?: boolean } = {}): Promise<TopicFollower> {
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
    const timer = setTimeout(() => fail(new Error(`timed out reading ${topic} from its beginning`)), options.timeoutMs ?? 60_000);
    const check = () => {
      if (remaining.size > 0) return;
      clearTimeout(timer);
      done();
    };
    check();
    if (remaining.size === 0 && options.follow === false) {
      await stop();
      return { caughtUp, stop };
    }
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        await onMessage(message, partition);
        const end = remaining.get(partition);
        if (end !== undefined && BigInt(message.offset) + 1n >= end) {
          remaining.delete(partition);
          check();
        }
      },
    });
    return { caughtUp, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
