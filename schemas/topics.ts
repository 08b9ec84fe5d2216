// The single declaration of webtrail's topics: name, value schema, key, sizing, retention, who writes
// and who reads. Topic creation, the Strimzi KafkaTopic resources and the README table derive from it.
import type { SchemaName } from './schemaFiles.ts';

export interface TopicSpec {
  name: string;
  /** Schema of the value; null for the schema store, whose values are schema JSON. */
  valueSchema: SchemaName | null;
  key: string;
  partitions: number;
  /** -1 keeps records forever (what re-judging history needs). */
  retentionMs: number;
  cleanupPolicy: 'delete' | 'compact';
  maxMessageBytes: number;
  producers: string[];
  consumers: string[];
  description: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * WEBTRAIL_TOPIC_PREFIX puts a whole pipeline's topics (and default consumer groups) under a prefix, so
 * several pipelines (staging beside production, a benchmark beside a run) share one cluster. Read once.
 */
export const TOPIC_PREFIX = topicPrefix(process.env.WEBTRAIL_TOPIC_PREFIX);

export function topicPrefix(raw: string | undefined): string {
  if (!raw) return '';
  if (!/^[a-zA-Z0-9._-]{1,100}$/.test(raw))
    throw new Error(
      `invalid configuration: WEBTRAIL_TOPIC_PREFIX: '${raw}' may hold only letters, digits, '.', '_' and '-'`,
    );
  return raw;
}

const MIB = 1024 * 1024;

export const TOPICS = {
  sites: {
    name: `${TOPIC_PREFIX}webtrail.sites`,
    valueSchema: 'Site',
    key: 'domain',
    partitions: 12,
    retentionMs: 30 * DAY_MS,
    cleanupPolicy: 'delete',
    maxMessageBytes: 1 * MIB,
    producers: ['webtrail submit', 'users'],
    consumers: ['generator'],
    description: 'Sites to generate tasks for.',
  },
  sitesRejected: {
    name: `${TOPIC_PREFIX}webtrail.sites.rejected`,
    valueSchema: 'SiteRejection',
    key: 'domain',
    partitions: 3,
    retentionMs: -1,
    cleanupPolicy: 'delete',
    maxMessageBytes: 1 * MIB,
    producers: ['generator'],
    consumers: ['analysis'],
    description: 'Sites screened out as unsafe, unreachable or blocked, with the reason.',
  },
  sitesScreened: {
    name: `${TOPIC_PREFIX}webtrail.sites.screened`,
    valueSchema: 'ScreenedSite',
    key: "'<domain> <generator version>'",
    partitions: 3,
    retentionMs: -1,
    cleanupPolicy: 'compact',
    maxMessageBytes: 1 * MIB,
    producers: ['generator'],
    consumers: ['generator', 'webtrail stats'],
    description:
      'Sites each generator version has screened: a site submitted again is skipped unless asked (submit --again).',
  },
  tasks: {
    name: `${TOPIC_PREFIX}webtrail.tasks`,
    valueSchema: 'Task',
    // By site, not by task: all of a site's tasks land on one partition, so the one rollout replica that
    // owns it paces the site for the whole cluster (its concurrency, Crawl-delay and Retry-After back-off).
    key: 'domain',
    partitions: 24,
    retentionMs: 30 * DAY_MS,
    cleanupPolicy: 'delete',
    maxMessageBytes: 1 * MIB,
    producers: ['generator', 'refiner'],
    consumers: ['rollout', 'refiner'],
    description: "Tasks proposed for the sites, and the refiner's follow-up tasks (with their lineage).",
  },
  trajectories: {
    name: `${TOPIC_PREFIX}webtrail.trajectories`,
    valueSchema: 'Trajectory',
    key: 'taskId',
    partitions: 24,
    retentionMs: -1,
    cleanupPolicy: 'delete',
    maxMessageBytes: 16 * MIB,
    producers: ['rollout'],
    consumers: ['judge', 'webtrail replay'],
    description: 'Recorded agent trajectories; kept forever so that a new judge can re-judge history.',
  },
  verdicts: {
    name: `${TOPIC_PREFIX}webtrail.verdicts`,
    valueSchema: 'Verdict',
    key: 'trajectoryId',
    partitions: 12,
    retentionMs: -1,
    cleanupPolicy: 'delete',
    maxMessageBytes: 16 * MIB,
    producers: ['judge'],
    consumers: ['sink', 'refiner'],
    description: 'Judge verdicts, each with the trajectory it scored.',
  },
  trainingExamples: {
    name: `${TOPIC_PREFIX}webtrail.training-examples`,
    valueSchema: 'TrainingExample',
    key: 'exampleId',
    partitions: 12,
    retentionMs: -1,
    cleanupPolicy: 'delete',
    maxMessageBytes: 4 * MIB,
    producers: ['sink'],
    consumers: ['trainers', 'analysis'],
    description: 'Chat-format training examples, one per step of an accepted trajectory.',
  },
  schemas: {
    name: `${TOPIC_PREFIX}webtrail.schemas`,
    valueSchema: null,
    key: 'schema fingerprint',
    partitions: 1,
    retentionMs: -1,
    cleanupPolicy: 'compact',
    maxMessageBytes: 1 * MIB,
    producers: ['producers before the registry wire format'],
    consumers: ['every consumer, for old records'],
    description:
      'Writer schemas by fingerprint of the records written before the registry wire format, so those stay readable. Nothing writes it now.',
  },
  schemaRegistry: {
    name: `${TOPIC_PREFIX}webtrail.schema-registry`,
    valueSchema: null,
    key: 'registry record key (JSON)',
    partitions: 1,
    retentionMs: -1,
    cleanupPolicy: 'compact',
    maxMessageBytes: 1 * MIB,
    producers: ['webtrail schema-registry'],
    consumers: ['webtrail schema-registry'],
    description:
      "The local schema registry's store: subjects, versions, ids and compatibility levels, as the reference registry keeps them in _schemas.",
  },
} as const satisfies Record<string, TopicSpec>;

export type TopicKey = keyof typeof TOPICS;

/** The topic each stage consumes (its consumer group's lag is what scaling and draining watch). */
export const STAGE_INPUTS = {
  generator: TOPICS.sites.name,
  rollout: TOPICS.tasks.name,
  judge: TOPICS.trajectories.name,
  sink: TOPICS.verdicts.name,
  refiner: TOPICS.verdicts.name,
} as const;

export const DLQ_SERVICES = ['generator', 'rollout', 'judge', 'sink', 'refiner'] as const;

export function dlqTopic(service: string): TopicSpec {
  return {
    name: `${TOPIC_PREFIX}webtrail.dlq.${service}`,
    valueSchema: 'DeadLetter',
    key: 'original key',
    partitions: 1,
    retentionMs: 30 * DAY_MS,
    cleanupPolicy: 'delete',
    maxMessageBytes: 16 * MIB,
    producers: [service],
    consumers: ['operators'],
    description: `Messages the ${service} gave up on, with the reason and the original bytes.`,
  };
}

/** Every topic webtrail uses, dead-letter topics included. */
export function allTopics(): TopicSpec[] {
  return [...Object.values(TOPICS), ...DLQ_SERVICES.map(dlqTopic)];
}

export function findTopic(name: string): TopicSpec | undefined {
  return allTopics().find((t) => t.name === name);
}

/** The key of a task record: its site's domain (see TOPICS.tasks). */
export const taskRecordKey = (task: { domain: string }): string => task.domain;
