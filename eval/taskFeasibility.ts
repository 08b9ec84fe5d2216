// webtrail eval tasks: how many proposed tasks can be done — solved by at least one trajectory, by a
// program check where one is labelled, and by the judge otherwise (InSTA reports 89% feasible).
import type { Task, Verdict } from '../schemas/index.ts';
import { runKey, type Labels } from './labels.ts';

/** 'not executable': every run of the task met a site that made it impossible (a CAPTCHA, a login wall…). */
export type Decided = 'check' | 'judge' | 'not attempted' | 'not executable';

export interface TaskOutcome {
  taskId: string;
  domain: string;
  instruction: string;
  trajectories: number;
  decidedBy: Decided;
  feasible: boolean;
}

export interface FeasibilityReport {
  judgeVersion: string | null;
  threshold: number;
  tasks: number;
  attempted: number;
  feasible: number;
  share: number | null;
  /** Tasks whose every run was not executable: in no share (neither attempted nor feasible). */
  notExecutable: number;
  byCheck: { tasks: number; feasible: number };
  byJudge: { tasks: number; feasible: number };
  sites: Array<{ domain: string; tasks: number; attempted: number; feasible: number; share: number | null }>;
  outcomes: TaskOutcome[];
}

const share = (a: number, b: number) => (b === 0 ? null : a / b);

/** The judge version whose verdicts decide unlabelled tasks: the one given, or the most recent. */
export function latestJudgeVersion(verdicts: Verdict[]): string | null {
  let latest: Verdict | undefined;
  for (const v of verdicts) if (!latest || v.judgedAtMs > latest.judgedAtMs) latest = v;
  return latest?.judgeVersion ?? null;
}

export function taskFeasibility(
  tasks: Task[],
  verdicts: Verdict[],
  labels: Labels | null,
  options: { judgeVersion?: string | null; threshold?: number } = {},
): FeasibilityReport {
  const threshold = options.threshold ?? 0.5;
  const judgeVersion = options.judgeVersion === undefined ? latestJudgeVersion(verdicts) : options.judgeVersion;
  const byTask = new Map<string, Task>();
  for (const t of tasks) byTask.set(t.taskId, t);
  const verdictsOf = new Map<string, Verdict[]>();
  for (const v of verdicts) {
    const list = verdictsOf.get(v.trajectory.task.taskId);
    if (list) list.push(v);
    else verdictsOf.set(v.trajectory.task.taskId, [v]);
  }
  const outcomes: TaskOutcome[] = [...byTask.values()].map((task) => {
    const every = verdictsOf.get(task.taskId) ?? [];
    // Runs the site made impossible say nothing of the task's feasibility: only the others count.
    const all = every.filter((v) => !v.trajectory.notExecutable);
    const runs = new Map(all.map((v) => [runKey(v.trajectoryId, v.trajectory.runId), v]));
    const checked = [...runs.values()]
      .map((v) => labels?.of(v.trajectoryId, v.trajectory.runId))
      .filter((x): x is boolean => x !== undefined);
    const judged = all.filter((v) => v.judgeVersion === judgeVersion);
    const base = { taskId: task.taskId, domain: task.domain, instruction: task.instruction, trajectories: runs.size };
    if (every.length > 0 && all.length === 0) return { ...base, decidedBy: 'not executable' as const, feasible: false };
    if (checked.length) return { ...base, decidedBy: 'check' as const, feasible: checked.some(Boolean) };
    if (judged.length)
      return { ...base, decidedBy: 'judge' as const, feasible: judged.some((v) => v.success >= threshold) };
    return { ...base, decidedBy: 'not attempted' as const, feasible: false };
  });
  const attempted = outcomes.filter((o) => o.decidedBy !== 'not attempted' && o.decidedBy !== 'not executable');
  const count = (of: TaskOutcome[]) => ({ tasks: of.length, feasible: of.filter((o) => o.feasible).length });
  const domains = [...new Set(outcomes.map((o) => o.domain))].sort();
  return {
    judgeVersion,
    threshold,
    tasks: outcomes.length,
    attempted: attempted.length,
    feasible: attempted.filter((o) => o.feasible).length,
    share: share(attempted.filter((o) => o.feasible).length, attempted.length),
    notExecutable: outcomes.filter((o) => o.decidedBy === 'not executable').length,
    byCheck: count(outcomes.filter((o) => o.decidedBy === 'check')),
    byJudge: count(outcomes.filter((o) => o.decidedBy === 'judge')),
    sites: domains.map((domain) => {
      const of = outcomes.filter((o) => o.domain === domain);
      const tried = of.filter((o) => o.decidedBy !== 'not attempted' && o.decidedBy !== 'not executable');
      return {
        domain,
        tasks: of.length,
        attempted: tried.length,
        feasible: tried.filter((o) => o.feasible).length,
        share: share(tried.filter((o) => o.feasible).length, tried.length),
      };
    }),
    outcomes,
  };
}
