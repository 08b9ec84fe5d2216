// Judge settings (WEBTRAIL_JUDGE_*).
import { z } from 'zod';
import { TOPIC_PREFIX } from '../../schemas/topics.ts';
import { parseEnv, type Env } from '../../platform/config.ts';

/** What a judge version may look like: it names a consumer group and a dataset folder. */
export const JUDGE_VERSION = /^[\w.@+:-]{1,100}$/;

export interface JudgeConfig {
  prompt: string;
  /** Explicit judge version (re-judging); defaults to model@prompt. */
  version: string | undefined;
  observationSteps: number;
}

export function loadJudgeConfig(env: Env = process.env): JudgeConfig {
  const raw = parseEnv(z.object({
    WEBTRAIL_JUDGE_PROMPT: z.string().regex(/^v\d+$/, 'expected a version like v1').default('v1'),
    WEBTRAIL_JUDGE_VERSION: z.string().regex(JUDGE_VERSION, 'letters, digits and . @ + : - _ only').optional(),
    WEBTRAIL_JUDGE_OBSERVATION_STEPS: z.coerce.number().int().min(0).max(30).default(3),
  }), env);
  return { prompt: raw.WEBTRAIL_JUDGE_PROMPT, version: raw.WEBTRAIL_JUDGE_VERSION, observationSteps: raw.WEBTRAIL_JUDGE_OBSERVATION_STEPS };
}

/** A re-judging run gets its own consumer group, so it reads history without touching the live judge's. */
export function judgeGroupId(version: string | undefined, env: Env = process.env): string | undefined {
  if (env.WEBTRAIL_JUDGE_GROUP_ID || !version) return undefined;
  return `${TOPIC_PREFIX}webtrail-judge-${version.replace(/[^\w.-]+/g, '_')}`;
}
