import { describe, expect, it } from 'vitest';
import type { Task } from '../../schemas/types.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { KeyedLimiter } from '../../platform/keyedLimiter.ts';
import { task as sampleTask, trajectory as sampleTrajectory } from '../../test/helpers/samples.ts';
import { rollOutTask, type TaskRolloutDeps } from './taskRollout.ts';

const signal = new AbortController().signal;
const followUp = (round: number): Task => ({
  ...sampleTask('f1'),
  lineage: {
    parentTaskId: 't1',
    rootTaskId: 't1',
    round,
    direction: 'harder',
    reason: 'r',
    verdictId: 'v',
    parentSuccess: 1,
  },
});

/** Attempts that take 20 ms each and count how many of one site run at once. */
function countingDeps(
  perSite: number,
  offloads: number[] = [],
): TaskRolloutDeps & { busiest: number; attempts: Array<{ index: number; of: number }> } {
  let running = 0;
  const state = { busiest: 0, attempts: [] as Array<{ index: number; of: number }> };
  return Object.assign(state, {
    config: { attempts: 3, attemptsFromRound: 1 },
    limiter: new KeyedLimiter(perSite),
    run: async (task: Task, _signal: AbortSignal, attempt: { index: number; of: number }) => {
      state.attempts.push(attempt);
      running += 1;
      state.busiest = Math.max(state.busiest, running);
      await new Promise((r) => setTimeout(r, 20));
      running -= 1;
      return {
        ...sampleTrajectory(task.taskId),
        trajectoryId: `traj-${task.taskId}-${attempt.index}`,
        attempt: attempt.index,
        attempts: attempt.of,
      };
    },
    offload: async () => offloads.shift() ?? 0,
  });
}

describe('a task rolled out', () => {
  it('runs once before the best-of-n round, and sends its trajectory keyed by the task', async () => {
    const deps = countingDeps(2);
    const { records } = await rollOutTask(followUp(0), deps, signal);
    expect(deps.attempts).toEqual([{ index: 0, of: 1 }]);
    expect(records.map((r) => [r.topic, r.key])).toEqual([[TOPICS.trajectories.name, 'f1']]);
  });

  it('runs every attempt from the best-of-n round on, all sent together, never more of one site at once than its limit', async () => {
    const deps = countingDeps(2, [0, 2, 0]);
    const { records, offloaded } = await rollOutTask(followUp(1), deps, signal);
    expect(deps.attempts.map((a) => `${a.index}/${a.of}`).sort()).toEqual(['0/3', '1/3', '2/3']);
    expect(deps.busiest).toBe(2);
    expect(records.map((r) => [r.key, r.value.trajectoryId])).toEqual([
      ['f1', 'traj-f1-0'],
      ['f1', 'traj-f1-1'],
      ['f1', 'traj-f1-2'],
    ]);
    expect(offloaded).toEqual([0, 2, 0]);
  });
});
