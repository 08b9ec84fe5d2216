// kafkajs client construction and topic creation from the single topic declaration.
import { Kafka, logLevel, type Admin, type LogEntry } from 'kafkajs';
import { DependencyError, type KafkaConfig, type Logger, retry } from '../platform/index.ts';
import { allTopics, type TopicSpec } from '../schemas/index.ts';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

// kafkajs reports expected, self-healing conditions (a coordinator still loading, a rebalance) as
// errors; they are routine for a long-running consumer, so they are logged one level lower.
const ROUTINE =
  /coordinator is not available|coordinator is loading|rebalanc|not the correct coordinator|leadership election/i;

/** retries: how often a failed request is retried; the CLI keeps it low to fail fast. */
export function createKafka(config: KafkaConfig, log: Logger, retries = 8): Kafka {
  return new Kafka({
    clientId: config.clientId,
    brokers: config.brokers,
    ssl: config.ssl,
    sasl: config.sasl as never,
    connectionTimeout: config.connectionTimeoutMs,
    retry: { retries, initialRetryTime: 200, maxRetryTime: 5000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, log: entry }: LogEntry) => {
        const { message, ...extra } = entry;
        let method = LEVELS[level] ?? 'info';
        const text = `${message} ${String(extra.error ?? '')}`;
        if (method === 'error' && ROUTINE.test(text)) method = 'debug';
        log[method]({ kafkajs: namespace, ...extra, timestamp: undefined, logger: undefined }, message);
      },
  });
}

export function topicConfig(spec: TopicSpec): Array<{ name: string; value: string }> {
  return [
    { name: 'cleanup.policy', value: spec.cleanupPolicy },
    { name: 'retention.ms', value: String(spec.retentionMs) },
    { name: 'max.message.bytes', value: String(spec.maxMessageBytes) },
  ];
}

/** Creates the declared topics that do not exist yet; returns the names it created. */
export async function ensureTopics(
  admin: Admin,
  specs: TopicSpec[] = allTopics(),
  replicationFactor = -1,
): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.name));
  if (missing.length > 0) await createMissing(admin, missing, replicationFactor);
  // A partition's leader can take a moment more to answer offset requests than to appear in the metadata:
  // for a new topic, and for every topic while a restarted broker (KRaft) recovers. Wait until each answers,
  // so callers can read offsets at once.
  for (const spec of specs) {
    await retry(() => admin.fetchTopicOffsets(spec.name), {
      what: `reading the offsets of ${spec.name}`,
      attempts: 40,
      baseMs: 250,
      factor: 1,
      jitter: false,
      exhausted: (error) =>
        new DependencyError(
          `topic ${spec.name} exists but its partitions have no leader yet: ${(error as Error).message}`,
          { cause: error },
        ),
    });
  }
  return missing.map((s) => s.name);
}

async function createMissing(admin: Admin, missing: TopicSpec[], replicationFactor: number): Promise<void> {
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((s) => ({
        topic: s.name,
        numPartitions: s.partitions,
        replicationFactor,
        configEntries: topicConfig(s),
      })),
    });
  } catch (error) {
    // Another process may have created them meanwhile, or a broker that has just started (KRaft) answers a
    // new topic's metadata with UNKNOWN_TOPIC_OR_PARTITION for a while after creating it: only fail if some
    // are still missing after a few seconds.
    await retry(
      async () => {
        const now = new Set(await admin.listTopics());
        if (missing.some((s) => !now.has(s.name))) throw error;
      },
      {
        what: 'waiting for the topics to appear',
        attempts: 20,
        baseMs: 250,
        factor: 1,
        jitter: false,
        exhausted: () => new DependencyError(`cannot create topics: ${(error as Error).message}`, { cause: error }),
      },
    );
  }
}

/** Records a topic holds now, from its partitions' offsets. */
export function recordCount(offsets: Array<{ high: string; low: string }>): number {
  return offsets.reduce((n, p) => n + Number(BigInt(p.high) - BigInt(p.low)), 0);
}

export interface GroupPosition {
  /** Records not yet committed by the group. */
  lag: number;
  /** Records behind its committed offsets. */
  handled: number;
}

/** A group's position on a topic from its end offsets and commits; an uncommitted partition counts from its log start. */
export function groupPosition(
  ends: Array<{ partition: number; high: string; low: string }>,
  committed: Array<{ partition: number; offset: string }>,
): GroupPosition {
  let lag = 0;
  let handled = 0;
  for (const end of ends) {
    const at = Number(committed.find((p) => p.partition === end.partition)?.offset ?? -1);
    const position = at < 0 ? Number(end.low) : at;
    lag += Number(end.high) - position;
    handled += position - Number(end.low);
  }
  return { lag, handled };
}

export async function fetchGroupPosition(admin: Admin, groupId: string, topic: string): Promise<GroupPosition> {
  const ends = await admin.fetchTopicOffsets(topic);
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return groupPosition(ends, committed?.partitions ?? []);
}

/** Turns kafkajs' connection failures into one line a person can act on. */
export function describeConnectionError(error: unknown, brokers: string[]): string {
  const message = error instanceof Error ? error.message : String(error);
  if (
    /ECONNREFUSED|Connection error|connect ETIMEDOUT|ENOTFOUND|Connection timeout|KafkaJSNumberOfRetriesExceeded|Closed connection/i.test(
      `${message} ${(error as Error)?.name}`,
    )
  ) {
    return `cannot reach Kafka at ${brokers.join(',')}: start it with 'npm run kafka:start' or set KAFKA_BROKERS`;
  }
  return message;
}
