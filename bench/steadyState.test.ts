import { describe, expect, it } from 'vitest';
import { steadyStepsPerSecond } from './steadyState.ts';

describe('steady-state throughput', () => {
  it('counts the steps finished before the last task started, over that time', () => {
    // Two contexts from t=0: tasks start at 0, 0, 4000 (the last); steps end at 1000, 2000, 3000, 3500,
    // 4000 (inside), 5000 and 6000 (the tail, after the last start).
    const figure = steadyStepsPerSecond({ startedAt: 0, taskStarts: [0, 0, 4000], stepEnds: [1000, 2000, 3000, 3500, 4000, 5000, 6000] });
    expect(figure).toEqual({ steps: 5, seconds: 4, stepsPerSecond: 1.25 });
  });

  it('measures from when the work was handed out, not from the first task start', () => {
    // Delivery took 500 ms before the first task began: that is the pipeline's cost and is counted.
    expect(steadyStepsPerSecond({ startedAt: 1000, taskStarts: [1500, 3000], stepEnds: [2000, 2500, 3000, 4000] }).seconds).toBe(2);
  });
});
