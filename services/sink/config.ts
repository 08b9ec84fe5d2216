// Sink settings (WEBTRAIL_SINK_*): the dataset's (dataset/datasetConfig.ts) and the stage's own: which
// trajectories give examples, how each example's prompt is made, and how long best-of-n waits.
import { z } from 'zod';
import { bool, type Env, parseEnv, tokenizerSetting } from '../../platform/index.ts';
import { loadAgentPromptConfig } from '../../llm/index.ts';
import { loadDatasetConfig, type DatasetConfig } from '../../dataset/index.ts';

export interface SinkConfig extends DatasetConfig {
  historySteps: number;
  maxSteps: number;
  /** Counts each example's tokens (platform/tokenizer.ts). */
  tokenizer: string;
  /** Examples of exploration trajectories too (WEBTRAIL_SINK_KEEP_EXPLORATION). */
  keepExploration: boolean;
  /** Best-of-n: how long a task's attempts are waited for, from its first verdict, before the best of those in is kept. */
  attemptsWaitMs: number;
}

export function loadSinkConfig(env: Env = process.env): SinkConfig {
  const dataset = loadDatasetConfig(env);
  const raw = parseEnv(
    z.object({
      WEBTRAIL_SINK_KEEP_EXPLORATION: bool.default(false),
      WEBTRAIL_SINK_ATTEMPTS_WAIT_MS: z.coerce.number().int().min(1000).default(1_800_000),
      WEBTRAIL_TOKENIZER: tokenizerSetting,
    }),
    env,
  );
  // Only for trajectories recorded before the rollout kept each step's prompt: their user turn is
  // rendered again, with the rollout's settings as this process sees them.
  const rollout = loadAgentPromptConfig(env);
  return {
    ...dataset,
    historySteps: rollout.historySteps,
    maxSteps: rollout.maxSteps,
    tokenizer: raw.WEBTRAIL_TOKENIZER,
    keepExploration: raw.WEBTRAIL_SINK_KEEP_EXPLORATION,
    attemptsWaitMs: raw.WEBTRAIL_SINK_ATTEMPTS_WAIT_MS,
  };
}

/** Every stage's settings face has this name, so tools can read each stage's settings by the stage's name. */
export const loadConfig = loadSinkConfig;
