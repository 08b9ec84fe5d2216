// Rollout settings (WEBTRAIL_ROLLOUT_*); those that shape the agent's prompt are read in llm/.
import { z } from 'zod';
import { loadAgentPromptConfig, type AgentPromptConfig } from '../../llm/index.ts';
import { parseEnv, type Env } from '../../platform/index.ts';

export interface RolloutConfig extends AgentPromptConfig {
  /** Trajectories of one domain at once in this process. */
  perDomainConcurrency: number;
  screenshots: boolean;
  loopRepeats: number;
  maxConsecutiveErrors: number;
  /** A text field (observation, a step's prompt) larger than this goes to the blob store by reference. */
  inlineTextBytes: number;
  /** Best-of-n: attempts per task (each with its own seed), the sink keeping the best judged one. */
  attempts: number;
  /** Tasks of an earlier refinement round than this get one attempt (1: only the refiner's follow-ups get n). */
  attemptsFromRound: number;
  /** The agent's temperature in an attempt of a task given several (so that attempts differ). */
  attemptTemperature: number;
}

export function loadRolloutConfig(env: Env = process.env): RolloutConfig {
  const raw = parseEnv(
    z.object({
      WEBTRAIL_ROLLOUT_PER_DOMAIN_CONCURRENCY: z.coerce.number().int().min(1).default(1),
      WEBTRAIL_ROLLOUT_SCREENSHOTS: z.enum(['true', 'false']).default('true'),
      WEBTRAIL_ROLLOUT_LOOP_REPEATS: z.coerce.number().int().min(2).default(3),
      WEBTRAIL_ROLLOUT_MAX_CONSECUTIVE_ERRORS: z.coerce.number().int().min(1).default(2),
      WEBTRAIL_ROLLOUT_INLINE_TEXT_KB: z.coerce.number().int().min(16).default(256),
      WEBTRAIL_ROLLOUT_ATTEMPTS: z.coerce.number().int().min(1).max(16).default(1),
      WEBTRAIL_ROLLOUT_ATTEMPTS_FROM_ROUND: z.coerce.number().int().min(0).default(0),
      WEBTRAIL_ROLLOUT_ATTEMPT_TEMPERATURE: z.coerce.number().min(0).max(2).default(0.7),
    }),
    env,
  );
  return {
    ...loadAgentPromptConfig(env),
    perDomainConcurrency: raw.WEBTRAIL_ROLLOUT_PER_DOMAIN_CONCURRENCY,
    screenshots: raw.WEBTRAIL_ROLLOUT_SCREENSHOTS === 'true',
    loopRepeats: raw.WEBTRAIL_ROLLOUT_LOOP_REPEATS,
    maxConsecutiveErrors: raw.WEBTRAIL_ROLLOUT_MAX_CONSECUTIVE_ERRORS,
    inlineTextBytes: raw.WEBTRAIL_ROLLOUT_INLINE_TEXT_KB * 1024,
    attempts: raw.WEBTRAIL_ROLLOUT_ATTEMPTS,
    attemptsFromRound: raw.WEBTRAIL_ROLLOUT_ATTEMPTS_FROM_ROUND,
    attemptTemperature: raw.WEBTRAIL_ROLLOUT_ATTEMPT_TEMPERATURE,
  };
}

/** Every stage's settings face has this name, so tools can read each stage's settings by the stage's name. */
export const loadConfig = loadRolloutConfig;
