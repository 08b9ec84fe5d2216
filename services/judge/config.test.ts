import { describe, expect, it } from 'vitest';
import { judgeGroupId, loadJudgeConfig } from './config.ts';

describe('judge settings', () => {
  it('refuses a judge version that would name a folder outside the datasets, saying why', () => {
    expect(() => loadJudgeConfig({ WEBTRAIL_JUDGE_VERSION: '..' })).toThrow(/WEBTRAIL_JUDGE_VERSION.*dots only/);
    expect(() => loadJudgeConfig({ WEBTRAIL_JUDGE_VERSION: '' })).toThrow(/WEBTRAIL_JUDGE_VERSION.*empty/);
    expect(loadJudgeConfig({ WEBTRAIL_JUDGE_VERSION: 'Qwen/Qwen2.5-72B@judge.v2' }).version).toBe(
      'Qwen/Qwen2.5-72B@judge.v2',
    );
  });

  it('gives versions that differ only in punctuation their own consumer groups', () => {
    expect(judgeGroupId('m@judge:b', {})).not.toBe(judgeGroupId('m@judge_b', {}));
    expect(judgeGroupId('m@judge:b', { WEBTRAIL_JUDGE_GROUP_ID: 'mine' })).toBeUndefined();
  });
});
