// webtrail eval judge: every judge version's verdicts joined with ground truth, measured side by side.
import type { Verdict } from '../schemas/index.ts';
import { classificationMetrics, type ClassificationMetrics } from './classification.ts';
import { runKey, type Labels } from './labels.ts';

export interface JudgeEvalReport {
  labels: number;
  threshold: number;
  versions: Array<{ judgeVersion: string; verdicts: number; unlabelled: number; metrics: ClassificationMetrics }>;
}

/**
 * Joins verdicts with labels by trajectory run. A run judged more than once by one version (a replay
 * repeated) counts once, its latest verdict.
 */
export function evaluateJudges(
  verdicts: Verdict[],
  labels: Labels,
  options: { versions?: string[]; threshold?: number } = {},
): JudgeEvalReport {
  const threshold = options.threshold ?? 0.5;
  const latest = new Map<string, Map<string, Verdict>>();
  for (const v of verdicts) {
    if (options.versions?.length && !options.versions.includes(v.judgeVersion)) continue;
    const byTrajectory = latest.get(v.judgeVersion) ?? new Map<string, Verdict>();
    latest.set(v.judgeVersion, byTrajectory);
    const run = runKey(v.trajectoryId, v.trajectory.runId);
    const seen = byTrajectory.get(run);
    if (!seen || v.judgedAtMs >= seen.judgedAtMs) byTrajectory.set(run, v);
  }
  const versions = [...latest]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([judgeVersion, byTrajectory]) => {
      const all = [...byTrajectory.values()];
      const cases = all.flatMap((v) => {
        const truth = labels.of(v.trajectoryId, v.trajectory.runId);
        return truth === undefined ? [] : [{ score: v.success, truth }];
      });
      return {
        judgeVersion,
        verdicts: all.length,
        unlabelled: all.length - cases.length,
        metrics: classificationMetrics(cases, threshold),
      };
    });
  return { labels: labels.size, threshold, versions };
}
