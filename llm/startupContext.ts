// The start-up half of the context check: ask the server, refuse to start when the stage's prompts cannot
// fit, and say in the log what the run will be checked against.
import { estimateTokens, type Logger } from '../platform/index.ts';
import type { OpenAiLlmClient } from './llmClient.ts';
import type { Prompt } from './prompts.ts';

/**
 * The smallest prompt a stage must be able to send: its largest template plus what it always fills in
 * (an observation at full budget, the judge's clipped pages), plus the chat framing.
 */
export function minimumPromptTokens(prompts: Prompt[], filledTokens: number): number {
  return Math.max(...prompts.map((p) => estimateTokens(p.template))) + filledTokens + 16;
}

export async function checkContextAtStartup(
  llm: OpenAiLlmClient,
  minimum: number,
  lowerWith: string,
  log: Logger,
): Promise<void> {
  const found = await llm.verifyContext(minimum, lowerWith);
  if (found.kind === 'known')
    log.info(
      {
        model: llm.model,
        contextTokens: found.window.tokens,
        source: found.window.source,
        minimumPromptTokens: minimum,
      },
      'model context checked',
    );
  else if (found.kind === 'ollama-not-loaded')
    log.warn(
      { model: llm.model },
      "Ollama tells a model's context only once it is loaded: checked after the first reply (start Ollama with OLLAMA_CONTEXT_LENGTH, or it cuts long prompts)",
    );
  else log.info({ model: llm.model }, 'the server does not report its context length: prompts are sent unchecked');
}
