// Encodes typed records and sends them with acks=all, gathering what concurrent handlers send within a
// few milliseconds into one request: a sink that writes thousands of records a second then costs
// a handful of round trips instead of one each.
import type { Message, Producer } from 'kafkajs';
import { type AvroCodec, findTopic, type SchemaName, type SchemaTypes } from '../schemas/index.ts';
import { DependencyError, WebtrailError } from '../platform/index.ts';

/** A record a stage wants written. */
export interface OutputRecord<N extends SchemaName = SchemaName> {
  topic: string;
  key: string;
  schema: N;
  value: SchemaTypes[N];
  /** Extra headers (trace context is added by the runtime). */
  headers?: Record<string, string>;
  /** Sent only once the message's other outputs are acknowledged: a record saying "done" never precedes what was done. */
  afterOthers?: boolean;
}

/** Any record, already encoded, ready to send. */
export interface RawRecord {
  topic: string;
  key: Buffer | string | null;
  value: Buffer | null;
  headers: Record<string, string | Buffer>;
}

/** Room for the record's framing in a batch (lengths, offsets, timestamps, attributes). */
const RECORD_OVERHEAD_BYTES = 512;

/** What a record takes of its topic's max.message.bytes, uncompressed (the broker's limit is on the batch). */
export function recordBytes(record: Pick<RawRecord, 'key' | 'value' | 'headers'>): number {
  let bytes =
    RECORD_OVERHEAD_BYTES + (record.value?.length ?? 0) + (record.key === null ? 0 : Buffer.byteLength(record.key));
  for (const [name, value] of Object.entries(record.headers))
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value);
  return bytes;
}

/**
 * Why a record cannot go to its topic, or null. An oversized record sent with others fails the whole
 * send, so the records beside it would be retried and written twice: it is refused before it is sent.
 */
export function oversizeProblem(record: RawRecord): string | null {
  return sizeProblem(record.topic, recordBytes(record));
}

/** Why a record of this many bytes (recordBytes) cannot go to its topic, or null. */
export function sizeProblem(topic: string, bytes: number): string | null {
  const limit = findTopic(topic)?.maxMessageBytes;
  return limit !== undefined && bytes > limit
    ? `a record of ${bytes} bytes is over ${topic}'s limit of ${limit} (max.message.bytes)`
    : null;
}

interface Pending {
  records: RawRecord[];
  resolve: () => void;
  reject: (error: Error) => void;
}

export class RecordProducer {
  private queue: Pending[] = [];
  private queuedRecords = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly producer: Producer,
    private readonly codec: AvroCodec,
    private readonly options: { lingerMs: number; maxBatchRecords: number } = { lingerMs: 2, maxBatchRecords: 500 },
  ) {}

  /** Encodes a record; its own headers win over extraHeaders (a stage may start a new trace). */
  async encode(record: OutputRecord, extraHeaders: Record<string, string> = {}): Promise<RawRecord> {
    const encoded = await this.codec.encode(record.topic, record.schema, record.value);
    const raw = {
      topic: record.topic,
      key: record.key,
      value: encoded.value,
      headers: { ...extraHeaders, ...record.headers, ...encoded.headers },
    };
    const problem = oversizeProblem(raw);
    if (problem) throw new WebtrailError(`${record.schema} ${record.key}: ${problem}`);
    return raw;
  }

  /** Resolves once every record is acknowledged by the brokers. */
  send(records: RawRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ records, resolve, reject });
      this.queuedRecords += records.length;
      if (this.queuedRecords >= this.options.maxBatchRecords) this.flushSoon(0);
      else this.flushSoon(this.options.lingerMs);
    });
  }

  private flushSoon(delayMs: number): void {
    if (this.timer && delayMs > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushing = this.flushing.then(() => this.flush());
    }, delayMs);
  }

  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    this.queuedRecords = 0;
    if (batch.length === 0) return;
    const byTopic = new Map<string, Message[]>();
    for (const pending of batch) {
      for (const r of pending.records) {
        const list = byTopic.get(r.topic) ?? [];
        list.push({ key: r.key, value: r.value, headers: r.headers });
        byTopic.set(r.topic, list);
      }
    }
    try {
      await this.producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
      for (const pending of batch) pending.resolve();
    } catch (error) {
      const wrapped = new DependencyError(`produce failed: ${(error as Error).message}`, { cause: error });
      for (const pending of batch) pending.reject(wrapped);
    }
  }

  /** Sends what is queued and waits for it. */
  async drain(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.flushing = this.flushing.then(() => this.flush());
    }
    await this.flushing;
  }
}
