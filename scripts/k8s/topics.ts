// Strimzi KafkaTopic resources from the project's single topic declaration (schemas/topics.ts):
// npm run k8s:topics writes k8s/base/topics.yaml, and k8s:validate fails when the two drift apart.
import { stringify } from 'yaml';
import { allTopics, type TopicSpec } from '../../schemas/topics.ts';
import { topicConfig } from '../../bus/client.ts';

export const STRIMZI_CLUSTER = 'webtrail';
export const TOPIC_REPLICAS = 3;

export interface KafkaTopicResource {
  apiVersion: 'kafka.strimzi.io/v1';
  kind: 'KafkaTopic';
  metadata: { name: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: { topicName: string; partitions: number; replicas: number; config: Record<string, string> };
}

export function kafkaTopicResource(spec: TopicSpec): KafkaTopicResource {
  return {
    apiVersion: 'kafka.strimzi.io/v1',
    kind: 'KafkaTopic',
    metadata: { name: spec.name, labels: { 'strimzi.io/cluster': STRIMZI_CLUSTER }, annotations: { 'webtrail.dev/description': spec.description } },
    spec: { topicName: spec.name, partitions: spec.partitions, replicas: TOPIC_REPLICAS, config: Object.fromEntries(topicConfig(spec).map((c) => [c.name, c.value])) },
  };
}

export function topicsYaml(): string {
  const header = '# Generated from schemas/topics.ts by `npm run k8s:topics`; do not edit (k8s:validate checks it).\n';
  return header + allTopics().map((t) => stringify(kafkaTopicResource(t), { lineWidth: 0 })).join('---\n');
}
