// webtrail status: message counts per topic and lag per consumer group.
import { allTopics, TOPIC_PREFIX } from '../schemas/index.ts';
import { groupPosition, recordCount } from './client.ts';
import { openKafkaSession } from './kafkaSession.ts';

export interface TopicStatus {
  topic: string;
  partitions: number;
  messages: number;
}

export interface GroupStatus {
  group: string;
  topic: string;
  committed: number;
  lag: number;
  members: number;
  state: string;
}

export interface ClusterStatus {
  brokers: string[];
  topics: TopicStatus[];
  groups: GroupStatus[];
}

export async function clusterStatus(): Promise<ClusterStatus> {
  const session = await openKafkaSession('webtrail-status');
  try {
    const existing = new Set(await session.admin.listTopics());
    const declared = allTopics().map((t) => t.name);
    const names = [
      ...declared.filter((t) => existing.has(t)),
      ...[...existing].filter((t) => t.startsWith(`${TOPIC_PREFIX}webtrail.`) && !declared.includes(t)).sort(),
    ];
    const ends = new Map<string, Array<{ partition: number; high: string; low: string }>>();
    const topics: TopicStatus[] = [];
    for (const topic of names) {
      const offsets = await session.admin.fetchTopicOffsets(topic);
      ends.set(topic, offsets);
      topics.push({ topic, partitions: offsets.length, messages: recordCount(offsets) });
    }
    const { groups: listed } = await session.admin.listGroups();
    const groupIds = listed
      .map((g) => g.groupId)
      .filter((g) => !g.startsWith('webtrail-tap-') && !g.startsWith('webtrail-schema-reader-'))
      .sort();
    const described = groupIds.length ? (await session.admin.describeGroups(groupIds)).groups : [];
    const groups: GroupStatus[] = [];
    for (const groupId of groupIds) {
      const info = described.find((d) => d.groupId === groupId);
      const committed = await session.admin.fetchOffsets({ groupId, topics: names });
      for (const { topic, partitions } of committed) {
        const used = partitions.filter((p) => Number(p.offset) >= 0);
        if (used.length === 0) continue;
        const { lag } = groupPosition(ends.get(topic) ?? [], partitions);
        const total = used.reduce((sum, p) => sum + Number(p.offset), 0);
        groups.push({
          group: groupId,
          topic,
          committed: total,
          lag,
          members: info?.members.length ?? 0,
          state: info?.state ?? 'unknown',
        });
      }
    }
    return { brokers: session.config.brokers, topics, groups };
  } finally {
    await session.close();
  }
}
