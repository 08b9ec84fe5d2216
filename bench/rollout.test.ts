import { describe, expect, it } from 'vitest';
import { medianRow, type ThroughputRow } from './rollout.ts';

const split = (observe: number) => ({ observe, llm: 500, act: 100, outside_steps_per_trajectory: 900 });
const row = (ratio: number, stepsPerS: number, baseline: number, observe: number): ThroughputRow => ({
  contexts: 4,
  trajectories: 12,
  steps_per_s: stepsPerS,
  trajectories_per_min: 10,
  baseline_steps_per_s: baseline,
  ratio,
  whole_run_steps_per_s: 1,
  baseline_whole_run_steps_per_s: 1,
  whole_run_ratio: 1,
  baseline_trajectories_per_min: 10,
  trajectory_ratio: 1,
  steps_per_trajectory: 5,
  baseline_steps_per_trajectory: 5,
  cpu_percent: 150,
  baseline_cpu_percent: 140,
  cpu_s_per_step: 0.4,
  baseline_cpu_s_per_step: 0.35,
  chromium_cpu_s_per_step: 0.3,
  baseline_chromium_cpu_s_per_step: 0.25,
  service_cpu_s_per_step: 0.06,
  harness_cpu_s_per_step: 0.04,
  baseline_harness_cpu_s_per_step: 0.08,
  sandbox_cpu_s_per_step: 0.03,
  baseline_sandbox_cpu_s_per_step: 0.03,
  peak_rss_mb: 900,
  rss_mb_per_context: 100,
  baseline_peak_rss_mb: 800,
  step_ms: split(observe),
  baseline_step_ms: split(observe / 2),
  context_busy_share: 0.9,
  baseline_context_busy_share: 0.95,
  rounds: 1,
  round_ratios: [ratio],
});

describe("a level's rounds as one row", () => {
  it('takes the median of every figure, each round ratio kept, and the level and size as they are', () => {
    // By hand: ratios 0.82, 1.0, 0.93 → 0.93; steps/s 3.0, 4.0, 3.6 → 3.6; bare 3.66, 4.0, 3.87 → 3.87; observe 40, 20, 30 → 30.
    const merged = medianRow([row(0.82, 3.0, 3.66, 40), row(1.0, 4.0, 4.0, 20), row(0.93, 3.6, 3.87, 30)]);
    expect(merged).toMatchObject({
      contexts: 4,
      trajectories: 12,
      ratio: 0.93,
      steps_per_s: 3.6,
      baseline_steps_per_s: 3.87,
      rounds: 3,
      round_ratios: [0.82, 1.0, 0.93],
    });
    expect(merged.step_ms).toEqual(split(30));
    expect(merged.baseline_step_ms).toEqual(split(15));
  });

  it('averages the middle two of an even number of rounds', () => {
    expect(medianRow([row(0.8, 1, 1, 10), row(0.9, 1, 1, 10), row(1.0, 1, 1, 10), row(0.7, 1, 1, 10)]).ratio).toBe(
      0.85,
    );
  });
});
