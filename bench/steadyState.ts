// Throughput while every context has work. A run of N tasks on C contexts ends with a tail in which
// contexts fall idle one by one; how long that tail lasts depends on which tasks happen to come last,
// and on timing (the bare loop runs them in the pipeline's order, yet which context takes which task
// can differ), so whole-run figures moved by up to 20% between identical runs. Until the last task has started, no
// context waits for work, so steps finished in [start, last task started] over that time is the
// steady rate a days-long run sees.
export interface RunTimes {
  /** When the work was handed out (ms). */
  startedAt: number;
  /** When each task began on a context (ms). */
  taskStarts: number[];
  /** When each step finished (ms). */
  stepEnds: number[];
}

export function steadyStepsPerSecond(run: RunTimes): { steps: number; seconds: number; stepsPerSecond: number } {
  const end = Math.max(...run.taskStarts);
  const steps = run.stepEnds.filter((t) => t <= end).length;
  const seconds = (end - run.startedAt) / 1000;
  return { steps, seconds, stepsPerSecond: seconds > 0 ? steps / seconds : 0 };
}
