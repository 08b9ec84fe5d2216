// The refinement loop end to end: the five services as separate processes over the real broker, real
// Chromium on the sandbox web, the scripted LLM over HTTP. Three sites, each explored, go through two
// rounds of follow-up tasks; the refiner kills itself once right after writing a follow-up and before
// committing the verdict it came from (the test hook), and is started again. What must hold: follow-ups
// with their lineage, rolled out and judged, each written once, no site over the cap, the sandbox's
// checks verify them, and the explorations stay out of the dataset.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxFollowUp } from '../sandbox/types.ts';
import type { Task, Trajectory, Verdict } from '../schemas/types.ts';
import type { StatsReport } from '../dashboard/statsReport.ts';
import type { Pipeline } from '../scripts/pipeline.ts';
import type { TestRun } from './helpers/pipelineRun.ts';

// The run on topics of its own (a prefix), so the pipelines of other test files on the same broker
// neither take its sites nor add to its counts. The prefix is read when the topic declaration loads,
// so the project's modules are imported after it is set.
const run = randomUUID().slice(0, 8);
const PREFIX = `refine-${run}.`;
process.env.WEBTRAIL_TOPIC_PREFIX = PREFIX;
const { submitSites } = await import('../cli/submit.ts');
const { replay } = await import('../cli/replay.ts');
const { SITES } = await import('../sandbox/sites/index.ts');
const { TOPICS } = await import('../schemas/topics.ts');
const { datasetDirName } = await import('../dataset/index.ts');
const { waitFor } = await import('./helpers/kafka.ts');
const { restartAfterCrashHook, startTestRun, waitDrained } = await import('./helpers/pipelineRun.ts');
const { runCli } = await import('./helpers/processes.ts');
if (!TOPICS.tasks.name.startsWith(PREFIX)) throw new Error('the topic prefix was not taken up');

const home = mkdtempSync(path.join(tmpdir(), 'webtrail-refine-'));
const CAP = 12;
const ROUNDS = 2;
const crashMarker = path.join(home, 'refiner-crash-marker');
const siteNames = ['library', 'recipes', 'gov'];
let testRun: TestRun;
let pipeline: Pipeline;
let admin: Admin;
let domains: Set<string>;

/** Records this run wrote to a topic for its sites. */
async function since<T>(topic: string, domainOf: (value: T) => string): Promise<T[]> {
  return (await testRun.since<T>(topic)).filter((v) => domains.has(domainOf(v)));
}
const tasksOfRun = () => since<Task>(TOPICS.tasks.name, (t) => t.domain);
const verdictsOfRun = () => since<Verdict>(TOPICS.verdicts.name, (v) => v.trajectory.task.domain);

/** The sandbox's follow-up table: what the refiner may make, by instruction (written by hand, not by the refiner). */
const FOLLOW_UPS = new Map<string, SandboxFollowUp>(
  SITES.flatMap((s) => (s.followUps ?? []).map((f) => [f.instruction, f] as const)),
);

beforeAll(async () => {
  testRun = await startTestRun({
    home,
    groupSuffix: run,
    startAtEnd: true,
    // A real endpoint's latency, so the refiner has work in flight while verdicts arrive.
    scripted: { latencyMs: 100 },
    env: {
      LOG_LEVEL: 'info',
      WEBTRAIL_ROLLOUT_CONCURRENCY: '4',
      WEBTRAIL_SINK_MAX_SHARD_AGE_MS: '1000',
      WEBTRAIL_REFINER_ROUNDS: String(ROUNDS),
      WEBTRAIL_REFINER_MAX_TASKS_PER_SITE: String(CAP),
      WEBTRAIL_GENERATOR_EXPLORE: 'true',
    },
    serviceEnv: { refiner: { WEBTRAIL_CRASH_BEFORE_COMMIT: crashMarker } },
  });
  ({ pipeline, admin } = testRun);
  domains = new Set(siteNames.map((n) => new URL(pipeline.sandbox.siteUrl(n)).hostname));
  // again: a new submission of these sites, refined afresh even on a broker that holds earlier runs.
  await submitSites(siteNames.map((n) => pipeline.sandbox.siteUrl(n)).join('\n'), {
    source: `refine-${run}`,
    again: true,
  });

  // The refiner's first commit after writing a follow-up: SIGKILL before committing. Started again, it
  // gets the same verdict again and must not write the follow-up a second time.
  await restartAfterCrashHook(pipeline, 'refiner', 300_000);
  await waitDrained(admin, pipeline, 420_000, 'the pipeline to carry both sites through two rounds');
}, 780_000);

afterAll(async () => {
  await testRun?.stop();
});

describe('the refinement loop', () => {
  it('makes follow-ups from the verdicts: harder after a success, repaired after a failure, proposed from an exploration, with their lineage, for two rounds', async () => {
    const tasks = await tasksOfRun();
    const verdicts = new Map((await verdictsOfRun()).map((v) => [v.verdictId, v]));
    const byId = new Map(tasks.map((t) => [t.taskId, t]));
    const followUps = [...byId.values()].filter((t) => t.lineage);
    expect(followUps.length).toBeGreaterThanOrEqual(3);
    for (const f of followUps) {
      const lineage = f.lineage!;
      const parent = byId.get(lineage.parentTaskId);
      expect(parent, `${f.instruction}: its parent is on the topic`).toBeDefined();
      expect(lineage.round).toBe((parent!.lineage?.round ?? 0) + 1);
      expect(lineage.round).toBeLessThanOrEqual(ROUNDS);
      expect(lineage.rootTaskId).toBe(parent!.lineage?.rootTaskId ?? parent!.taskId);
      expect(f.submissionId).toBe(parent!.submissionId);
      expect(f.domain).toBe(parent!.domain);
      // The verdict it names is on the topic, judged the parent, and its outcome (or the parent's being an
      // exploration) set the direction.
      const verdict = verdicts.get(lineage.verdictId);
      expect(verdict?.trajectory.task.taskId, f.instruction).toBe(parent!.taskId);
      const outcome = parent!.kind === 'explore' ? 'explored' : verdict!.success >= 0.5 ? 'success' : 'failure';
      expect(lineage.direction).toBe({ explored: 'explored', success: 'harder', failure: 'repair' }[outcome]);
      // The sandbox's own follow-up for that parent and outcome (the refiner never saw this table).
      const planned = FOLLOW_UPS.get(f.instruction);
      expect(planned, f.instruction).toBeDefined();
      expect(planned!.after).toBe(outcome);
      expect(f.generatorVersion).toBe(outcome === 'explored' ? 'scripted@explore.v1' : 'scripted@refine.v1');
    }
    expect(new Set(followUps.map((f) => f.lineage!.round))).toEqual(new Set([1, 2]));
    expect(followUps.some((f) => f.lineage!.direction === 'harder')).toBe(true);
    // One exploration per site, and the permit office's pages gave the two tasks the sandbox grounds in them.
    expect(
      [...byId.values()]
        .filter((t) => t.kind === 'explore')
        .map((t) => t.domain)
        .sort(),
    ).toEqual([...domains].sort());
    const explored = followUps
      .filter((f) => f.lineage!.direction === 'explored')
      .map((f) => [f.domain.split('.')[0], FOLLOW_UPS.get(f.instruction)!.id]);
    expect(explored.sort()).toEqual([
      ['gov', 'gov-first-question'],
      ['gov', 'gov-parking-over-fishing'],
    ]);
    // The recipes' chain is two rounds deep, under its cap whatever the order.
    const recipes = followUps
      .filter((f) => f.domain.startsWith('recipes.'))
      .map((f) => [f.lineage!.round, FOLLOW_UPS.get(f.instruction)!.id]);
    expect(recipes.sort()).toEqual([
      [1, 'recipes-calories-risotto-two'],
      [2, 'recipes-calories-pad-thai-three'],
    ]);
  });

  it('writes each follow-up once, though the refiner was killed after writing one and before committing', async () => {
    expect(existsSync(crashMarker)).toBe(true);
    const tasks = await tasksOfRun();
    const records = new Map<string, number>();
    for (const t of tasks) if (t.lineage) records.set(t.taskId, (records.get(t.taskId) ?? 0) + 1);
    expect([...records].filter(([, n]) => n !== 1)).toEqual([]);
    // One follow-up per judged task; an exploration's proposals all come from one verdict.
    const byParent = new Map<string, Task[]>();
    for (const t of tasks.filter((x) => x.lineage))
      byParent.set(t.lineage!.parentTaskId, [...(byParent.get(t.lineage!.parentTaskId) ?? []), t]);
    for (const [parent, children] of byParent) {
      if (children[0]!.lineage!.direction !== 'explored') expect(children, parent).toHaveLength(1);
      expect(new Set(children.map((c) => c.lineage!.verdictId)).size, parent).toBe(1);
    }
  });

  it('never gives a site more tasks than the cap; the library reaches it and the refiner says why it stops', async () => {
    const tasks = await tasksOfRun();
    const perSite = new Map<string, Set<string>>();
    for (const t of tasks) perSite.set(t.domain, (perSite.get(t.domain) ?? new Set()).add(t.taskId));
    for (const [domain, ids] of perSite) expect(ids.size, domain).toBeLessThanOrEqual(CAP);
    const library = [...perSite].find(([d]) => d.startsWith('library.'))![1];
    // Ten proposed tasks and an exploration, three possible follow-ups: the cap lets one in.
    expect(library.size).toBe(CAP);
    expect(readFileSync(path.join(home, 'logs', 'refiner.log'), 'utf8')).toContain(
      `the site has ${CAP} tasks, WEBTRAIL_REFINER_MAX_TASKS_PER_SITE=${CAP}`,
    );
  });

  it('rolls out and judges every follow-up, and the sandbox checks verify them', async () => {
    const followUps = (await tasksOfRun()).filter((t) => t.lineage);
    const verdicts = await verdictsOfRun();
    const trajectories = new Map<string, Trajectory>(verdicts.map((v) => [v.trajectory.task.taskId, v.trajectory]));
    for (const f of followUps) {
      const trajectory = trajectories.get(f.taskId);
      expect(trajectory, `${f.instruction} judged`).toBeDefined();
      expect(trajectory!.task.lineage).toEqual(f.lineage);
      const checked = pipeline.sandbox.check({
        instruction: f.instruction,
        finalAnswer: trajectory!.finalAnswer,
        finalUrl: trajectory!.finalUrl,
      });
      // A follow-up the site cannot answer fails its check (and is repaired in the next round); every other is solved.
      expect(checked, `${f.instruction}: ${trajectory!.finalAnswer}`).toBe(
        !FOLLOW_UPS.get(f.instruction)!.unanswerable,
      );
    }
  });

  it('shows the rounds in webtrail stats and in the dataset card, and each example names its round and parent', async () => {
    const cli = await runCli(['stats', '--json'], { env: pipeline.env, timeoutMs: 120_000 });
    expect(cli.code, cli.stderr).toBe(0);
    const report = JSON.parse(cli.stdout) as StatsReport;
    const followUps = (await tasksOfRun()).filter((t) => t.lineage);
    // The run's own topics: the report's rounds are exactly what the topic holds.
    const tasks = await tasksOfRun();
    const roundOf = (t: Task) => t.lineage?.round ?? 0;
    const direction = (round: number, d: string) =>
      followUps.filter((f) => f.lineage!.round === round && f.lineage!.direction === d).length;
    for (const round of [0, 1, 2]) {
      const of = (kind: string) =>
        new Set(tasks.filter((t) => roundOf(t) === round && t.kind === kind).map((t) => t.taskId)).size;
      expect(
        report.rounds.find((r) => r.round === round),
        `round ${round}`,
      ).toMatchObject({
        tasks: of('task'),
        explorations: of('explore'),
        harder: direction(round, 'harder'),
        repair: direction(round, 'repair'),
        explored: direction(round, 'explored'),
      });
    }
    expect(report.perSite.find((s) => s.domain.startsWith('library.'))?.followUps).toBe(
      followUps.filter((f) => f.domain.startsWith('library.')).length,
    );

    const verdicts = await verdictsOfRun();
    const dir = path.join(home, 'datasets', datasetDirName(verdicts[0]!.judgeVersion));
    await waitFor(
      () => (readdirSync(dir).some((f) => f.includes('.tmp')) ? undefined : true),
      20_000,
      'the open shard to be finished',
    );
    await new Promise((r) => setTimeout(r, 1200));
    const rows = readdirSync(dir)
      .filter((f) => /^part-\d+\.jsonl\.gz$/.test(f))
      .flatMap((f) =>
        gunzipSync(readFileSync(path.join(dir, f)))
          .toString('utf8')
          .split('\n')
          .filter(Boolean)
          .map(
            (l) => JSON.parse(l) as { task_id: string; trajectory_id: string; round: number; parent_task_id: string },
          ),
      );
    const lineageOf = new Map(followUps.map((f) => [f.taskId, f.lineage!]));
    // No example of an exploration (the sink keeps them only when asked).
    const explorations = new Set(tasks.filter((t) => t.kind === 'explore').map((t) => t.taskId));
    expect(rows.filter((r) => explorations.has(r.task_id))).toEqual([]);
    for (const row of rows) {
      expect(row.round, row.task_id).toBe(lineageOf.get(row.task_id)?.round ?? 0);
      expect(row.parent_task_id).toBe(lineageOf.get(row.task_id)?.parentTaskId ?? '');
    }
    const rounds = [...new Set(rows.map((r) => r.round))].sort();
    expect(rounds).toEqual([0, 1, 2]);
    const line = rounds
      .map((round) => {
        const of = rows.filter((r) => r.round === round);
        return `round ${round}${round === 0 ? ' (proposed)' : ''}: ${of.length} examples of ${new Set(of.map((r) => r.trajectory_id)).size} trajectories`;
      })
      .join('; ');
    expect(readFileSync(path.join(dir, 'README.md'), 'utf8')).toContain(`| refinement rounds | ${line} (column`);
  });

  it('starts no new round when history is re-judged by webtrail replay (without --refine)', async () => {
    const before = (await tasksOfRun()).length;
    const version = `scripted@judge.v1-replay-${run}`;
    const result = await replay({ judgeVersion: version, env: { ...pipeline.env, LOG_LEVEL: 'warn' } });
    expect(result.exitCode).toBe(0);
    await waitDrained(admin, pipeline, 180_000, 'the refiner to read the replayed verdicts');
    const replayed = (await verdictsOfRun()).filter((v) => v.judgeVersion === version);
    expect(replayed.length).toBeGreaterThan(0);
    expect(replayed.filter((v) => v.refine)).toEqual([]);
    expect((await tasksOfRun()).length).toBe(before);
    expect(readFileSync(path.join(home, 'logs', 'refiner.log'), 'utf8')).toContain(
      'the verdict is not for refinement (a replay without --refine',
    );
  });
});
