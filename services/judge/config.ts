// Judge settings (WEBTRAIL_JUDGE_*).
import { z } from 'zod';
import { judgeVersionFolder, judgeVersionProblem, TOPIC_PREFIX } from '../../schemas/index.ts';
import { bool, parseEnv, type Env } from '../../platform/index.ts';

export interface JudgeConfig {
  prompt: string;
  /** Explicit judge version (re-judging); defaults to model@prompt. */
  version: string | undefined;
  observationSteps: number;
  /** Marks verdicts the refiner may follow up (WEBTRAIL_JUDGE_REFINE). */
  refine: boolean;
}

export function loadJudgeConfig(env: Env = process.env): JudgeConfig {
  const raw = parseEnv(
    z.object({
      WEBTRAIL_JUDGE_PROMPT: z
        .string()
        .regex(/^v\d+$/, 'expected a version like v1')
        .default('v1'),
      WEBTRAIL_JUDGE_VERSION: z
        .string()
        .superRefine((v, ctx) => {
          const problem = judgeVersionProblem(v);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        })
        .optional(),
      WEBTRAIL_JUDGE_OBSERVATION_STEPS: z.coerce.number().int().min(0).max(30).default(3),
      WEBTRAIL_JUDGE_REFINE: bool.default(true),
    }),
    env,
  );
  return {
    prompt: raw.WEBTRAIL_JUDGE_PROMPT,
    version: raw.WEBTRAIL_JUDGE_VERSION,
    observationSteps: raw.WEBTRAIL_JUDGE_OBSERVATION_STEPS,
    refine: raw.WEBTRAIL_JUDGE_REFINE,
  };
}

/** The group earlier versions of webtrail named (lossy: "a:b" and "a_b" shared one), for replays begun before. */
export function legacyJudgeGroupId(version: string): string {
  return `${TOPIC_PREFIX}webtrail-judge-${version.replace(/[^\w.-]+/g, '_')}`;
}

/** A re-judging run gets its own consumer group, so it reads history without touching the live judge's. */
export function judgeGroupId(version: string | undefined, env: Env = process.env): string | undefined {
  if (env.WEBTRAIL_JUDGE_GROUP_ID || !version) return undefined;
  return `${TOPIC_PREFIX}webtrail-judge-${judgeVersionFolder(version)}`;
}

/** Every stage's settings face has this name, so tools can read each stage's settings by the stage's name. */
export const loadConfig = loadJudgeConfig;
