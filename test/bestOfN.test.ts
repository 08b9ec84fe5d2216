// Best-of-n end to end: the services as separate processes over the real broker, real Chromium on the
// sandbox web, the scripted LLM over HTTP erring at a rate drawn from each request's seed. Every task gets
// three attempts; the sink kills itself once right after sending a task's kept examples and before
// committing, and is started again. What must hold: three trajectories per task, each sampled with a seed
// of its own (as the LLM server received them), and in the dataset exactly one attempt per task: the best
// by the verdicts on the topic, ranked here by the test itself.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainingExample, Trajectory, Verdict } from '../schemas/types.ts';
import type { Pipeline } from '../scripts/pipeline.ts';
import type { TestRun } from './helpers/pipelineRun.ts';

const run = randomUUID().slice(0, 8);
const PREFIX = `bestof-${run}.`;
process.env.WEBTRAIL_TOPIC_PREFIX = PREFIX;
const { submitSites } = await import('../cli/submit.ts');
const { TOPICS } = await import('../schemas/topics.ts');
const { datasetDirName } = await import('../dataset/index.ts');
const { waitFor } = await import('./helpers/kafka.ts');
const { restartAfterCrashHook, startTestRun, waitDrained } = await import('./helpers/pipelineRun.ts');
if (!TOPICS.tasks.name.startsWith(PREFIX)) throw new Error('the topic prefix was not taken up');

const home = mkdtempSync(path.join(tmpdir(), 'webtrail-bestof-'));
const ATTEMPTS = 3;
const TEMPERATURE = 0.9;
const crashMarker = path.join(home, 'sink-crash-marker');
const siteNames = ['library', 'recipes'];
let testRun: TestRun;
let pipeline: Pipeline;
const since = <T>(topic: string) => testRun.since<T>(topic);

interface Row {
  task_id: string;
  trajectory_id: string;
  example_id: string;
  attempts: number;
  attempt: number;
}

beforeAll(async () => {
  testRun = await startTestRun({
    home,
    groupSuffix: run,
    startAtEnd: true,
    scripted: { agentErrors: 0.3, record: true },
    env: {
      LOG_LEVEL: 'info',
      WEBTRAIL_GENERATOR_TASKS_PER_SITE: '4',
      WEBTRAIL_ROLLOUT_CONCURRENCY: '4',
      WEBTRAIL_ROLLOUT_PER_DOMAIN_CONCURRENCY: '3',
      WEBTRAIL_ROLLOUT_ATTEMPTS: String(ATTEMPTS),
      WEBTRAIL_ROLLOUT_ATTEMPT_TEMPERATURE: String(TEMPERATURE),
      // Every kept attempt is written, so the choice can be seen whatever the scores.
      WEBTRAIL_SINK_FILTER: 'success >= 0',
      WEBTRAIL_SINK_MAX_SHARD_AGE_MS: '1000',
    },
    serviceEnv: { sink: { WEBTRAIL_CRASH_BEFORE_COMMIT: crashMarker } },
  });
  pipeline = testRun.pipeline;
  await submitSites(siteNames.map((n) => pipeline.sandbox.siteUrl(n)).join('\n'), {
    source: `bestof-${run}`,
    again: true,
  });

  // The sink's first commit after sending a task's kept examples: SIGKILL before committing. Started
  // again, it gets the deciding verdict again and must send the same examples, writing nothing twice.
  await restartAfterCrashHook(pipeline, 'sink', 300_000);
  await waitDrained(testRun.admin, pipeline, 420_000, 'the pipeline to run and judge every attempt');
}, 780_000);

afterAll(async () => {
  await testRun?.stop();
});

/** The test's own ranking of a task's verdicts: success, then efficiency, then self-correction, then the earlier attempt. */
function bestOf(verdicts: Verdict[]): Verdict {
  return [...verdicts].sort(
    (a, b) =>
      b.success - a.success ||
      b.efficiency - a.efficiency ||
      b.selfCorrection - a.selfCorrection ||
      a.trajectory.attempt - b.trajectory.attempt,
  )[0]!;
}

function datasetRows(judgeVersion: string): Row[] {
  const dir = path.join(home, 'datasets', datasetDirName(judgeVersion));
  return readdirSync(dir)
    .filter((f) => /^part-\d+\.jsonl\.gz$/.test(f))
    .flatMap((f) =>
      gunzipSync(readFileSync(path.join(dir, f)))
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Row),
    );
}

describe('best-of-n', () => {
  it('runs every task three times, each attempt a trajectory of its own sampled with its own seed, as the LLM server received it', async () => {
    const tasks = await since<{ taskId: string; instruction: string }>(TOPICS.tasks.name);
    expect(tasks.length).toBe(8);
    const trajectories = await since<Trajectory>(TOPICS.trajectories.name);
    const received = pipeline.llm!.received.filter((c) => c.messages[0]?.content.startsWith('You are a web agent'));
    for (const task of tasks) {
      const attempts = new Map(trajectories.filter((t) => t.task.taskId === task.taskId).map((t) => [t.attempt, t]));
      expect([...attempts.keys()].sort(), task.instruction).toEqual([0, 1, 2]);
      expect(new Set([...attempts.values()].map((t) => t.trajectoryId)).size).toBe(ATTEMPTS);
      expect([...attempts.values()].every((t) => t.attempts === ATTEMPTS)).toBe(true);
      const seeds = [...attempts.values()].map((t) => t.agentSettings.seed);
      expect(new Set(seeds).size, task.instruction).toBe(ATTEMPTS);
      // What the server got for this task's steps: those three seeds, at the attempts' temperature, and no other.
      const calls = received.filter((c) =>
        c.messages.some((m) => m.role === 'user' && m.content.includes(`Task: ${task.instruction}\n`)),
      );
      expect(new Set(calls.map((c) => String(c.seed))), task.instruction).toEqual(new Set(seeds));
      expect(new Set(calls.map((c) => c.temperature))).toEqual(new Set([TEMPERATURE]));
      expect([...attempts.values()].every((t) => t.agentSettings.temperature === String(TEMPERATURE))).toBe(true);
    }
  });

  it('writes exactly one attempt per task, the best judged, though the sink was killed after sending one and before committing', async () => {
    expect(existsSync(crashMarker)).toBe(true);
    const verdicts = await since<Verdict>(TOPICS.verdicts.name);
    const judgeVersion = verdicts[0]!.judgeVersion;
    const byTask = new Map<string, Verdict[]>();
    for (const v of verdicts)
      byTask.set(v.trajectory.task.taskId, [...(byTask.get(v.trajectory.task.taskId) ?? []), v]);
    expect(byTask.size).toBe(8);
    // The seeds made a difference: at least one task's attempts were judged apart.
    expect(
      [...byTask.values()].some(
        (vs) => new Set(vs.map((v) => `${v.success}/${v.efficiency}/${v.selfCorrection}`)).size > 1,
      ),
    ).toBe(true);

    await waitFor(
      () =>
        readdirSync(path.join(home, 'datasets', datasetDirName(judgeVersion))).some((f) => f.includes('.tmp'))
          ? undefined
          : true,
      20_000,
      'the open shard to be finished',
    );
    const rows = datasetRows(judgeVersion);
    expect(new Set(rows.map((r) => r.example_id)).size).toBe(rows.length);
    for (const [taskId, vs] of byTask) {
      expect(new Set(vs.map((v) => v.trajectory.attempt)).size, taskId).toBe(ATTEMPTS);
      const best = bestOf(vs);
      const kept = rows.filter((r) => r.task_id === taskId);
      expect(kept.length, taskId).toBeGreaterThan(0);
      expect([...new Set(kept.map((r) => r.trajectory_id))], taskId).toEqual([best.trajectoryId]);
      expect(kept.every((r) => r.attempts === ATTEMPTS && r.attempt === best.trajectory.attempt)).toBe(true);
    }

    // The topic has every written example (again after the kill, at least once) and none of another attempt.
    const sent = await since<TrainingExample>(TOPICS.trainingExamples.name);
    expect(new Set(sent.map((e) => e.exampleId))).toEqual(new Set(rows.map((r) => r.example_id)));
    const card = readFileSync(path.join(home, 'datasets', datasetDirName(judgeVersion), 'README.md'), 'utf8');
    expect(card).toContain(
      `| attempts per task | ${ATTEMPTS} attempts, the best judged kept: ${rows.length} examples of 8 trajectories (one per task)`,
    );
    expect(readFileSync(path.join(home, 'logs', 'sink.log'), 'utf8')).toContain("best of the task's attempts kept");
  });
});
