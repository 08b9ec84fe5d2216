// webtrail view <trajectoryId>: finds a trajectory and its verdicts on the topics, fetches its screenshots
// from whichever blob store holds them, and writes one self-contained HTML page.
import { writeFile } from 'node:fs/promises';
import { errorMessage, readBlob, UserInputError } from '../platform/index.ts';
import { TOPICS, type Trajectory, type Verdict } from '../schemas/index.ts';
import { readTopics } from '../bus/index.ts';
import { type Screenshot, standaloneTrajectoryHtml, verdictRow } from '../dashboard/index.ts';

export interface ViewResult {
  trajectory: Trajectory;
  verdicts: number;
  screenshots: number;
  missing: number;
  /** Other runs of the trajectory on the topic (a redelivered rollout), not shown. */
  otherRuns: string[];
}

export async function viewTrajectory(
  trajectoryId: string,
  options: { out: string; runId?: string; traceUrl?: string },
): Promise<ViewResult> {
  const runs: Array<{ trajectory: Trajectory; traceId?: string }> = [];
  const verdicts: Verdict[] = [];
  await readTopics([TOPICS.trajectories.name, TOPICS.verdicts.name], {
    fromBeginning: true,
    follow: false,
    onRecord: (r) => {
      const value = r.value as (Trajectory & Verdict) | undefined;
      if (!value || value.trajectoryId !== trajectoryId) return;
      if (r.topic === TOPICS.trajectories.name) runs.push({ trajectory: value, traceId: r.traceId });
      else verdicts.push(value);
    },
  });
  if (runs.length === 0)
    throw new UserInputError(
      `no trajectory ${trajectoryId} on ${TOPICS.trajectories.name} (ids are printed by webtrail tap ${TOPICS.trajectories.name})`,
    );
  const chosen = options.runId === undefined ? runs[0]! : runs.find((r) => r.trajectory.runId === options.runId);
  if (!chosen)
    throw new UserInputError(
      `trajectory ${trajectoryId} has no run ${options.runId} (its runs: ${runs.map((r) => r.trajectory.runId || '(none)').join(', ')})`,
    );
  const { trajectory } = chosen;

  const screenshots = new Map<string, Screenshot>();
  for (const ref of new Set(trajectory.steps.map((s) => s.screenshotRef).filter((r): r is string => r !== null))) {
    try {
      screenshots.set(ref, { src: `data:image/jpeg;base64,${(await readBlob(ref)).toString('base64')}` });
    } catch (error) {
      screenshots.set(ref, { src: null, problem: errorMessage(error) });
    }
  }
  const rows = verdicts.map(verdictRow).filter((v) => v.runId === trajectory.runId);
  await writeFile(
    options.out,
    standaloneTrajectoryHtml({
      trajectory,
      verdicts: rows,
      traceId: chosen.traceId,
      traceUrl: options.traceUrl,
      screenshots: (step) => (step.screenshotRef ? screenshots.get(step.screenshotRef)! : { src: null }),
      otherRuns: runs.filter((r) => r !== chosen).map((r) => ({ runId: r.trajectory.runId, href: null })),
    }),
  );
  return {
    trajectory,
    verdicts: rows.length,
    screenshots: [...screenshots.values()].filter((s) => s.src).length,
    missing: [...screenshots.values()].filter((s) => !s.src).length,
    otherRuns: runs.filter((r) => r !== chosen).map((r) => r.trajectory.runId),
  };
}
