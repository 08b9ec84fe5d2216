// verdicts → follow-up tasks: from a judged trajectory, the next task for its site: harder after a
// success, repaired after a failure, none when the site has nothing more to ask. Bounded (rounds and
// tasks per site) and idempotent (one follow-up per task, under an id fixed by the parent). Plain
// functions: the LLM and the table of known tasks come in as arguments.
import { type Task, taskRecordKey, TOPICS, type Verdict } from '../../schemas/index.ts';
import { ATTRS, KeyedLimiter, newTaskTrace, SPANS, stableId, WebtrailError } from '../../platform/index.ts';
import type { OutputRecord } from '../../bus/index.ts';
import {
  clipText,
  formatHistory,
  type LlmClient,
  nearDuplicateOf,
  pagesVisited,
  type Prompt,
  ProposalOutput,
  proposedTaskProblem,
  RefinementOutput,
  startUrlOnSite,
} from '../../llm/index.ts';
import type { RefinerConfig } from './config.ts';

/**
 * A task's only follow-up in a submission of its site: whatever verdict asks (a redelivery, a re-run,
 * another judge), there is one id.
 */
export const followUpTaskId = (parent: Pick<Task, 'taskId' | 'submissionId'>) =>
  stableId('task', 'follow-up', parent.taskId, parent.submissionId);

/** What the caps count as one site: a domain in one submission (a site submitted again is refined again). */
const siteKey = (domain: string, submissionId: string) => `${domain}\n${submissionId}`;

/**
 * The tasks each site has, read from webtrail.tasks: what the caps count, duplicates are checked against,
 * and which tasks have been followed up. A follow-up being sent is held as pending, so a second verdict of
 * the site sees it at once; the verdict that made it (retried after a failed send) does not count it
 * against itself.
 */
export class KnownTasks {
  private readonly bySite = new Map<string, Map<string, string>>();
  /** Tasks with follow-ups, by the site they are on. */
  private readonly followedUp = new Map<string, Set<string>>();
  private readonly pending = new Map<
    string,
    { site: string; instruction: string; parentTaskId: string; verdictId: string }
  >();

  remember(task: KnownTask): void {
    const key = siteKey(task.domain, task.submissionId);
    let site = this.bySite.get(key);
    if (!site) this.bySite.set(key, (site = new Map()));
    site.set(task.taskId, task.instruction);
    if (task.lineage) this.followedUp.set(key, (this.followedUp.get(key) ?? new Set()).add(task.lineage.parentTaskId));
    this.pending.delete(task.taskId);
  }

  /** Holds a follow-up while it is being sent (remember() once it is on the topic). */
  hold(task: KnownTask & { lineage: NonNullable<Task['lineage']> }, verdictId: string): void {
    const key = siteKey(task.domain, task.submissionId);
    if (!this.bySite.get(key)?.has(task.taskId))
      this.pending.set(task.taskId, {
        site: key,
        instruction: task.instruction,
        parentTaskId: task.lineage.parentTaskId,
        verdictId,
      });
  }

  /** The tasks of this task's site (its domain, in its submission) as the verdict `verdictId` is to see them. */
  site(of: Pick<Task, 'domain' | 'submissionId'>, verdictId = ''): SiteTasks {
    const key = siteKey(of.domain, of.submissionId);
    const tasks = new Map(this.bySite.get(key));
    const parents = new Set(this.followedUp.get(key));
    for (const [taskId, held] of this.pending) {
      if (held.site !== key || held.verdictId === verdictId) continue;
      tasks.set(taskId, held.instruction);
      parents.add(held.parentTaskId);
    }
    return { count: tasks.size, instructions: [...tasks.values()], followedUp: (taskId) => parents.has(taskId) };
  }

  get size(): number {
    let n = 0;
    for (const site of this.bySite.values()) n += site.size;
    return n;
  }
}

export type KnownTask = Pick<Task, 'taskId' | 'domain' | 'instruction' | 'submissionId' | 'lineage'>;

export interface SiteTasks {
  count: number;
  instructions: string[];
  /** Whether a task of the site has its follow-ups already. */
  followedUp(taskId: string): boolean;
}

export interface RefinerDeps {
  llm: LlmClient;
  prompt: Prompt;
  /** Proposes tasks from the pages an exploration saw. */
  explorePrompt: Prompt;
  config: RefinerConfig;
  now(): number;
}

export type RefineResult =
  /** One follow-up of a judged task, or the tasks proposed from an exploration. */
  | { kind: 'follow-up'; tasks: Task[] }
  /** No follow-up; asked: whether the LLM was asked (false when a cap or a rule decided first). */
  | { kind: 'none'; why: string; asked: boolean };

export function refinerVersion(deps: Pick<RefinerDeps, 'llm' | 'prompt'>, prompt: Prompt = deps.prompt): string {
  return `${deps.llm.model}@${prompt.id}`;
}

/** The round a follow-up of this task would be in. */
export const nextRound = (task: Task) => (task.lineage?.round ?? 0) + 1;

/** Why this verdict gets no follow-up before any LLM call, or null when the LLM is to be asked. */
export function refusal(verdict: Verdict, site: SiteTasks, config: RefinerConfig): string | null {
  const { task } = verdict.trajectory;
  if (config.rounds === 0) return 'refinement is off (WEBTRAIL_REFINER_ROUNDS=0)';
  if (!verdict.refine)
    return 'the verdict is not for refinement (a replay without --refine, or recorded before webtrail refined)';
  if (nextRound(task) > config.rounds)
    return `round ${nextRound(task)} is past WEBTRAIL_REFINER_ROUNDS=${config.rounds}`;
  if (site.followedUp(task.taskId)) return 'the task has its follow-up already';
  if (site.count >= config.maxTasksPerSite)
    return `the site has ${site.count} tasks, WEBTRAIL_REFINER_MAX_TASKS_PER_SITE=${config.maxTasksPerSite}`;
  // A rollout that broke down (browser crash, timeout) says nothing of the task.
  if (verdict.trajectory.status === 'error') return 'the trajectory ended in an error, which says nothing of the task';
  // The site made the task impossible (a CAPTCHA, a login wall…): no follow-up would fare better.
  if (verdict.trajectory.notExecutable)
    return `the site made the task impossible (${verdict.trajectory.notExecutable.reason})`;
  if (task.kind === 'explore' && verdict.trajectory.steps.length === 0) return 'the exploration saw no page';
  return null;
}

/** What the explorer's pages showed, once each, clipped: the ground of the proposals. */
const pagesExplored = (verdict: Verdict, perPage: number) =>
  pagesVisited(verdict.trajectory)
    .map((p) => `--- ${p.url}${p.title ? ` (${p.title})` : ''}\n${clipText(p.text, perPage)}`)
    .join('\n');

/** The site's root for a task's start URL; a start URL that is not one is named in the dead letter. */
function siteRootOf(startUrl: string): string {
  try {
    return new URL('/', startUrl).toString();
  } catch {
    throw new WebtrailError(
      `trajectory.task.startUrl ${JSON.stringify(startUrl.slice(0, 200))} is not a URL: nothing can be proposed for its site`,
      { retriable: false },
    );
  }
}

/** Tasks proposed from an exploration's pages, each checked as the generator checks its own. */
async function proposeFromExploration(
  verdict: Verdict,
  site: SiteTasks,
  deps: RefinerDeps,
  signal: AbortSignal,
): Promise<RefineResult> {
  const explored = verdict.trajectory.task;
  const siteUrl = siteRootOf(explored.startUrl);
  const room = Math.min(deps.config.tasksPerExploration, deps.config.maxTasksPerSite - site.count);
  const reply = await deps.llm.complete({
    messages: deps.explorePrompt.render({
      url: siteUrl,
      domain: explored.domain,
      count: room,
      pages: pagesExplored(verdict, 1500),
      siblings:
        site.instructions
          .filter((i) => i !== explored.instruction)
          .map((i) => `- ${i}`)
          .join('\n') || '(none)',
    }),
    schema: ProposalOutput,
    schemaName: 'Proposal',
    signal,
  });
  const tasks: Task[] = [];
  const dropped: string[] = [];
  for (const proposed of reply.value.tasks) {
    if (tasks.length >= room) break;
    const instruction = proposed.instruction.trim();
    const problem = proposedTaskProblem({ ...proposed, instruction });
    const twin = nearDuplicateOf(instruction, [...site.instructions, ...tasks.map((t) => t.instruction)]);
    if (problem || twin) {
      dropped.push(`${instruction}: ${problem ?? `repeats ${twin}`}`);
      continue;
    }
    tasks.push({
      taskId: stableId('task', 'explored', explored.taskId, explored.submissionId, instruction),
      domain: explored.domain,
      startUrl: startUrlOnSite(proposed.startUrl, siteUrl),
      instruction,
      steps: proposed.steps,
      successCriteria: proposed.successCriteria,
      generatorVersion: refinerVersion(deps, deps.explorePrompt),
      createdAtMs: deps.now(),
      usage: reply.usage,
      submissionId: explored.submissionId,
      kind: 'task',
      lineage: {
        parentTaskId: explored.taskId,
        rootTaskId: explored.taskId,
        round: nextRound(explored),
        direction: 'explored',
        reason: 'proposed from the pages the exploration saw',
        verdictId: verdict.verdictId,
        parentSuccess: verdict.success,
      },
    });
  }
  if (tasks.length === 0)
    return {
      kind: 'none',
      why: `the exploration gave no usable task${dropped.length ? ` (${dropped.join('; ')})` : ''}`,
      asked: true,
    };
  return { kind: 'follow-up', tasks };
}

/** The pages a trajectory went through, a line each. */
const pagesSeen = (verdict: Verdict) =>
  pagesVisited(verdict.trajectory)
    .map((p) => `- ${p.url}${p.title ? ` (${p.title})` : ''}`)
    .join('\n');

export async function refineVerdict(
  verdict: Verdict,
  site: SiteTasks,
  deps: RefinerDeps,
  signal: AbortSignal,
): Promise<RefineResult> {
  const refused = refusal(verdict, site, deps.config);
  if (refused) return { kind: 'none', why: refused, asked: false };
  if (verdict.trajectory.task.kind === 'explore') return proposeFromExploration(verdict, site, deps, signal);
  const { trajectory } = verdict;
  const parent = trajectory.task;
  const siteUrl = siteRootOf(parent.startUrl);
  const succeeded = verdict.success >= deps.config.successThreshold;
  const round = nextRound(parent);
  const reply = await deps.llm.complete({
    messages: deps.prompt.render({
      url: siteUrl,
      domain: parent.domain,
      round,
      maxRounds: deps.config.rounds,
      instruction: parent.instruction,
      steps: parent.steps.length ? parent.steps.join('; ') : '(none given)',
      criteria: parent.successCriteria.length ? parent.successCriteria.join('; ') : '(none given)',
      outcome: succeeded ? 'success' : 'failure',
      success: verdict.success,
      reasoning: verdict.reasoning || '(none given)',
      finalAnswer: trajectory.finalAnswer ?? '(none)',
      stepCount: trajectory.steps.length,
      status: trajectory.status,
      history: formatHistory(trajectory.steps, 30),
      pages: pagesSeen(verdict),
      finalObservation: clipText(trajectory.finalObservation, 4000),
      siblings: site.instructions.map((i) => `- ${i}`).join('\n') || '(none)',
    }),
    schema: RefinementOutput,
    schemaName: 'Refinement',
    signal,
  });
  const { decision, reason, task: proposed } = reply.value;
  if (decision === 'none' || !proposed)
    return { kind: 'none', why: `the refiner proposed none: ${reason || 'no reason given'}`, asked: true };
  const expected = succeeded ? 'harder' : 'repair';
  if (decision !== expected)
    return {
      kind: 'none',
      why: `the refiner proposed a ${decision} task after a ${succeeded ? 'success' : 'failure'}`,
      asked: true,
    };
  const instruction = proposed.instruction.trim();
  const problem = proposedTaskProblem({ ...proposed, instruction });
  if (problem) return { kind: 'none', why: `the follow-up ${problem}`, asked: true };
  const twin = nearDuplicateOf(instruction, site.instructions);
  if (twin) return { kind: 'none', why: `the follow-up repeats a task the site has: ${twin}`, asked: true };
  return {
    kind: 'follow-up',
    tasks: [
      {
        taskId: followUpTaskId(parent),
        domain: parent.domain,
        startUrl: startUrlOnSite(proposed.startUrl, siteUrl),
        instruction,
        steps: proposed.steps,
        successCriteria: proposed.successCriteria,
        generatorVersion: refinerVersion(deps),
        createdAtMs: deps.now(),
        usage: reply.usage,
        submissionId: parent.submissionId,
        kind: 'task',
        lineage: {
          parentTaskId: parent.taskId,
          rootTaskId: parent.lineage?.rootTaskId ?? parent.taskId,
          round,
          direction: decision,
          reason: reason || (succeeded ? 'harder after a success' : 'repaired after a failure'),
          verdictId: verdict.verdictId,
          parentSuccess: verdict.success,
        },
      },
    ],
  };
}

/**
 * Refines verdicts as they come, one verdict of a site at a time: each follow-up is held on its site
 * before the next verdict of the site is looked at, so two verdicts cannot both take the site's last
 * place, nor both follow up one task. The caller remembers a follow-up once it is on the topic.
 */
export class SiteRefiner {
  private readonly oneSiteAtATime = new KeyedLimiter(1);

  constructor(
    private readonly known: KnownTasks,
    private readonly deps: RefinerDeps,
  ) {}

  refine(verdict: Verdict, signal: AbortSignal): Promise<RefineResult> {
    const parent = verdict.trajectory.task;
    return this.oneSiteAtATime.run(parent.domain, async () => {
      const result = await refineVerdict(verdict, this.known.site(parent, verdict.verdictId), this.deps, signal);
      if (result.kind === 'follow-up')
        for (const task of result.tasks) this.known.hold({ ...task, lineage: task.lineage! }, verdict.verdictId);
      return result;
    });
  }
}

/** The follow-up tasks as records for the tasks topic, each starting its own trace, linked to the verdict's span. */
export function followUpRecords(tasks: Task[]): Array<OutputRecord<'Task'>> {
  return tasks.map((task) => ({
    topic: TOPICS.tasks.name,
    key: taskRecordKey(task),
    schema: 'Task',
    value: task,
    headers: newTaskTrace(SPANS.followUp, { [ATTRS.taskId]: task.taskId, [ATTRS.domain]: task.domain }),
  }));
}
