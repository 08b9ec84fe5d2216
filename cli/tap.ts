// webtrail tap <topic>: decoded records as JSON lines, read with a throwaway consumer group that
// commits nothing and is deleted afterwards, so no service's group is disturbed.
import { randomUUID } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readBlob } from '../platform/blobStore.ts';
import { errorMessage } from '../platform/errors.ts';
import { openKafkaSession, requireTopic } from './kafkaSession.ts';
import { combineFilters } from './recordFilter.ts';

export interface TapOptions {
  fromBeginning: boolean;
  follow: boolean;
  limit?: number;
  filters: string[];
  /** Where lines go; resolves when the line is written. */
  write: (line: string) => Promise<void>;
  /** Fetch every blob a printed record refers to (screenshots, moved text) into this folder. */
  saveBlobs?: string;
  signal?: AbortSignal;
}

/** The blob URIs a record refers to: string values of fields named …Ref, anywhere in it. */
export function blobRefs(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) blobRefs(item, found);
  else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key.endsWith('Ref') && typeof inner === 'string' && /^(s3|file):\/\//.test(inner)) found.add(inner);
      else blobRefs(inner, found);
    }
  }
  return found;
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

export interface ReadOptions {
  fromBeginning: boolean;
  /** Keep reading new records; otherwise stop at the end offsets as they are at the start. */
  follow: boolean;
  signal?: AbortSignal;
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
  const consumer = session.kafka.consumer({ groupId, maxWaitTimeInMs: 500, sessionTimeout: 10_000, heartbeatInterval: 1000, maxBytes: 64 << 20 });
  try {
    const remaining = new Map<string, bigint>();
    for (const topic of topics) {
      await requireTopic(session.admin, topic);
      for (const p of await session.admin.fetchTopicOffsets(topic)) if (BigInt(p.high) > BigInt(p.low)) remaining.set(`${topic}/${p.partition}`, BigInt(p.high));
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
                topic: batch.topic, partition: batch.partition, offset: message.offset, timestamp: new Date(Number(message.timestamp)).toISOString(),
                key: message.key?.toString() ?? null,
              };
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

export async function tap(topic: string, options: TapOptions): Promise<{ printed: number; blobs: number }> {
  const matches = combineFilters(options.filters);
  let printed = 0;
  const saved = new Set<string>();
  if (options.limit === 0) return { printed, blobs: 0 };
  if (options.saveBlobs) await mkdir(options.saveBlobs, { recursive: true });
  await readTopics([topic], {
    fromBeginning: options.fromBeginning, follow: options.follow, signal: options.signal,
    onRecord: async (record) => {
      if (!matches(record)) return false;
      await options.write(toJsonLine(record));
      printed += 1;
      // Named as in the store (content-addressed names are unique), each fetched once.
      for (const uri of options.saveBlobs ? blobRefs(record.value) : []) {
        if (saved.has(uri)) continue;
        await writeFile(path.join(options.saveBlobs!, path.basename(uri)), await readBlob(uri));
        saved.add(uri);
      }
      return options.limit !== undefined && printed >= options.limit;
    },
  });
  return { printed, blobs: saved.size };
}
