// Throughput while every context has work. A run of N tasks on C contexts ends with a tail in which
// contexts fall idle one by one; how long that tail lasts depends on which tasks happen to come last,
// and on timing (the bare loop runs them in the pipeline's order, yet which context takes which task
// can differ), so whole-run figures moved by up to 20% between identical runs. No context waits for work
// until the first task to end after the last one started: that context then has nothing left to take.
// Steps finished in [start, that end] over that time is the steady rate a days-long run sees. (Ending
// the window at the last start instead threw away work done while every context was still busy: with one
// context, a whole trajectory of four, and single rounds there ranged from 0.81 to 1.38.)
export interface RunTimes {
  /** When the work was handed out (ms). */
  startedAt: number;
  /** When each task began on a context (ms). */
  taskStarts: number[];
  /** When each task ended on its context (ms). */
  taskEnds: number[];
  /** When each step finished (ms). */
  stepEnds: number[];
}

export function steadyStepsPerSecond(run: RunTimes): { steps: number; seconds: number; stepsPerSecond: number } {
  const lastStart = Math.max(...run.taskStarts);
  // Strictly after: the end that freed a context for the last task is at or just before its start.
  const end = Math.min(...run.taskEnds.filter((t) => t > lastStart));
  const steps = run.stepEnds.filter((t) => t <= end).length;
  const seconds = (end - run.startedAt) / 1000;
  return { steps, seconds, stepsPerSecond: seconds > 0 ? steps / seconds : 0 };
}
