// One task carried out: each of its attempts (best-of-n) a trajectory of its own, run under the site's
// limit (which holds across the attempts), its large texts moved to the blob store, and all sent together
// once every attempt has run, keyed by the task (a crash runs them all again, under the same ids).
import type { OutputRecord } from '../../bus/index.ts';
import type { KeyedLimiter } from '../../platform/index.ts';
import { type Task, TOPICS, type Trajectory } from '../../schemas/index.ts';
import { attemptsFor } from './agentLoop.ts';
import type { RolloutConfig } from './config.ts';

export interface TaskRolloutDeps {
  config: Pick<RolloutConfig, 'attempts' | 'attemptsFromRound'>;
  /** Runs one attempt (runTrajectory with its browser, LLM and blob store). */
  run(task: Task, signal: AbortSignal, attempt: { index: number; of: number }): Promise<Trajectory>;
  /** Moves a trajectory's large texts to the blob store; how many it moved. */
  offload(trajectory: Trajectory): Promise<number>;
  /** The per-site limit. */
  limiter: KeyedLimiter;
}

export interface TaskRollout {
  records: Array<OutputRecord<'Trajectory'>>;
  /** Per attempt, in order: how many texts went to the blob store. */
  offloaded: number[];
}

export async function rollOutTask(task: Task, deps: TaskRolloutDeps, signal: AbortSignal): Promise<TaskRollout> {
  const of = attemptsFor(task, deps.config);
  const trajectories = await Promise.all(
    Array.from({ length: of }, (_, index) =>
      deps.limiter.run(task.domain, () => deps.run(task, signal, { index, of })),
    ),
  );
  const offloaded: number[] = [];
  for (const trajectory of trajectories) offloaded.push(await deps.offload(trajectory));
  return {
    records: trajectories.map((value) => ({
      topic: TOPICS.trajectories.name,
      key: task.taskId,
      schema: 'Trajectory',
      value,
    })),
    offloaded,
  };
}
