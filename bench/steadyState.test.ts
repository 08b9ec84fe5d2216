import { describe, expect, it } from 'vitest';
import { steadyStepsPerSecond } from './steadyState.ts';

describe('steady-state throughput', () => {
  it('counts the steps finished until the first context runs out of work, over that time', () => {
    // Two contexts from t=0. A: task 1 (0–4000), then task 3, the last to start (4000–6500). B: task 2
    // (0–5000), then nothing: from 5000 B waits for work. Steps end at 1000, 2000, 3000, 3500, 4000,
    // 5000 (inside) and 6000, 6500 (the tail, one context idle).
    const figure = steadyStepsPerSecond({
      startedAt: 0,
      taskStarts: [0, 0, 4000],
      taskEnds: [4000, 5000, 6500],
      stepEnds: [1000, 2000, 3000, 3500, 4000, 5000, 6000, 6500],
    });
    expect(figure).toEqual({ steps: 6, seconds: 5, stepsPerSecond: 1.2 });
  });

  it('takes the whole run on one context, which is never idle before the end', () => {
    // Tasks 0–3000, 3000–7000, 7000–9000: every step counts, over 9 s.
    const figure = steadyStepsPerSecond({
      startedAt: 0,
      taskStarts: [0, 3000, 7000],
      taskEnds: [3000, 7000, 9000],
      stepEnds: [1000, 3000, 5000, 7000, 8000, 9000],
    });
    expect(figure).toEqual({ steps: 6, seconds: 9, stepsPerSecond: 6 / 9 });
  });

  it('measures from when the work was handed out, not from the first task start', () => {
    // Delivery took 500 ms before the first task began: that is the pipeline's cost and is counted.
    expect(
      steadyStepsPerSecond({
        startedAt: 1000,
        taskStarts: [1500, 3000],
        taskEnds: [3000, 4000],
        stepEnds: [2000, 2500, 3000, 4000],
      }).seconds,
    ).toBe(3);
  });
});
