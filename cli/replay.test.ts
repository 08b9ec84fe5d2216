import { describe, expect, it } from 'vitest';
import { loadJudgeConfig } from '../services/judge/config.ts';
import { replayJudgeEnv } from './replay.ts';

describe('webtrail replay', () => {
  it('runs a judge whose verdicts the refiner leaves alone, unless asked with --refine; the live judge feeds it', () => {
    const env = { OPENAI_MODEL: 'm', WEBTRAIL_JUDGE_REFINE: 'true' };
    expect(loadJudgeConfig(replayJudgeEnv({ judgeVersion: 'm@judge.v2', env }, 'g')).refine).toBe(false);
    expect(loadJudgeConfig(replayJudgeEnv({ judgeVersion: 'm@judge.v2', env, refine: true }, 'g')).refine).toBe(true);
    expect(loadJudgeConfig({}).refine).toBe(true);
    expect(replayJudgeEnv({ judgeVersion: 'm@judge.v2', env, model: 'big' }, 'g')).toMatchObject({
      WEBTRAIL_JUDGE_VERSION: 'm@judge.v2',
      WEBTRAIL_JUDGE_GROUP_ID: 'g',
      WEBTRAIL_JUDGE_FROM_BEGINNING: 'true',
      WEBTRAIL_JUDGE_LLM_MODEL: 'big',
    });
  });
});
