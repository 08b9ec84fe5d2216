// Refiner settings (WEBTRAIL_REFINER_*): how many rounds of follow-up tasks a site gets, and how many
// tasks a site may hold in all.
import { z } from 'zod';
import { parseEnv, type Env } from '../../platform/index.ts';

export interface RefinerConfig {
  /** Follow-up rounds after the proposed tasks (round 0); 0 turns refinement off. */
  rounds: number;
  /** A site never holds more tasks than this, proposed and follow-ups together. */
  maxTasksPerSite: number;
  /** A verdict's success at or above this is a success (a harder task follows), below it a failure (a repair). */
  successThreshold: number;
  prompt: string;
  /** Most tasks proposed from one exploration's pages. */
  tasksPerExploration: number;
  explorePrompt: string;
}

export function loadRefinerConfig(env: Env = process.env): RefinerConfig {
  const raw = parseEnv(
    z.object({
      WEBTRAIL_REFINER_ROUNDS: z.coerce.number().int().min(0).max(10).default(0),
      WEBTRAIL_REFINER_MAX_TASKS_PER_SITE: z.coerce.number().int().min(1).max(1000).default(20),
      WEBTRAIL_REFINER_SUCCESS_THRESHOLD: z.coerce.number().min(0).max(1).default(0.5),
      WEBTRAIL_REFINER_PROMPT: z
        .string()
        .regex(/^v\d+$/, 'expected a version like v1')
        .default('v1'),
      WEBTRAIL_REFINER_TASKS_PER_EXPLORATION: z.coerce.number().int().min(1).max(20).default(3),
      WEBTRAIL_REFINER_EXPLORE_PROMPT: z
        .string()
        .regex(/^v\d+$/, 'expected a version like v1')
        .default('v1'),
    }),
    env,
  );
  return {
    rounds: raw.WEBTRAIL_REFINER_ROUNDS,
    maxTasksPerSite: raw.WEBTRAIL_REFINER_MAX_TASKS_PER_SITE,
    successThreshold: raw.WEBTRAIL_REFINER_SUCCESS_THRESHOLD,
    prompt: raw.WEBTRAIL_REFINER_PROMPT,
    tasksPerExploration: raw.WEBTRAIL_REFINER_TASKS_PER_EXPLORATION,
    explorePrompt: raw.WEBTRAIL_REFINER_EXPLORE_PROMPT,
  };
}

/** Every stage's settings face has this name, so tools can read each stage's settings by the stage's name. */
export const loadConfig = loadRefinerConfig;
