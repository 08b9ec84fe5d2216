import { describe, expect, it } from 'vitest';
import { loadLlmConfig } from './llmConfig.ts';

const base = { OPENAI_BASE_URL: 'http://localhost:8000/v1', OPENAI_MODEL: 'qwen' };

describe('LLM settings', () => {
  it('lets a stage override the shared endpoint and model', () => {
    const judge = loadLlmConfig('JUDGE', {
      ...base,
      WEBTRAIL_JUDGE_LLM_MODEL: 'big',
      WEBTRAIL_JUDGE_LLM_TEMPERATURE: '0.1',
    });
    expect(judge).toMatchObject({ baseUrl: 'http://localhost:8000/v1', model: 'big', temperature: 0.1 });
    expect(loadLlmConfig('AGENT', base)).toMatchObject({ model: 'qwen', temperature: 0.2 });
  });

  it('refuses a setting under a name that is not read, naming the right one', () => {
    expect(() => loadLlmConfig('JUDGE', { ...base, WEBTRAIL_JUDGE_MODEL: 'big' })).toThrow(
      'WEBTRAIL_JUDGE_MODEL is not read; did you mean WEBTRAIL_JUDGE_LLM_MODEL?',
    );
    expect(() => loadLlmConfig('AGENT', { ...base, WEBTRAIL_ROLLOUT_LLM_MODEL: 'x' })).toThrow(
      'did you mean WEBTRAIL_AGENT_LLM_MODEL?',
    );
    expect(() => loadLlmConfig('AGENT', { ...base, WEBTRAIL_ROLLOUT_MODEL: 'x' })).toThrow(
      'did you mean WEBTRAIL_AGENT_LLM_MODEL?',
    );
  });

  it('names the variable of a bad value, and says what is missing', () => {
    expect(() => loadLlmConfig('JUDGE', { ...base, WEBTRAIL_JUDGE_LLM_TEMPERATURE: 'hot' })).toThrow(
      /WEBTRAIL_JUDGE_LLM_TEMPERATURE/,
    );
    expect(() => loadLlmConfig('JUDGE', { OPENAI_MODEL: 'x' })).toThrow(/set OPENAI_BASE_URL/);
    expect(() => loadLlmConfig('JUDGE', { OPENAI_BASE_URL: 'http://x/v1' })).toThrow(/set OPENAI_MODEL/);
  });

  it('takes only http(s) endpoints, saying which setting and what it got', () => {
    expect(() => loadLlmConfig('JUDGE', { OPENAI_BASE_URL: 'ftp://models.example/v1', OPENAI_MODEL: 'm' })).toThrow(
      "invalid configuration: OPENAI_BASE_URL: an http:// or https:// URL, e.g. http://127.0.0.1:8000/v1 (got 'ftp://models.example/v1')",
    );
    expect(() => loadLlmConfig('JUDGE', { WEBTRAIL_JUDGE_LLM_BASE_URL: 'localhost:8000', OPENAI_MODEL: 'm' })).toThrow(
      /WEBTRAIL_JUDGE_LLM_BASE_URL: an http:\/\/ or https:\/\/ URL/,
    );
  });
});
