import { describe, expect, it } from 'vitest';
import { task as sampleTask, verdict as sampleVerdict } from '../test/helpers/samples.ts';
import { Labels } from './labels.ts';
import { taskFeasibility } from './taskFeasibility.ts';

const task = (id: string, domain = 'a.example') => ({ ...sampleTask(id), domain });
const verdict = (taskId: string, run: string, success: number, judgeVersion = 'j@v1', judgedAtMs = 1) => {
  const v = sampleVerdict(taskId);
  return {
    ...v,
    judgeVersion,
    success,
    judgedAtMs,
    trajectoryId: `traj-${taskId}`,
    trajectory: { ...v.trajectory, trajectoryId: `traj-${taskId}`, runId: run, task: task(taskId) },
  };
};

describe('task feasibility', () => {
  it('leaves a task out of the share when every run met a site that made it impossible', () => {
    // t1 judged 1: feasible. t2: its one run not executable (a CAPTCHA) → in neither count. t3: one run
    // not executable, another judged 0 → decided by the run that could be done: not feasible.
    const impossible = (v: ReturnType<typeof verdict>) => ({
      ...v,
      trajectory: {
        ...v.trajectory,
        status: 'blocked' as const,
        statusReason: 'captcha: a challenge',
        notExecutable: { reason: 'captcha', detail: 'a challenge' },
      },
    });
    const tasks = ['t1', 't2', 't3'].map((id) => task(id));
    const verdicts = [
      verdict('t1', 'r1', 1),
      impossible(verdict('t2', 'r1', 0)),
      impossible(verdict('t3', 'r1', 0)),
      verdict('t3', 'r2', 0),
    ];
    const r = taskFeasibility(tasks, verdicts, null);
    expect(r.outcomes.map((o) => [o.taskId, o.decidedBy, o.feasible])).toEqual([
      ['t1', 'judge', true],
      ['t2', 'not executable', false],
      ['t3', 'judge', false],
    ]);
    // 1 of 2 attempted (not 1 of 3): the impossible task counts neither way.
    expect([r.tasks, r.attempted, r.feasible, r.share, r.notExecutable]).toEqual([3, 2, 1, 0.5, 1]);
  });

  it('counts a task feasible when a labelled run solved it, and asks the judge only where no run is labelled', () => {
    // t1: two runs, labelled failed and solved → feasible by check. t2: labelled failed, though the judge
    // said success → not feasible (the check wins). t3: unlabelled, judged 0.8 → feasible by the judge.
    // t4: unlabelled, judged 0.2 → not. t5: never rolled out → not attempted.
    const tasks = ['t1', 't2', 't3', 't4', 't5'].map((id) => task(id, id === 't5' ? 'b.example' : 'a.example'));
    const verdicts = [
      verdict('t1', 'r1', 0),
      verdict('t1', 'r2', 1),
      verdict('t2', 'r1', 1),
      verdict('t3', 'r1', 0.8),
      verdict('t4', 'r1', 0.2),
    ];
    const labels = new Labels(
      new Map([
        ['traj-t1#r1', false],
        ['traj-t1#r2', true],
        ['traj-t2#r1', false],
      ]),
    );
    const r = taskFeasibility(tasks, verdicts, labels);
    expect(r.outcomes.map((o) => [o.taskId, o.decidedBy, o.feasible])).toEqual([
      ['t1', 'check', true],
      ['t2', 'check', false],
      ['t3', 'judge', true],
      ['t4', 'judge', false],
      ['t5', 'not attempted', false],
    ]);
    expect([r.tasks, r.attempted, r.feasible, r.share]).toEqual([5, 4, 2, 0.5]);
    expect([r.byCheck, r.byJudge]).toEqual([
      { tasks: 2, feasible: 1 },
      { tasks: 2, feasible: 1 },
    ]);
    expect(r.sites).toEqual([
      { domain: 'a.example', tasks: 4, attempted: 4, feasible: 2, share: 0.5 },
      { domain: 'b.example', tasks: 1, attempted: 0, feasible: 0, share: null },
    ]);
  });

  it("decides by the most recent judge version unless told, and ignores other versions' verdicts", () => {
    const verdicts = [verdict('t1', 'r1', 1, 'old@v1', 1), verdict('t1', 'r1', 0, 'new@v1', 2)];
    expect(taskFeasibility([task('t1')], verdicts, null).outcomes[0]!.feasible).toBe(false);
    expect(taskFeasibility([task('t1')], verdicts, null, { judgeVersion: 'old@v1' }).outcomes[0]!.feasible).toBe(true);
  });
});
