// verdicts → training examples: for a trajectory that passes the filter, one chat-format example
// per agent step — the system prompt and user turn exactly as the agent was sent them (recorded in the
// trajectory), and its response.
import type { ChatMessage, TrainingExample, Trajectory, Verdict } from '../../schemas/index.ts';
import { estimatePromptTokens, stableId } from '../../platform/index.ts';
import { AgentOutput, formatHistory, type Prompt } from '../../llm/index.ts';
import type { ExampleFilter } from '../../dataset/index.ts';

export interface ExampleOptions {
  filter: ExampleFilter;
  /** Applied to every message's text (PII scrubbing), when set. */
  scrub?: (text: string) => string;
  /** Only for trajectories recorded before prompts were kept: how their user turn is rendered again. */
  historySteps: number;
  maxSteps: number;
  /** The prompt the agent ran with, by its id (e.g. agent.v1); only for those older trajectories. */
  agentPrompt(id: string): Prompt;
  now(): number;
  /** Counts an example's tokens (the sink's tokenizer); without it examples carry 0. */
  countTokens?: (text: string) => number;
  /** Make examples of exploration trajectories too (they have no success check; left out by default). */
  keepExploration?: boolean;
}

export function examplesFor(verdict: Verdict, options: ExampleOptions): TrainingExample[] {
  if (!options.filter.keeps(verdict)) return [];
  if (verdict.trajectory.task.kind === 'explore' && !options.keepExploration) return [];
  // A site that could not be done teaches nothing, whatever the filter (even WEBTRAIL_SINK_FILTER=all).
  if (verdict.trajectory.notExecutable) return [];
  const scrub = options.scrub ?? ((text: string) => text);
  const trajectory = verdict.trajectory;
  const examples: TrainingExample[] = [];
  trajectory.steps.forEach((step, index) => {
    // Only steps where the model gave a valid action that ran teach anything.
    if (!step.action || step.error || (step.action.kind !== 'answer' && !step.result?.ok)) return;
    if (!AgentOutput.safeParse(safeJson(step.llmOutput)).success) return;
    // What the agent was sent, as recorded by the rollout; rendered again only for a trajectory recorded
    // before webtrail kept it (and then with this process's prompt files and settings).
    const sent = step.prompt ?? legacyPrompt(trajectory, index, options);
    const messages: ChatMessage[] = [...sent, { role: 'assistant' as const, content: step.llmOutput }].map((m) => ({
      role: m.role,
      content: scrub(m.content),
    }));
    examples.push({
      // With the run in it, two runs of one trajectory never share an id (legacy trajectories have none).
      exampleId: trajectory.runId
        ? stableId('ex', trajectory.trajectoryId, trajectory.runId, index, verdict.judgeVersion)
        : stableId('ex', trajectory.trajectoryId, index, verdict.judgeVersion),
      trajectoryId: trajectory.trajectoryId,
      runId: trajectory.runId,
      taskId: trajectory.task.taskId,
      domain: trajectory.task.domain,
      step: index,
      judgeVersion: verdict.judgeVersion,
      agentVersion: trajectory.agentVersion,
      generatorVersion: trajectory.task.generatorVersion,
      messages,
      success: verdict.success,
      efficiency: verdict.efficiency,
      selfCorrection: verdict.selfCorrection,
      createdAtMs: options.now(),
      tokens: options.countTokens ? estimatePromptTokens(messages, options.countTokens) : 0,
      round: trajectory.task.lineage?.round ?? 0,
      parentTaskId: trajectory.task.lineage?.parentTaskId ?? '',
      attempts: trajectory.attempts,
      attempt: trajectory.attempt,
    });
  });
  return examples;
}

function legacyPrompt(trajectory: Trajectory, index: number, options: ExampleOptions): ChatMessage[] {
  const prompt = options.agentPrompt(trajectory.agentVersion.split('@').pop() ?? 'agent.v1');
  const before = trajectory.steps.slice(0, index);
  return prompt.render({
    instruction: trajectory.task.instruction,
    step: index + 1,
    maxSteps: options.maxSteps,
    // As counted when these prompts were sent, waits included (the rollout's actionsTaken no longer counts them).
    actionsTaken: before.filter((s) => s.action && s.action.kind !== 'answer' && s.result?.ok).length,
    history: formatHistory(before, options.historySteps),
    observation: trajectory.steps[index]!.observation,
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
