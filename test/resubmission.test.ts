// Sites submitted again: the real generator service (child process, real Kafka, real Chromium, the
// scripted LLM over HTTP) on topics of its own (a topic prefix), driven through the CLI as a user would.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchGroupPosition } from '../bus/client.ts';
import { startPipeline, type Pipeline } from '../scripts/pipeline.ts';
import type { StatsReport } from '../dashboard/statsReport.ts';
import { runCli } from './helpers/processes.ts';
import { testKafka, waitFor } from './helpers/kafka.ts';

const prefix = `resubmit-${randomUUID().slice(0, 8)}.`;
const env = { WEBTRAIL_TOPIC_PREFIX: prefix };
let pipeline: Pipeline;
let admin: Admin;

beforeAll(async () => {
  admin = testKafka().admin();
  await admin.connect();
  pipeline = await startPipeline({
    home: mkdtempSync(path.join(tmpdir(), 'webtrail-resubmit-')),
    env,
    only: ['generator'],
  });
}, 120_000);

afterAll(async () => {
  await pipeline?.stop();
  await admin?.disconnect();
});

async function stats(): Promise<StatsReport> {
  const result = await runCli(['stats', '--json'], { env });
  if (result.code !== 0) throw new Error(`webtrail stats failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as StatsReport;
}

const records = (report: StatsReport, topic: string) =>
  report.topics.find((t) => t.topic === `${prefix}webtrail.${topic}`)?.records ?? 0;

async function submit(names: string[], ...flags: string[]): Promise<void> {
  const result = await runCli(['submit', '-', ...flags], {
    env,
    input: names.map((n) => pipeline.sandbox.siteUrl(n)).join('\n'),
  });
  expect(result.code, result.stderr).toBe(0);
}

/** Waits until the generator has committed every submitted site, then reports. */
async function settled(): Promise<StatsReport> {
  const generator = pipeline.services.get('generator')!;
  await waitFor(
    async () => {
      const position = await fetchGroupPosition(admin, generator.groupId, `${prefix}webtrail.sites`);
      return position.lag === 0 ? true : undefined;
    },
    90_000,
    'the generator to handle every submitted site',
  );
  return stats();
}

describe('submitting the same sites again', () => {
  it('screens a site once per generator version; again only when asked; the count of skipped submissions is in stats', async () => {
    await submit(['shop', 'library', 'gov']);
    const first = await settled();
    const tasks = records(first, 'tasks');
    expect(tasks).toBeGreaterThanOrEqual(3);
    expect(first.sites).toMatchObject({ submitted: 3, resubmissionsSkipped: 0 });
    expect(records(first, 'sites.screened')).toBe(3);

    // A restarted generator knows what was screened before it (from the compacted topic), and two
    // submissions of the same sites at once are skipped, all six.
    await pipeline.stopService('generator');
    await pipeline.start('generator');
    await Promise.all([submit(['shop', 'library', 'gov']), submit(['gov', 'library', 'shop'])]);
    const second = await settled();
    expect(records(second, 'tasks')).toBe(tasks);
    expect(second.sites.resubmissionsSkipped).toBe(6);

    // A new site submitted twice at once is screened once: the second waits for the first's record.
    await Promise.all([submit(['recipes']), submit(['recipes'])]);
    const third = await settled();
    const recipeTasks = records(third, 'tasks') - tasks;
    expect(recipeTasks).toBeGreaterThan(0);
    expect(third.sites.resubmissionsSkipped).toBe(7);
    expect(third.perSite.find((s) => s.domain === 'recipes.localhost')?.tasks).toBe(recipeTasks);

    // --again screens it again: its tasks are proposed a second time (the same ids: the scripted LLM is
    // deterministic), and the skipped count stays.
    await submit(['recipes'], '--again');
    const fourth = await settled();
    expect(records(fourth, 'tasks')).toBe(tasks + 2 * recipeTasks);
    expect(fourth.sites.resubmissionsSkipped).toBe(7);
  }, 300_000);
});
