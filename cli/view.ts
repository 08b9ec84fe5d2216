// webtrail view <trajectoryId>: finds a trajectory and its verdicts on the topics, fetches its screenshots
// from whichever blob store holds them, and writes one self-contained HTML page.
import { writeFile } from 'node:fs/promises';
import { readBlob } from '../platform/blobStore.ts';
import { errorMessage, UserInputError } from '../platform/errors.ts';
import { TOPICS } from '../schemas/topics.ts';
import type { Trajectory, Verdict } from '../schemas/types.ts';
import { readTopics } from '../bus/topicReader.ts';
import { trajectoryHtml, type Screenshot } from '../dashboard/trajectoryPage.ts';

export interface ViewResult {
  trajectory: Trajectory;
  verdicts: number;
  screenshots: number;
  missing: number;
  /** Other runs of the trajectory on the topic (a redelivered rollout), not shown. */
  otherRuns: string[];
}

export async function viewTrajectory(trajectoryId: string, options: { out: string; runId?: string }): Promise<ViewResult> {
  const runs: Trajectory[] = [];
  const verdicts: Verdict[] = [];
  await readTopics([TOPICS.trajectories.name, TOPICS.verdicts.name], {
    fromBeginning: true, follow: false,
    onRecord: (r) => {
      const value = r.value as (Trajectory & Verdict) | undefined;
      if (!value || value.trajectoryId !== trajectoryId) return;
      if (r.topic === TOPICS.trajectories.name) runs.push(value);
      else verdicts.push(value);
    },
  });
  if (runs.length === 0) throw new UserInputError(`no trajectory ${trajectoryId} on ${TOPICS.trajectories.name} (ids are printed by webtrail tap ${TOPICS.trajectories.name})`);
  const trajectory = options.runId === undefined ? runs[0]! : runs.find((t) => t.runId === options.runId);
  if (!trajectory) throw new UserInputError(`trajectory ${trajectoryId} has no run ${options.runId} (its runs: ${runs.map((t) => t.runId || '(none)').join(', ')})`);
  const ofRun = verdicts.filter((v) => v.trajectory.runId === trajectory.runId);

  const screenshots = new Map<string, Screenshot>();
  for (const ref of new Set(trajectory.steps.map((s) => s.screenshotRef).filter((r): r is string => r !== null))) {
    try {
      screenshots.set(ref, { dataUri: `data:image/jpeg;base64,${(await readBlob(ref)).toString('base64')}` });
    } catch (error) {
      screenshots.set(ref, { dataUri: null, problem: errorMessage(error) });
    }
  }
  await writeFile(options.out, trajectoryHtml(trajectory, ofRun, screenshots));
  return {
    trajectory, verdicts: ofRun.length, screenshots: [...screenshots.values()].filter((s) => s.dataUri).length,
    missing: [...screenshots.values()].filter((s) => !s.dataUri).length,
    otherRuns: runs.filter((t) => t !== trajectory).map((t) => t.runId),
  };
}
