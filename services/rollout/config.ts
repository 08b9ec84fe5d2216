// Rollout settings (WEBTRAIL_ROLLOUT_*).
import { z } from 'zod';
import { parseEnv, type Env } from '../shared/config.ts';

export interface RolloutConfig {
  maxSteps: number;
  /** Steps of history the agent's prompt carries. */
  historySteps: number;
  /** Trajectories of one domain at once in this process. */
  perDomainConcurrency: number;
  screenshots: boolean;
  agentPrompt: string;
  loopRepeats: number;
  maxConsecutiveErrors: number;
}

export function loadRolloutConfig(env: Env = process.env): RolloutConfig {
  const raw = parseEnv(z.object({
    WEBTRAIL_ROLLOUT_MAX_STEPS: z.coerce.number().int().min(1).max(200).default(30),
    WEBTRAIL_ROLLOUT_HISTORY_STEPS: z.coerce.number().int().min(0).max(50).default(5),
    WEBTRAIL_ROLLOUT_PER_DOMAIN_CONCURRENCY: z.coerce.number().int().min(1).default(1),
    WEBTRAIL_ROLLOUT_SCREENSHOTS: z.enum(['true', 'false']).default('true'),
    WEBTRAIL_ROLLOUT_AGENT_PROMPT: z.string().regex(/^v\d+$/, 'expected a version like v1').default('v1'),
    WEBTRAIL_ROLLOUT_LOOP_REPEATS: z.coerce.number().int().min(2).default(3),
    WEBTRAIL_ROLLOUT_MAX_CONSECUTIVE_ERRORS: z.coerce.number().int().min(1).default(2),
  }), env);
  return {
    maxSteps: raw.WEBTRAIL_ROLLOUT_MAX_STEPS,
    historySteps: raw.WEBTRAIL_ROLLOUT_HISTORY_STEPS,
    perDomainConcurrency: raw.WEBTRAIL_ROLLOUT_PER_DOMAIN_CONCURRENCY,
    screenshots: raw.WEBTRAIL_ROLLOUT_SCREENSHOTS === 'true',
    agentPrompt: raw.WEBTRAIL_ROLLOUT_AGENT_PROMPT,
    loopRepeats: raw.WEBTRAIL_ROLLOUT_LOOP_REPEATS,
    maxConsecutiveErrors: raw.WEBTRAIL_ROLLOUT_MAX_CONSECUTIVE_ERRORS,
  };
}
