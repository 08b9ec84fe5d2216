// The judge on an exploration: passed on for the refiner without an LLM call (it has no success check).
import { describe, expect, it } from 'vitest';
import type { LlmClient } from '../../llm/llmClient.ts';
import { loadPrompt } from '../../llm/prompts.ts';
import { trajectory } from '../../test/helpers/samples.ts';
import { judgeTrajectory } from './judge.ts';

/** An LLM that must not be called. */
const untouchable = {
  model: 'm',
  complete: () => Promise.reject(new Error('the judge called the LLM')),
} as unknown as LlmClient;

describe('judgeTrajectory', () => {
  it('passes an exploration on without an LLM call: success says only whether it ended with a summary', async () => {
    const t = trajectory('e1');
    const exploration = { ...t, task: { ...t.task, kind: 'explore' } };
    const deps = {
      llm: untouchable,
      prompt: loadPrompt('judge', 'v1'),
      observationSteps: 3,
      refine: true,
      now: () => 5,
    };
    const verdict = await judgeTrajectory(exploration, deps, new AbortController().signal);
    expect(verdict).toMatchObject({
      judgeVersion: 'm@judge.v1',
      success: 1,
      refine: true,
      usage: { calls: 0 },
      judgedAtMs: 5,
    });
    expect(verdict.reasoning).toMatch(/exploration .* not judged/);
    expect(
      (await judgeTrajectory({ ...exploration, status: 'step_limit' }, deps, new AbortController().signal)).success,
    ).toBe(0);
    await expect(judgeTrajectory(t, deps, new AbortController().signal)).rejects.toThrow('the judge called the LLM');
  });
});
