// npm run kafka -- <tool>: Kafka's own CLI tools from the pinned jars, against the test broker, doing what
// an operator does with them: list groups, see a group's offsets, reset them.
import { describe, expect, it } from 'vitest';
import { spawnTs } from '../platform/spawnTs.ts';
import { createTopic, testKafka, uniqueName } from './helpers/kafka.ts';

function kafkaTool(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawnTs('scripts/kafka.ts', { args, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run kafka -- <tool>', () => {
  it('lists consumer groups, describes one and resets its offsets, with the bootstrap servers filled in', async () => {
    const kafka = testKafka();
    const topic = uniqueName('tools');
    const group = uniqueName('tools-group');
    await createTopic(kafka, topic, 1);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 5 }, (_, i) => ({ value: `m${i}` })) });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '3' }] });

      const list = await kafkaTool(['consumer-groups', '--list']);
      expect(list.code, list.stderr).toBe(0);
      expect(list.stdout.split('\n')).toContain(group);

      const describeGroup = await kafkaTool(['consumer-groups', '--describe', '--group', group]);
      expect(describeGroup.code, describeGroup.stderr).toBe(0);
      // GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG ...
      expect(describeGroup.stdout).toMatch(new RegExp(`${group}\\s+${topic}\\s+0\\s+3\\s+5\\s+2`));

      const reset = await kafkaTool([
        'consumer-groups',
        '--reset-offsets',
        '--to-earliest',
        '--group',
        group,
        '--topic',
        topic,
        '--execute',
      ]);
      expect(reset.code, reset.stderr).toBe(0);
      const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      expect(offsets!.partitions).toEqual([expect.objectContaining({ partition: 0, offset: '0' })]);
    } finally {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  it('names the tools when asked for one it does not have', async () => {
    const wrong = await kafkaTool(['consumer-grups', '--list']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('consumer-groups   list, describe, delete groups; reset their offsets');
  });
});
