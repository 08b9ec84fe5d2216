// Reads decoded records from topics with a throwaway consumer group that commits nothing and is deleted
// afterwards, so no service's group is disturbed: tap, stats, view and the dashboard read this way.
import { randomUUID } from 'node:crypto';
import { errorMessage } from '../platform/index.ts';
import { headerString } from '../schemas/index.ts';
import { openKafkaSession, requireTopics } from './kafkaSession.ts';

export interface TappedRecord {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  key: string | null;
  schema?: string;
  value?: unknown;
  error?: string;
  /** The OpenTelemetry trace the record belongs to (from its traceparent header), when it carries one. */
  traceId?: string;
}

/** The trace id of a W3C traceparent header value (version-traceid-spanid-flags). */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  const match = traceparent && /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent.trim());
  return match && !/^0+$/.test(match[1]!) ? match[1] : undefined;
}

export interface ReadOptions {
  fromBeginning: boolean;
  /** Keep reading new records; otherwise stop at the end offsets as they are at the start. */
  follow: boolean;
  signal?: AbortSignal;
  /** The most bytes one fetch brings in (default 64 MiB): a long-lived reader keeps its memory down with less. */
  maxBytes?: number;
  /** Called for every record in order per partition; return true to stop reading. */
  onRecord: (record: TappedRecord) => Promise<boolean | void> | boolean | void;
}

/**
 * Reads decoded records from topics with a throwaway consumer group that commits nothing and is
 * deleted afterwards, so no service's group is disturbed. `tap` and `stats` read this way.
 */
export async function readTopics(topics: string[], options: ReadOptions): Promise<void> {
  const session = await openKafkaSession('webtrail-tap');
  const groupId = `webtrail-tap-${randomUUID()}`;
  const consumer = session.kafka.consumer({
    groupId,
    maxWaitTimeInMs: 500,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    maxBytes: options.maxBytes ?? 64 << 20,
  });
  try {
    const remaining = new Map<string, bigint>();
    await requireTopics(session.admin, topics);
    for (const topic of topics) {
      for (const p of await session.admin.fetchTopicOffsets(topic))
        if (BigInt(p.high) > BigInt(p.low)) remaining.set(`${topic}/${p.partition}`, BigInt(p.high));
    }
    if (!options.follow && (!options.fromBeginning || remaining.size === 0)) return;

    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: options.fromBeginning });
    await new Promise<void>((resolve, reject) => {
      let done = false;
      const finish = () => {
        done = true;
        resolve();
      };
      options.signal?.addEventListener('abort', finish, { once: true });
      consumer
        .run({
          autoCommit: false,
          eachBatchAutoResolve: true,
          eachBatch: async ({ batch, isRunning }) => {
            for (const message of batch.messages) {
              if (!isRunning() || done) return;
              const record: TappedRecord = {
                topic: batch.topic,
                partition: batch.partition,
                offset: message.offset,
                timestamp: new Date(Number(message.timestamp)).toISOString(),
                key: message.key?.toString() ?? null,
              };
              const traceId = traceIdOf(headerString(message.headers, 'traceparent'));
              if (traceId) record.traceId = traceId;
              try {
                const decoded = await session.codec.decode(message.headers, message.value);
                record.schema = decoded.schema;
                record.value = decoded.value;
              } catch (error) {
                record.error = errorMessage(error);
              }
              if (await options.onRecord(record)) return finish();
              if (!options.follow) {
                const key = `${batch.topic}/${batch.partition}`;
                const end = remaining.get(key);
                if (end !== undefined && BigInt(message.offset) + 1n >= end) remaining.delete(key);
                if (remaining.size === 0) return finish();
              }
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await session.admin.deleteGroups([groupId]).catch(() => undefined);
    await session.close();
  }
}
