// Strimzi KafkaTopic resources from the project's single topic declaration (schemas/topics.ts), one set
// per overlay under the overlay's topic prefix (WEBTRAIL_TOPIC_PREFIX in its ConfigMap), in the Kafka
// cluster's namespace: npm run k8s:topics writes k8s/overlays/<env>/topics/topics.yaml, and k8s:validate
// fails when they drift apart.
import { stringify } from 'yaml';
import { allTopics, TOPIC_PREFIX, type TopicSpec } from '../../schemas/index.ts';
import { topicConfig } from '../../bus/index.ts';

export const TOPIC_REPLICAS = 3;

export interface KafkaTopicResource {
  apiVersion: 'kafka.strimzi.io/v1';
  kind: 'KafkaTopic';
  metadata: { name: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: { topicName: string; partitions: number; replicas: number; config: Record<string, string> };
}

/** The Strimzi cluster and its namespace, from a bootstrap address `<cluster>-kafka-bootstrap.<namespace>.svc[:port]`. */
export function strimziCluster(brokers: string | undefined): { cluster: string; namespace: string } | null {
  const match = /^([a-z0-9-]+)-kafka-bootstrap\.([a-z0-9-]+)\.svc/.exec((brokers ?? '').split(',')[0]!.trim());
  return match ? { cluster: match[1]!, namespace: match[2]! } : null;
}

/** Every declared topic under another prefix (whatever prefix this process runs with is taken off first). */
export function topicsWithPrefix(prefix: string): TopicSpec[] {
  return allTopics().map((t) => ({ ...t, name: `${prefix}${t.name.slice(TOPIC_PREFIX.length)}` }));
}

export function kafkaTopicResource(spec: TopicSpec, cluster: string): KafkaTopicResource {
  return {
    apiVersion: 'kafka.strimzi.io/v1',
    kind: 'KafkaTopic',
    metadata: {
      name: spec.name,
      labels: { 'strimzi.io/cluster': cluster },
      annotations: { 'webtrail.dev/description': spec.description },
    },
    spec: {
      topicName: spec.name,
      partitions: spec.partitions,
      replicas: TOPIC_REPLICAS,
      config: Object.fromEntries(topicConfig(spec).map((c) => [c.name, c.value])),
    },
  };
}

export function topicsYaml(prefix: string, cluster: string): string {
  const header = `# Generated from schemas/topics.ts by \`npm run k8s:topics\` (topic prefix '${prefix}'); do not edit (k8s:validate checks it).\n`;
  return (
    header +
    topicsWithPrefix(prefix)
      .map((t) => stringify(kafkaTopicResource(t, cluster), { lineWidth: 0 }))
      .join('---\n')
  );
}
