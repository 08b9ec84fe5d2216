// trajectories → verdicts: the judge sees the task with its steps and criteria, the actions and the
// last observations, the final answer and the final page, and scores success, efficiency and
// self-correction. Versioned by model and prompt: the version names the dataset.
import type { Trajectory, Verdict } from '../../schemas/index.ts';
import { stableId } from '../../platform/index.ts';
import { clipText, formatHistory, JudgeOutput, type LlmClient, type Prompt, zeroUsage } from '../../llm/index.ts';

export interface JudgeDeps {
  llm: LlmClient;
  prompt: Prompt;
  /** Overrides model@prompt as the version (e.g. for a re-judging run). */
  version?: string;
  /** Observations of the last K steps shown beside the actions. */
  observationSteps: number;
  /** Whether the refiner may follow its verdicts up (the live judge: yes; a replay: only with --refine). */
  refine: boolean;
  now(): number;
}

export function judgeVersion(deps: Pick<JudgeDeps, 'llm' | 'prompt' | 'version'>): string {
  return deps.version ?? `${deps.llm.model}@${deps.prompt.id}`;
}

/** How much of each recent page the judge is shown. */
export const JUDGE_PAGE_CHARS = 1500;

export function judgeHistory(trajectory: Trajectory, observationSteps: number): string {
  const actions = formatHistory(trajectory.steps, trajectory.steps.length);
  const recent = trajectory.steps
    .slice(-observationSteps)
    .map((s) => `--- page before step ${s.index + 1} (${s.url}):\n${clipText(s.observation, JUDGE_PAGE_CHARS)}`);
  return `${actions}${recent.length ? `\n\nLast observations:\n${recent.join('\n')}` : ''}`;
}

export async function judgeTrajectory(trajectory: Trajectory, deps: JudgeDeps, signal: AbortSignal): Promise<Verdict> {
  const version = judgeVersion(deps);
  const { task } = trajectory;
  const verdictId = trajectory.runId
    ? stableId('verdict', trajectory.trajectoryId, trajectory.runId, version)
    : stableId('verdict', trajectory.trajectoryId, version);
  // An exploration has no success check: it is passed on (for the refiner) without an LLM call, its
  // success saying only whether it ended with a summary.
  if (task.kind === 'explore') {
    const ended = trajectory.status === 'answered' ? 1 : 0;
    return {
      verdictId,
      trajectoryId: trajectory.trajectoryId,
      judgeVersion: version,
      success: ended,
      efficiency: ended,
      selfCorrection: ended,
      reasoning: `An exploration of the site: no success check, not judged (it ended ${trajectory.status}).`,
      judgedAtMs: deps.now(),
      usage: zeroUsage(),
      trajectory,
      refine: deps.refine,
    };
  }
  // A site that could not be done says nothing of the agent: passed on without an LLM call, scored 0, and
  // kept out of success rates, training data and refinement by its status (not by these scores).
  if (trajectory.notExecutable)
    return {
      verdictId,
      trajectoryId: trajectory.trajectoryId,
      judgeVersion: version,
      success: 0,
      efficiency: 0,
      selfCorrection: 0,
      reasoning: `Not executable, not judged: ${trajectory.notExecutable.reason}: ${trajectory.notExecutable.detail}.`,
      judgedAtMs: deps.now(),
      usage: zeroUsage(),
      trajectory,
      refine: deps.refine,
    };
  const reply = await deps.llm.complete({
    messages: deps.prompt.render({
      instruction: task.instruction,
      domain: task.domain,
      steps: task.steps.length ? task.steps.join('; ') : '(none given)',
      criteria: task.successCriteria.length ? task.successCriteria.join('; ') : '(none given)',
      stepCount: trajectory.steps.length,
      status: trajectory.status,
      statusReason: trajectory.statusReason ? `: ${trajectory.statusReason}` : '',
      history: judgeHistory(trajectory, deps.observationSteps),
      finalAnswer: trajectory.finalAnswer ?? '(none)',
      finalUrl: trajectory.finalUrl,
      finalObservation: clipText(trajectory.finalObservation, 6000),
    }),
    schema: JudgeOutput,
    schemaName: 'Verdict',
    signal,
  });
  return {
    verdictId,
    trajectoryId: trajectory.trajectoryId,
    judgeVersion: version,
    success: reply.value.success,
    efficiency: reply.value.efficiency,
    selfCorrection: reply.value.selfCorrection,
    reasoning: reply.value.reasoning,
    judgedAtMs: deps.now(),
    usage: reply.usage,
    trajectory,
    refine: deps.refine,
  };
}
