// The small rows the dashboard keeps of the big records: a verdict without the trajectory it carries, a
// training example without its prompt. Thousands of trajectories fit in memory this way.
import type { TrainingExample, Verdict } from '../schemas/types.ts';
import type { ExampleRow, VerdictRow } from './trajectoryPage.ts';

const TARGET_CHARS = 400;

export function verdictRow(v: Verdict): VerdictRow {
  return {
    verdictId: v.verdictId, judgeVersion: v.judgeVersion, runId: v.trajectory.runId, success: v.success, efficiency: v.efficiency,
    selfCorrection: v.selfCorrection, reasoning: v.reasoning, judgedAtMs: v.judgedAtMs,
  };
}

export function exampleRow(x: TrainingExample): ExampleRow {
  const target = x.messages.at(-1)?.content ?? '';
  return {
    exampleId: x.exampleId, runId: x.runId, step: x.step, judgeVersion: x.judgeVersion,
    target: target.length > TARGET_CHARS ? `${target.slice(0, TARGET_CHARS)}…` : target,
  };
}
