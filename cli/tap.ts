// webtrail tap <topic>: decoded records as JSON lines, read with a throwaway consumer group that
// commits nothing and is deleted afterwards, so no service's group is disturbed.
import { randomUUID } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import { errorMessage } from '../services/shared/errors.ts';
import { openKafkaSession, requireTopic } from './kafkaSession.ts';
import { combineFilters } from './recordFilter.ts';

export interface TapOptions {
  fromBeginning: boolean;
  follow: boolean;
  limit?: number;
  filters: string[];
  /** Where lines go; resolves when the line is written. */
  write: (line: string) => Promise<void>;
  signal?: AbortSignal;
}

export interface TappedRecord {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  key: string | null;
  schema?: string;
  value?: unknown;
  error?: string;
}

/** JSON with bytes as base64 (Avro 'bytes' fields, e.g. a dead letter's original value). */
export function toJsonLine(record: unknown): string {
  return JSON.stringify(record, (_key, value: unknown) => {
    if (value && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
      return Buffer.from((value as { data: number[] }).data).toString('base64');
    }
    return typeof value === 'bigint' ? value.toString() : value;
  });
}

export async function tap(topic: string, options: TapOptions): Promise<{ printed: number }> {
  const session = await openKafkaSession('webtrail-tap');
  const groupId = `webtrail-tap-${randomUUID()}`;
  const consumer = session.kafka.consumer({ groupId, maxWaitTimeInMs: 500, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  const matches = combineFilters(options.filters);
  let printed = 0;
  try {
    await requireTopic(session.admin, topic);
    const ends = await session.admin.fetchTopicOffsets(topic);
    // Without --follow, stop at the end offsets as they are now.
    const remaining = new Map(ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
    const startFromEnd = !options.fromBeginning;
    if (!options.follow && (startFromEnd || remaining.size === 0)) return { printed };

    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: options.fromBeginning });
    await new Promise<void>((resolve, reject) => {
      const finish = () => resolve();
      options.signal?.addEventListener('abort', finish, { once: true });
      const handle = async (partition: number, message: KafkaMessage) => {
        const record: TappedRecord = {
          topic, partition, offset: message.offset, timestamp: new Date(Number(message.timestamp)).toISOString(),
          key: message.key?.toString() ?? null,
        };
        try {
          const decoded = await session.codec.decode(message.headers, message.value);
          record.schema = decoded.schema;
          record.value = decoded.value;
        } catch (error) {
          record.error = errorMessage(error);
        }
        if (matches(record)) {
          await options.write(toJsonLine(record));
          printed += 1;
          if (options.limit !== undefined && printed >= options.limit) return finish();
        }
        if (!options.follow) {
          const end = remaining.get(partition);
          if (end !== undefined && BigInt(message.offset) + 1n >= end) remaining.delete(partition);
          if (remaining.size === 0) finish();
        }
      };
      consumer
        .run({
          autoCommit: false,
          eachBatchAutoResolve: true,
          eachBatch: async ({ batch, isRunning }) => {
            for (const message of batch.messages) {
              if (!isRunning() || (options.limit !== undefined && printed >= options.limit)) return;
              await handle(batch.partition, message);
            }
          },
        })
        .catch(reject);
    });
    return { printed };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await session.admin.deleteGroups([groupId]).catch(() => undefined);
    await session.close();
  }
}
