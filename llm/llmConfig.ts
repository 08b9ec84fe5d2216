// LLM settings per stage: WEBTRAIL_<STAGE>_LLM_* override the shared OPENAI_* defaults.
import { z } from 'zod';
import {
  type Env,
  httpUrl,
  misnamedLlmSetting,
  parseEnv,
  tokenizerSetting,
  UserInputError,
} from '../platform/index.ts';

export type LlmStage = 'GENERATOR' | 'AGENT' | 'JUDGE' | 'REFINER';

export interface LlmConfig {
  stage: LlmStage;
  baseUrl: string;
  model: string;
  /** Name of the variable that holds the key (the key itself is never logged). */
  apiKeyVar: string;
  apiKey: string;
  temperature: number;
  maxTokens: number;
  /**
   * Which request field carries maxTokens: OpenAI's reasoning models refuse max_tokens (deprecated),
   * Ollama and older servers know only max_tokens. auto picks by the model and switches when refused.
   */
  maxTokensParam: 'auto' | 'max_tokens' | 'max_completion_tokens';
  concurrency: number;
  timeoutMs: number;
  maxRetries: number;
  retryBaseMs: number;
  /** Ask for JSON-schema structured output (falls back to plain JSON when the server refuses). */
  structuredOutput: boolean;
  /** Counts the tokens of a call whose server reports no usage (platform/tokenizer.ts). */
  tokenizer: string;
}

/**
 * A setting under a name that looks right but is not read (WEBTRAIL_JUDGE_MODEL, WEBTRAIL_ROLLOUT_LLM_MODEL)
 * would be silently ignored and the run would use another model: refuse it, naming the right variable.
 */
function refuseMisnamed(env: Env): void {
  for (const name of Object.keys(env)) {
    const right = misnamedLlmSetting(name);
    if (right) throw new UserInputError(`invalid configuration: ${name} is not read; did you mean ${right}?`);
  }
}

export function loadLlmConfig(stage: LlmStage, env: Env = process.env): LlmConfig {
  refuseMisnamed(env);
  const p = `WEBTRAIL_${stage}_LLM_`;
  const shared = parseEnv(
    z.object({
      OPENAI_BASE_URL: httpUrl('http://127.0.0.1:8000/v1').optional(),
      OPENAI_MODEL: z.string().optional(),
      WEBTRAIL_TOKENIZER: tokenizerSetting,
    }),
    env,
  );
  const raw = parseEnv(
    z.object({
      [`${p}BASE_URL`]: httpUrl('http://127.0.0.1:8000/v1').optional(),
      [`${p}MODEL`]: z.string().min(1).optional(),
      [`${p}API_KEY_VAR`]: z
        .string()
        .regex(/^[A-Z_][A-Z0-9_]*$/, 'expected a variable name such as OPENAI_API_KEY')
        .default('OPENAI_API_KEY'),
      [`${p}TEMPERATURE`]: z.coerce
        .number()
        .min(0)
        .max(2)
        .default(stage === 'AGENT' ? 0.2 : 0),
      [`${p}MAX_TOKENS`]: z.coerce
        .number()
        .int()
        .positive()
        .default(stage === 'GENERATOR' || stage === 'REFINER' ? 2048 : 1024),
      [`${p}MAX_TOKENS_PARAM`]: z.enum(['auto', 'max_tokens', 'max_completion_tokens']).default('auto'),
      [`${p}CONCURRENCY`]: z.coerce.number().int().positive().default(8),
      [`${p}TIMEOUT_MS`]: z.coerce.number().int().positive().default(60_000),
      [`${p}MAX_RETRIES`]: z.coerce.number().int().nonnegative().default(4),
      [`${p}RETRY_BASE_MS`]: z.coerce.number().int().nonnegative().default(1000),
      [`${p}STRUCTURED_OUTPUT`]: z.enum(['true', 'false']).default('true'),
    }),
    env,
  ) as Record<string, unknown>;
  const get = <T>(name: string) => raw[`${p}${name}`] as T;
  const baseUrl = get<string | undefined>('BASE_URL') ?? shared.OPENAI_BASE_URL;
  if (!baseUrl)
    throw new UserInputError(
      `invalid configuration: set OPENAI_BASE_URL (or ${p}BASE_URL) to an OpenAI-compatible endpoint, e.g. http://localhost:8000/v1 for vLLM`,
    );
  const model = get<string | undefined>('MODEL') ?? shared.OPENAI_MODEL;
  if (!model) throw new UserInputError(`invalid configuration: set OPENAI_MODEL (or ${p}MODEL) to the model to use`);
  const apiKeyVar = get<string>('API_KEY_VAR');
  return {
    stage,
    baseUrl,
    model,
    apiKeyVar,
    apiKey: env[apiKeyVar] ?? 'not-needed',
    temperature: get('TEMPERATURE'),
    maxTokens: get('MAX_TOKENS'),
    maxTokensParam: get('MAX_TOKENS_PARAM'),
    concurrency: get('CONCURRENCY'),
    timeoutMs: get('TIMEOUT_MS'),
    maxRetries: get('MAX_RETRIES'),
    retryBaseMs: get('RETRY_BASE_MS'),
    structuredOutput: get<string>('STRUCTURED_OUTPUT') === 'true',
    tokenizer: shared.WEBTRAIL_TOKENIZER,
  };
}
