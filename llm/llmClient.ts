// Any OpenAI-compatible endpoint (vLLM, SGLang, Ollama, llama.cpp, OpenAI) through the openai package.
// Structured output by JSON schema where the server takes it, tolerant extraction where it does not,
// zod validation with one re-ask, retries with backoff and jitter, a per-call timeout, a concurrency
// cap, and token usage and latency kept for every call.
import OpenAI from 'openai';
import pLimit, { type LimitFunction } from 'p-limit';
import { z } from 'zod';
import type { TokenUsage } from '../schemas/index.ts';
import {
  ATTRS,
  DependencyError,
  estimatePromptTokens,
  inSpan,
  loadTokenizer,
  retry,
  SPANS,
  TimeoutError,
  UserInputError,
  WebtrailError,
} from '../platform/index.ts';
import { extractJson } from './jsonExtract.ts';
import type { LlmConfig } from './llmConfig.ts';
import {
  discoverContextWindow,
  ollamaLoadedContext,
  raiseContextHint,
  type ContextDiscovery,
  type ContextWindow,
} from './contextWindow.ts';

export type ChatMessage = { role: 'system' | 'user' | 'assistant'; content: string };

export interface LlmRequest<T> {
  messages: ChatMessage[];
  schema: z.ZodType<T>;
  schemaName: string;
  signal?: AbortSignal;
  /** This call's sampling, where it differs from the stage's settings (best-of-n attempts). */
  sampling?: { temperature?: number; seed?: number };
}

export interface LlmReply<T> {
  value: T;
  /** The text the model returned (the last attempt). */
  raw: string;
  usage: TokenUsage;
}

/** The seam every stage talks to; tests may use the real client against the scripted server. */
export interface LlmClient {
  readonly model: string;
  /** The sampling settings a call runs with, as text (recorded with what they produced). */
  readonly settings?: Readonly<Record<string, string>>;
  complete<T>(request: LlmRequest<T>): Promise<LlmReply<T>>;
}

/**
 * The model's output stayed invalid after the re-ask. Carries what it said. Retriable: a stage that
 * cannot go on without the output (screening, judging) tries the message again before dead-lettering it.
 */
export class LlmOutputError extends WebtrailError {
  constructor(
    message: string,
    readonly raw: string,
    readonly usage: TokenUsage,
  ) {
    super(message, { retriable: true });
  }
}

/** The endpoint failed after every retry. Carries the usage spent trying. */
export class LlmCallError extends DependencyError {
  constructor(
    message: string,
    readonly status: number | undefined,
    retriable: boolean,
    readonly usage: TokenUsage,
    cause?: unknown,
  ) {
    super(message, { retriable, cause });
  }
}

/** Which endpoint failures are worth another attempt (one table, not scattered ifs). */
export function classifyLlmError(error: unknown): {
  retriable: boolean;
  status?: number;
  retryAfterMs?: number;
  message: string;
} {
  if (error instanceof OpenAI.APIConnectionTimeoutError) return { retriable: true, message: 'request timed out' };
  if (error instanceof OpenAI.APIConnectionError)
    return { retriable: true, message: `connection failed: ${error.message}` };
  if (error instanceof OpenAI.APIError) {
    const status = error.status;
    const retryAfter = Number(error.headers?.get?.('retry-after'));
    const retriable = status === undefined || status === 408 || status === 409 || status === 429 || status >= 500;
    // The package starts its message with the status again ("400 Unsupported parameter…").
    const words = error.message.replace(/^\d{3}\s+/, '');
    return {
      retriable,
      status,
      retryAfterMs: Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined,
      message: `HTTP ${status}: ${words.slice(0, 300)}`,
    };
  }
  if (error instanceof SyntaxError) return { retriable: true, message: `unreadable response: ${error.message}` };
  return { retriable: false, message: error instanceof Error ? error.message : String(error) };
}

const jsonSchemas = new WeakMap<z.ZodType, Record<string, unknown>>();

/** The JSON schema sent for structured output: what the model must write (the input side of transforms). */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  let json = jsonSchemas.get(schema);
  if (!json)
    jsonSchemas.set(
      schema,
      (json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>),
    );
  return json;
}

export const zeroUsage = (): TokenUsage => ({ calls: 0, promptTokens: 0, completionTokens: 0, latencyMs: 0 });

export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    calls: a.calls + b.calls,
    promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
    latencyMs: a.latencyMs + b.latencyMs,
  };
}

/**
 * A signal of its own for one request, aborted with the caller's. The HTTP client leaves its listener on
 * the signal it is given; a trajectory's signal lives for dozens of calls, so each call gets a child that
 * is unlinked when the call ends.
 */
function linkedSignal(parent: AbortSignal | undefined): { signal: AbortSignal | undefined; release(): void } {
  if (!parent) return { signal: undefined, release: () => undefined };
  const child = new AbortController();
  const forward = () => child.abort(parent.reason);
  if (parent.aborted) child.abort(parent.reason);
  else parent.addEventListener('abort', forward, { once: true });
  return { signal: child.signal, release: () => parent.removeEventListener('abort', forward) };
}

/**
 * The openai package reads an error's words from `{"error": {...}}` only. vLLM and SGLang answer
 * `{"object": "error", "message": ...}` and FastAPI-based servers `{"detail": ...}`, which it reports as
 * "400 status code (no body)": the reason (a schema the grammar backend cannot compile, a context too
 * long) would be lost. This fetch rewrites such bodies into OpenAI's shape.
 */
export async function fetchWithOpenAiErrors(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const response = await fetch(input, init);
  if (response.ok || !(response.headers.get('content-type') ?? '').includes('json')) return response;
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  const b = body as Record<string, unknown> | null;
  let error: Record<string, unknown> | null = null;
  if (b && typeof b === 'object' && !('error' in b)) {
    if (typeof b.message === 'string')
      error = { message: b.message, type: b.type ?? null, param: b.param ?? null, code: b.code ?? null };
    else if (b.detail !== undefined)
      error = {
        message: typeof b.detail === 'string' ? b.detail : JSON.stringify(b.detail),
        type: null,
        param: null,
        code: null,
      };
  }
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  headers.delete('content-encoding');
  return new Response(error ? JSON.stringify({ error }) : text, {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}

/**
 * What a server says when it will not constrain output to a JSON schema: no response_format at all, or
 * vLLM's guided decoding (xgrammar, outlines, guidance backends) or SGLang's grammar backend failing on it.
 */
export const STRUCTURED_OUTPUT_REFUSED =
  /response_format|json_schema|guided|xgrammar|outlines|guidance|grammar|structured output/i;

/**
 * max_completion_tokens for OpenAI's reasoning models (o1, o3, o4, gpt-5: they refuse max_tokens); max_tokens
 * for every other model, which is what vLLM, SGLang, Ollama and llama.cpp all read.
 */
export function defaultTokensParam(model: string): 'max_tokens' | 'max_completion_tokens' {
  return /^(openai\/)?(o\d|gpt-5)/i.test(model) ? 'max_completion_tokens' : 'max_tokens';
}

/** A server's refusal of a request longer than its context (vLLM, SGLang, OpenAI, llama.cpp wordings). */
export const CONTEXT_EXCEEDED =
  /context length|context_length_exceeded|maximum context|context window|exceeds the context|too many tokens/i;

export class OpenAiLlmClient implements LlmClient {
  private readonly client: OpenAI;
  /** The server's context, when it reports one (see verifyContext). */
  private window: ContextWindow | undefined;
  /** Ollama tells a model's context only once it is loaded: asked again after the first reply. */
  private askOllamaAfterFirstReply = false;
  private readonly limit: LimitFunction;
  private structured: boolean;
  private tokensParam: 'max_tokens' | 'max_completion_tokens';
  private switchedTokensParam = false;

  constructor(private readonly config: LlmConfig) {
    this.client = new OpenAI({
      baseURL: config.baseUrl,
      apiKey: config.apiKey,
      timeout: config.timeoutMs,
      maxRetries: 0,
      fetch: fetchWithOpenAiErrors,
    });
    this.limit = pLimit(config.concurrency);
    this.structured = config.structuredOutput;
    this.tokensParam = config.maxTokensParam === 'auto' ? defaultTokensParam(config.model) : config.maxTokensParam;
  }

  get settings(): Record<string, string> {
    return {
      temperature: String(this.config.temperature),
      maxTokens: String(this.config.maxTokens),
      maxTokensParam: this.tokensParam,
    };
  }

  get model(): string {
    return this.config.model;
  }

  complete<T>(request: LlmRequest<T>): Promise<LlmReply<T>> {
    return this.limit(() => this.completeNow(request));
  }

  /** The context the server reported, if any. */
  get contextWindow(): ContextWindow | undefined {
    return this.window;
  }

  /**
   * At start-up: ask the server how long a request may be, and refuse to run when the stage's smallest
   * full prompt (template plus the observation budget) and its reply cannot fit. Where the server does not
   * say, nothing is refused here and each reply's token count is checked instead.
   */
  async verifyContext(minimumPromptTokens: number, lowerWith: string): Promise<ContextDiscovery> {
    const found = await discoverContextWindow({
      baseUrl: this.config.baseUrl,
      model: this.config.model,
      apiKey: this.config.apiKey,
      timeoutMs: Math.min(this.config.timeoutMs, 10_000),
    });
    if (found.kind === 'ollama-not-loaded') this.askOllamaAfterFirstReply = true;
    if (found.kind !== 'known') return found;
    this.window = found.window;
    const need = minimumPromptTokens + this.config.maxTokens;
    if (need > found.window.tokens) {
      const p = `WEBTRAIL_${this.config.stage}_LLM_`;
      throw new UserInputError(
        `the ${this.config.stage.toLowerCase()} model ${this.config.model} has a context of ${found.window.tokens} tokens (${found.window.source} at ${this.config.baseUrl}), ` +
          `but its prompts need at least ${need} (about ${minimumPromptTokens} of prompt and ${this.config.maxTokens} for the reply): ${raiseContextHint(found.window)}, or lower ${lowerWith} or ${p}MAX_TOKENS`,
      );
    }
    return found;
  }

  private contextError(message: string, usage: TokenUsage): LlmCallError {
    return new LlmCallError(`LLM ${this.config.model} at ${this.config.baseUrl}: ${message}`, undefined, false, usage);
  }

  private async completeNow<T>(request: LlmRequest<T>): Promise<LlmReply<T>> {
    let usage = zeroUsage();
    let messages = request.messages;
    for (let ask = 1; ; ask += 1) {
      const { text, usage: spent } = await this.call(messages, request);
      usage = addUsage(usage, spent);
      let problem: string;
      try {
        const parsed = request.schema.safeParse(extractJson(text));
        if (parsed.success) return { value: parsed.data, raw: text, usage };
        problem = parsed.error.issues
          .slice(0, 5)
          .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
          .join('; ');
      } catch (error) {
        problem = (error as Error).message;
      }
      if (ask >= 2)
        throw new LlmOutputError(
          `invalid ${request.schemaName} from the model after a re-ask: ${problem}`,
          text,
          usage,
        );
      // One re-ask: show the model what was wrong with its reply.
      messages = [
        ...request.messages,
        { role: 'assistant', content: text.slice(0, 4000) },
        {
          role: 'user',
          content: `That reply was not valid (${problem}). Reply again with only a JSON object that matches the schema ${request.schemaName}.`,
        },
      ];
    }
  }

  /** One completion, retried on retriable failures. */
  private async call<T>(messages: ChatMessage[], request: LlmRequest<T>): Promise<{ text: string; usage: TokenUsage }> {
    let usage = zeroUsage();
    // Counted only where it decides something: against a known context, or to explain a refusal.
    const estimate = this.window ? estimatePromptTokens(messages) : undefined;
    if (this.window && estimate! + this.config.maxTokens > this.window.tokens) {
      throw this.contextError(
        `the prompt (about ${estimate} tokens) and ${this.config.maxTokens} tokens for the reply do not fit the model's context of ${this.window.tokens} (${this.window.source}); not sent: ${raiseContextHint(this.window)}`,
        usage,
      );
    }
    // A failure worth another attempt, with the wait its server asked for (Retry-After), or 0 to ask again at once.
    class Again {
      constructor(readonly waitMs: number | undefined) {}
    }
    return retry(
      async (bail, attempt) => {
        const started = Date.now();
        const link = linkedSignal(request.signal);
        try {
          const response = await inSpan(
            SPANS.llm,
            {
              attributes: {
                [ATTRS.model]: this.config.model,
                'webtrail.llm.schema': request.schemaName,
                [ATTRS.attempt]: attempt,
              },
            },
            async (span) => {
              const result = await this.client.chat.completions.create(
                {
                  model: this.config.model,
                  messages,
                  temperature: request.sampling?.temperature ?? this.config.temperature,
                  // OpenAI, vLLM, SGLang and Ollama's OpenAI endpoint all take a seed; servers that do not ignore it.
                  ...(request.sampling?.seed !== undefined ? { seed: request.sampling.seed } : {}),
                  [this.tokensParam]: this.config.maxTokens,
                  ...(this.structured
                    ? {
                        response_format: {
                          type: 'json_schema' as const,
                          json_schema: {
                            name: request.schemaName,
                            schema: jsonSchemaOf(request.schema),
                            strict: false,
                          },
                        },
                      }
                    : {}),
                },
                { signal: link.signal },
              );
              span.setAttribute(ATTRS.promptTokens, result.usage?.prompt_tokens ?? 0);
              span.setAttribute(ATTRS.completionTokens, result.usage?.completion_tokens ?? 0);
              return result;
            },
          );
          link.release();
          const choice = response.choices?.[0];
          const text = choice?.message?.content ?? '';
          // A server that reports no usage (some proxies, older llama.cpp) is counted here, by the tokenizer
          // of WEBTRAIL_TOKENIZER, so stats and costs still see the tokens spent.
          const counted =
            response.usage?.prompt_tokens === undefined ? loadTokenizer(this.config.tokenizer) : undefined;
          usage = addUsage(usage, {
            calls: 1,
            promptTokens: counted ? estimatePromptTokens(messages, counted.count) : response.usage!.prompt_tokens,
            completionTokens: counted ? counted.count(text) : (response.usage?.completion_tokens ?? 0),
            latencyMs: Date.now() - started,
          });
          await this.checkNotCut(response.usage?.prompt_tokens, usage);
          if (!choice) throw new SyntaxError('no choices in the response');
          return { text, usage };
        } catch (error) {
          link.release();
          // Already decided (a prompt the server cut): not an endpoint failure to retry or count again.
          if (error instanceof LlmCallError) bail(error);
          usage = addUsage(usage, { calls: 1, promptTokens: 0, completionTokens: 0, latencyMs: Date.now() - started });
          if (request.signal?.aborted) bail(new TimeoutError('LLM call aborted', { cause: error }));
          const failure = classifyLlmError(error);
          // A server that does not take response_format (or cannot compile this schema: vLLM's and SGLang's
          // grammar backends) says 400: ask it for plain JSON from now on.
          if (this.structured && failure.status === 400 && STRUCTURED_OUTPUT_REFUSED.test(failure.message)) {
            this.structured = false;
            throw new Again(0);
          }
          // A 400 naming the token-limit field: the other one, from now on (auto only; a chosen field stays).
          const other = this.tokensParam === 'max_tokens' ? 'max_completion_tokens' : 'max_tokens';
          if (
            this.config.maxTokensParam === 'auto' &&
            failure.status === 400 &&
            failure.message.includes(this.tokensParam) &&
            !this.switchedTokensParam
          ) {
            this.switchedTokensParam = true;
            this.tokensParam = other;
            throw new Again(0);
          }
          if (failure.status === 400 && CONTEXT_EXCEEDED.test(failure.message)) {
            bail(
              this.contextError(
                `the prompt (about ${estimate ?? estimatePromptTokens(messages)} tokens) does not fit the model's context: ${failure.message}`,
                usage,
              ),
            );
          }
          if (!failure.retriable || attempt > this.config.maxRetries) {
            bail(
              new LlmCallError(
                `LLM ${this.config.model} at ${this.config.baseUrl}: ${failure.message} (after ${attempt} attempt${attempt > 1 ? 's' : ''})`,
                failure.status,
                failure.retriable,
                usage,
                error,
              ),
            );
          }
          throw new Again(failure.retryAfterMs === undefined ? undefined : Math.min(30_000, failure.retryAfterMs));
        }
      },
      {
        what: `LLM call to ${this.config.model}`,
        baseMs: this.config.retryBaseMs,
        maxMs: 30_000,
        ...(request.signal ? { signal: request.signal } : {}),
        retryAfterMs: (again) => (again as Again).waitMs,
      },
    );
  }

  /**
   * A server that cuts a long prompt silently (Ollama) still counts what it kept: a prompt that leaves less
   * room than the reply asked for was cut, or would be. The reply is refused rather than trained on.
   */
  private async checkNotCut(promptTokens: number | undefined, usage: TokenUsage): Promise<void> {
    if (this.askOllamaAfterFirstReply) {
      this.askOllamaAfterFirstReply = false;
      this.window = await ollamaLoadedContext({
        baseUrl: this.config.baseUrl,
        model: this.config.model,
        apiKey: this.config.apiKey,
        timeoutMs: 10_000,
      });
    }
    if (!this.window || promptTokens === undefined) return;
    if (promptTokens + this.config.maxTokens > this.window.tokens) {
      throw this.contextError(
        `the server counted ${promptTokens} prompt tokens, which with ${this.config.maxTokens} for the reply exceeds the model's context of ${this.window.tokens} (${this.window.source}): the prompt was cut or the reply would be; ${raiseContextHint(this.window)}`,
        usage,
      );
    }
  }
}
