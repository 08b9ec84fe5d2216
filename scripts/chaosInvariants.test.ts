// The chaos invariants on hand-built runs: a clean one holds, and each kind of loss or duplicate is named.
import { describe, expect, it } from 'vitest';
import type { DeadLetter } from '../schemas/types.ts';
import { site, task, trajectory, verdict } from '../test/helpers/samples.ts';
import { checkInvariants, type ChaosData } from './chaosInvariants.ts';

function cleanRun(): ChaosData {
  const t1 = { ...task('t1'), domain: 'shop.example.com' };
  const t2 = { ...task('t2'), domain: 'shop.example.com' };
  const j1 = { ...trajectory('t1'), task: t1 };
  const j2 = { ...trajectory('t2'), task: t2 };
  return {
    sites: [site('shop.example.com'), site('bad.example.com'), site('shop.example.com')],
    rejections: [
      {
        domain: 'bad.example.com',
        url: 'https://bad.example.com/',
        reason: 'unsafe',
        detail: 'gambling',
        category: null,
        generatorVersion: 'g',
        rejectedAtMs: 1,
        usage: t1.usage,
      },
    ],
    tasks: [t1, t2, t2],
    trajectories: [j1, j2],
    verdicts: [
      { ...verdict('t1'), trajectoryId: j1.trajectoryId },
      { ...verdict('t2'), trajectoryId: j2.trajectoryId },
      { ...verdict('t2'), trajectoryId: j2.trajectoryId },
    ],
    deadLetters: [],
    topicExampleIds: ['e1', 'e2', 'e2'],
    datasetExamples: [
      { exampleId: 'e1', trajectoryId: j1.trajectoryId, runId: j1.runId, judgeVersion: 'm@judge-v1' },
      { exampleId: 'e2', trajectoryId: j2.trajectoryId, runId: j2.runId, judgeVersion: 'm@judge-v1' },
    ],
    openShards: [],
    drainedAfterMs: 12_000,
    drainBoundMs: 600_000,
    maxTasksPerSite: 3,
  };
}

const breaches = (data: ChaosData) =>
  checkInvariants(data)
    .filter((i) => !i.ok)
    .map((i) => i.name);

describe('chaos invariants', () => {
  it('hold on a run where redelivery repeated records but nothing was lost or doubled', () => {
    expect(breaches(cleanRun())).toEqual([]);
  });

  it('name each breach', () => {
    const run = cleanRun();
    expect(breaches({ ...run, verdicts: run.verdicts.slice(0, 1) })).toEqual([
      'every submitted site accounted for (rejected, or all its tasks judged)',
      'exactly one verdict per run and judge version',
    ]);
    expect(breaches({ ...run, rejections: [] })).toEqual([
      'every submitted site accounted for (rejected, or all its tasks judged)',
    ]);
    expect(breaches({ ...run, verdicts: [...run.verdicts, { ...run.verdicts[0]!, verdictId: 'another' }] })).toEqual([
      'exactly one verdict per run and judge version',
    ]);
    expect(breaches({ ...run, datasetExamples: run.datasetExamples.slice(1) })).toEqual([
      'every committed example in a finished shard',
    ]);
    expect(breaches({ ...run, openShards: ['v/part-00002.jsonl.gz.tmp'] })).toEqual([
      'every committed example in a finished shard',
    ]);
    expect(breaches({ ...run, datasetExamples: [...run.datasetExamples, run.datasetExamples[0]!] })).toEqual([
      'no duplicate example ids in the dataset',
    ]);
    const letter = { service: 'sink', key: Buffer.from(run.trajectories[0]!.trajectoryId) } as unknown as DeadLetter;
    expect(breaches({ ...run, deadLetters: [letter] })).toEqual(['no example of a dead-lettered verdict']);
    // A redelivered rollout: a second run of t1, judged on its own, is fine; its steps in the dataset are not.
    const rerun = { ...run.trajectories[0]!, runId: 'run-t1-again' };
    const rerunVerdict = { ...run.verdicts[0]!, verdictId: 'v-t1-again', trajectory: rerun };
    expect(
      breaches({ ...run, trajectories: [...run.trajectories, rerun], verdicts: [...run.verdicts, rerunVerdict] }),
    ).toEqual([]);
    expect(breaches({ ...run, trajectories: [...run.trajectories, rerun] })).toEqual([
      'exactly one verdict per run and judge version',
    ]);
    expect(
      breaches({
        ...run,
        datasetExamples: [
          ...run.datasetExamples,
          { exampleId: 'e3', trajectoryId: rerun.trajectoryId, runId: rerun.runId, judgeVersion: 'm@judge-v1' },
        ],
      }),
    ).toEqual(['one run per trajectory in each dataset']);
    expect(breaches({ ...run, drainedAfterMs: null })).toEqual([
      "drained (every group's committed lag 0) within the bound",
    ]);
    // A follow-up of t1, judged: fine once, at the cap; written twice, or one more over the cap, is not.
    const lineage = {
      parentTaskId: 't1',
      rootTaskId: 't1',
      round: 1,
      direction: 'harder',
      reason: 'deeper',
      verdictId: 'v-t1',
      parentSuccess: 1,
    };
    const f1 = { ...task('f1'), domain: 'shop.example.com', lineage };
    const withFollowUp = {
      ...run,
      tasks: [...run.tasks, f1],
      trajectories: [...run.trajectories, { ...trajectory('f1'), task: f1 }],
      verdicts: [...run.verdicts, { ...verdict('f1'), trajectoryId: 'traj-f1' }],
    };
    expect(breaches(withFollowUp)).toEqual([]);
    expect(breaches({ ...withFollowUp, tasks: [...withFollowUp.tasks, f1] })).toEqual([
      'each follow-up task written once, no site over the cap',
    ]);
    expect(breaches({ ...withFollowUp, maxTasksPerSite: 2 })).toEqual([
      'each follow-up task written once, no site over the cap',
    ]);
  });
});
