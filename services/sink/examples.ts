// verdicts → training examples: for a trajectory that passes the thresholds, one chat-format example
// per agent step — the system prompt and user turn exactly as the agent saw them, and its response.
import type { ChatMessage, TrainingExample, Verdict } from '../../schemas/types.ts';
import { stableId } from '../../platform/ids.ts';
import { AgentOutput } from '../../llm/outputs.ts';
import type { Prompt } from '../../llm/prompts.ts';
import { formatHistory } from '../../llm/trajectoryText.ts';

export interface Thresholds {
  minSuccess: number;
  minEfficiency: number;
  minSelfCorrection: number;
}

export interface ExampleOptions {
  thresholds: Thresholds;
  historySteps: number;
  maxSteps: number;
  /** The prompt the agent ran with, by its id (e.g. agent.v1). */
  agentPrompt(id: string): Prompt;
  now(): number;
}

export function passes(verdict: Verdict, t: Thresholds): boolean {
  return verdict.success >= t.minSuccess && verdict.efficiency >= t.minEfficiency && verdict.selfCorrection >= t.minSelfCorrection;
}

export function examplesFor(verdict: Verdict, options: ExampleOptions): TrainingExample[] {
  if (!passes(verdict, options.thresholds)) return [];
  const trajectory = verdict.trajectory;
  const promptId = trajectory.agentVersion.split('@').pop() ?? 'agent.v1';
  const prompt = options.agentPrompt(promptId);
  const examples: TrainingExample[] = [];
  trajectory.steps.forEach((step, index) => {
    // Only steps where the model gave a valid action that ran teach anything.
    if (!step.action || step.error || (step.action.kind !== 'answer' && !step.result?.ok)) return;
    if (!AgentOutput.safeParse(safeJson(step.llmOutput)).success) return;
    const before = trajectory.steps.slice(0, index);
    const rendered = prompt.render({
      instruction: trajectory.task.instruction, step: index + 1, maxSteps: options.maxSteps,
      actionsTaken: before.filter((s) => s.action && s.action.kind !== 'answer' && s.result?.ok).length,
      history: formatHistory(before, options.historySteps), observation: step.observation,
    });
    const messages: ChatMessage[] = [...rendered.map((m) => ({ role: m.role, content: m.content })), { role: 'assistant', content: step.llmOutput }];
    examples.push({
      exampleId: stableId('ex', trajectory.trajectoryId, index, verdict.judgeVersion),
      trajectoryId: trajectory.trajectoryId, taskId: trajectory.task.taskId, domain: trajectory.task.domain, step: index,
      judgeVersion: verdict.judgeVersion, agentVersion: trajectory.agentVersion, generatorVersion: trajectory.task.generatorVersion, messages,
      success: verdict.success, efficiency: verdict.efficiency, selfCorrection: verdict.selfCorrection, createdAtMs: options.now(),
    });
  });
  return examples;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
