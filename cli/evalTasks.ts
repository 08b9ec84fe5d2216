// webtrail eval tasks: the share of proposed tasks that at least one trajectory solved.
import { type Task, TOPICS, type Verdict } from '../schemas/index.ts';
import { readTopics } from '../bus/index.ts';
import { UserInputError } from '../platform/index.ts';
import { type FeasibilityReport, readLabels, taskFeasibility } from '../eval/index.ts';
import { formatTable, pct } from './table.ts';
import { writeEvalReport } from './evalReport.ts';

export interface EvalTasksOptions {
  labels?: string;
  judgeVersion?: string;
  threshold: number;
  out?: string;
  json?: boolean;
}

export function formatTaskFeasibility(r: FeasibilityReport): string {
  const head = `${r.tasks} tasks proposed, ${r.attempted} rolled out: ${r.feasible} feasible (${pct(r.share)}); by program check ${r.byCheck.feasible} of ${r.byCheck.tasks}, by the judge (${r.judgeVersion ?? 'none'}, success ≥ ${r.threshold}) ${r.byJudge.feasible} of ${r.byJudge.tasks}${r.notExecutable ? `; ${r.notExecutable} not executable (the site made them impossible), counted in neither` : ''}`;
  const sites = r.sites.map((s) => ({
    site: s.domain,
    tasks: s.tasks,
    'rolled out': s.attempted,
    feasible: s.feasible,
    share: pct(s.share),
  }));
  const unsolved = r.outcomes
    .filter((o) => o.decidedBy !== 'not attempted' && o.decidedBy !== 'not executable' && !o.feasible)
    .slice(0, 10)
    .map((o) => ({
      site: o.domain,
      'decided by': o.decidedBy,
      trajectories: o.trajectories,
      'not solved': o.instruction.slice(0, 90),
    }));
  return [head, '', formatTable(sites), ...(unsolved.length ? ['', formatTable(unsolved)] : [])].join('\n');
}

export async function evalTasks(options: EvalTasksOptions, print: (line: string) => void): Promise<FeasibilityReport> {
  const labels = options.labels ? readLabels(options.labels) : null;
  const tasks: Task[] = [];
  const verdicts: Verdict[] = [];
  await readTopics([TOPICS.tasks.name, TOPICS.verdicts.name], {
    fromBeginning: true,
    follow: false,
    onRecord: (r) =>
      void (r.topic === TOPICS.tasks.name ? tasks.push(r.value as Task) : verdicts.push(r.value as Verdict)),
  });
  if (options.judgeVersion && !verdicts.some((v) => v.judgeVersion === options.judgeVersion)) {
    throw new UserInputError(
      `--judge-version ${options.judgeVersion}: no verdicts by it; the topic holds ${[...new Set(verdicts.map((v) => v.judgeVersion))].sort().join(', ') || 'none'}`,
    );
  }
  if (tasks.length === 0)
    throw new UserInputError(`no tasks in ${TOPICS.tasks.name} yet: submit sites first (webtrail submit)`);
  const report = taskFeasibility(tasks, verdicts, labels, {
    judgeVersion: options.judgeVersion,
    threshold: options.threshold,
  });
  const out = writeEvalReport('tasks', { labelsFile: options.labels ?? null, ...report }, options.out);
  print(options.json ? JSON.stringify(report) : `${formatTaskFeasibility(report)}\n\nreport: ${out}`);
  return report;
}
