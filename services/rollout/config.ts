// Rollout settings (WEBTRAIL_ROLLOUT_*); those that shape the agent's prompt are read in llm/.
import { z } from 'zod';
import { loadAgentPromptConfig, type AgentPromptConfig } from '../../llm/agentPromptConfig.ts';
import { parseEnv, type Env } from '../../platform/config.ts';

export interface RolloutConfig extends AgentPromptConfig {
  /** Trajectories of one domain at once in this process. */
  perDomainConcurrency: number;
  screenshots: boolean;
  loopRepeats: number;
  maxConsecutiveErrors: number;
  /** A text field (observation, a step's prompt) larger than this goes to the blob store by reference. */
  inlineTextBytes: number;
}

export function loadRolloutConfig(env: Env = process.env): RolloutConfig {
  const raw = parseEnv(z.object({
    WEBTRAIL_ROLLOUT_PER_DOMAIN_CONCURRENCY: z.coerce.number().int().min(1).default(1),
    WEBTRAIL_ROLLOUT_SCREENSHOTS: z.enum(['true', 'false']).default('true'),
    WEBTRAIL_ROLLOUT_LOOP_REPEATS: z.coerce.number().int().min(2).default(3),
    WEBTRAIL_ROLLOUT_MAX_CONSECUTIVE_ERRORS: z.coerce.number().int().min(1).default(2),
    WEBTRAIL_ROLLOUT_INLINE_TEXT_KB: z.coerce.number().int().min(16).default(256),
  }), env);
  return {
    ...loadAgentPromptConfig(env),
    perDomainConcurrency: raw.WEBTRAIL_ROLLOUT_PER_DOMAIN_CONCURRENCY,
    screenshots: raw.WEBTRAIL_ROLLOUT_SCREENSHOTS === 'true',
    loopRepeats: raw.WEBTRAIL_ROLLOUT_LOOP_REPEATS,
    maxConsecutiveErrors: raw.WEBTRAIL_ROLLOUT_MAX_CONSECUTIVE_ERRORS,
    inlineTextBytes: raw.WEBTRAIL_ROLLOUT_INLINE_TEXT_KB * 1024,
  };
}
