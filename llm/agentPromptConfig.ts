// What shapes the agent's prompt (WEBTRAIL_ROLLOUT_*): the rollout renders it and the sink renders the
// training example's user turn from the same settings, so both read them here.
import { z } from 'zod';
import { parseEnv, type Env } from '../platform/index.ts';

export interface AgentPromptConfig {
  maxSteps: number;
  /** Steps of history the agent's prompt carries. */
  historySteps: number;
  agentPrompt: string;
}

export function loadAgentPromptConfig(env: Env = process.env): AgentPromptConfig {
  const raw = parseEnv(
    z.object({
      WEBTRAIL_ROLLOUT_MAX_STEPS: z.coerce.number().int().min(1).max(200).default(30),
      WEBTRAIL_ROLLOUT_HISTORY_STEPS: z.coerce.number().int().min(0).max(50).default(5),
      WEBTRAIL_ROLLOUT_AGENT_PROMPT: z
        .string()
        .regex(/^v\d+$/, 'expected a version like v1')
        .default('v2'),
    }),
    env,
  );
  return {
    maxSteps: raw.WEBTRAIL_ROLLOUT_MAX_STEPS,
    historySteps: raw.WEBTRAIL_ROLLOUT_HISTORY_STEPS,
    agentPrompt: raw.WEBTRAIL_ROLLOUT_AGENT_PROMPT,
  };
}
