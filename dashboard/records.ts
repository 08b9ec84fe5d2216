// The small rows the dashboard keeps of the big records: a verdict without the trajectory it carries, a
// training example without its messages (its answer is the step's reply, in the spilled trajectory).
// Tens of thousands of trajectories fit in memory this way.
import type { TrainingExample, Verdict } from '../schemas/index.ts';
import type { ExampleRow, VerdictRow } from './trajectoryPage.ts';

export function verdictRow(v: Verdict): VerdictRow {
  return {
    verdictId: v.verdictId,
    judgeVersion: v.judgeVersion,
    runId: v.trajectory.runId,
    success: v.success,
    efficiency: v.efficiency,
    selfCorrection: v.selfCorrection,
    reasoning: v.reasoning,
    judgedAtMs: v.judgedAtMs,
  };
}

export function exampleRow(x: TrainingExample): ExampleRow {
  return { exampleId: x.exampleId, runId: x.runId, step: x.step, judgeVersion: x.judgeVersion };
}
