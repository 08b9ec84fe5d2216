// The LLM client against the scripted OpenAI-compatible server over real HTTP, misbehaving on request,
// and rollouts (real Chromium on the sandbox web) whose LLM keeps failing or whose page crashes.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../sandbox/server.ts';
import { startScriptedLlm, type ScriptedLlm, type ScriptedLlmOptions } from '../sandbox/scriptedLlm.ts';
import { SITES } from '../sandbox/sites/index.ts';
import { LocalBlobStore } from '../platform/blobStore.ts';
import type { BrowserPool } from '../browser/browserPool.ts';
import { LlmCallError, LlmOutputError, OpenAiLlmClient } from '../llm/llmClient.ts';
import { UserInputError } from '../platform/errors.ts';
import { loadTokenizer } from '../platform/tokenizer.ts';
import { loadLlmConfig } from '../llm/llmConfig.ts';
import { ScreeningOutput } from '../llm/outputs.ts';
import { loadPrompt } from '../llm/prompts.ts';
import { loadRolloutConfig } from '../services/rollout/config.ts';
import { runTrajectory } from '../services/rollout/agentLoop.ts';
import { task as sampleTask, usage } from './helpers/samples.ts';
import { testPool } from './helpers/browser.ts';
import { waitFor } from './helpers/kafka.ts';
import type { AgentBrowser } from '../services/rollout/agentLoop.ts';

let llm: ScriptedLlm;
let sandbox: Sandbox;
let pool: BrowserPool;

const client = (env: Record<string, string> = {}) =>
  new OpenAiLlmClient(
    loadLlmConfig('GENERATOR', {
      OPENAI_BASE_URL: llm.url,
      OPENAI_MODEL: 'scripted',
      WEBTRAIL_GENERATOR_LLM_RETRY_BASE_MS: '10',
      WEBTRAIL_GENERATOR_LLM_TIMEOUT_MS: '1000',
      ...env,
    }),
  );

const screenRequest = () => ({
  messages: loadPrompt('screen', 'v1').render({
    url: 'http://shop.localhost/',
    domain: 'shop.localhost',
    observation: 'Acme Shop: mugs, kettles and teapots.',
  }),
  schema: ScreeningOutput,
  schemaName: 'Screening',
});

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  llm = await startScriptedLlm({ slowMs: 3000 });
  pool = testPool(sandbox.allowHost);
});

afterAll(async () => {
  await pool?.close();
  await llm?.close();
  await sandbox?.close();
});

describe('the LLM client against servers as they are', () => {
  const against = async (
    serverLike: NonNullable<ScriptedLlmOptions['serverLike']>,
    model: string,
    env: Record<string, string> = {},
  ) => {
    const server = await startScriptedLlm({ serverLike, record: true });
    try {
      const config = loadLlmConfig('GENERATOR', {
        OPENAI_BASE_URL: server.url,
        OPENAI_MODEL: model,
        WEBTRAIL_GENERATOR_LLM_RETRY_BASE_MS: '10',
        ...env,
      });
      const outcome = await new OpenAiLlmClient(config).complete(screenRequest()).then(
        (reply) => ({ reply, error: null }),
        (error: Error) => ({ reply: null, error }),
      );
      return { ...outcome, sent: server.received.map((c) => ({ tokenField: c.tokenField, structured: c.structured })) };
    } finally {
      await server.close();
    }
  };

  it("sends a reasoning model max_completion_tokens, and switches to it when a server refuses max_tokens (OpenAI's answer)", async () => {
    expect((await against('openai-reasoning', 'o3-mini')).sent).toEqual([
      { tokenField: 'max_completion_tokens', structured: true },
    ]);
    const other = await against('openai-reasoning', 'scripted');
    expect(other.reply?.value.safe).toBe(true);
    expect(other.sent).toEqual([
      { tokenField: 'max_tokens', structured: true },
      { tokenField: 'max_completion_tokens', structured: true },
    ]);
  });

  it('goes back to max_tokens for a server that does not know max_completion_tokens, and keeps a field that was set', async () => {
    const old = await against('max-tokens-only', 'gpt-5-mini');
    expect(old.reply?.value.safe).toBe(true);
    expect(old.sent.map((c) => c.tokenField)).toEqual(['max_completion_tokens', 'max_tokens']);
    // Set by hand, it is not second-guessed: the refusal is the error, with the server's words.
    const fixed = await against('openai-reasoning', 'scripted', {
      WEBTRAIL_GENERATOR_LLM_MAX_TOKENS_PARAM: 'max_tokens',
    });
    expect(fixed.error?.message).toContain("Unsupported parameter: 'max_tokens'");
    expect(fixed.sent.map((c) => c.tokenField)).toEqual(['max_tokens']);
  });

  it.each([
    ['vLLM', 'vllm'],
    ['SGLang', 'sglang'],
  ] as const)('falls back to plain JSON when %s cannot compile the schema', async (_name, serverLike) => {
    const result = await against(serverLike, 'Qwen/Qwen2.5-7B-Instruct');
    expect(result.error?.message).toBeUndefined();
    expect(result.reply?.value.safe).toBe(true);
    expect(result.sent).toEqual([
      { tokenField: 'max_tokens', structured: true },
      { tokenField: 'max_tokens', structured: false },
    ]);
  });
});

describe("the model's context, checked where the server reports it", () => {
  // A screening prompt of a known size: the template plus an observation of `chars` characters.
  const screenOf = (chars: number) => ({
    ...screenRequest(),
    messages: loadPrompt('screen', 'v1').render({
      url: 'http://shop.localhost/',
      domain: 'shop.localhost',
      observation: 'mug '.repeat(chars / 4),
    }),
  });
  const promptChars = (request: ReturnType<typeof screenOf>) =>
    request.messages.reduce((n, m) => n + m.content.length, 0);
  const serve = async (options: ScriptedLlmOptions, env: Record<string, string> = {}) => {
    const server = await startScriptedLlm({ record: true, modelId: 'qwen2.5:7b', ...options });
    opened.push(server);
    const client = new OpenAiLlmClient(
      loadLlmConfig('GENERATOR', {
        OPENAI_BASE_URL: server.url,
        OPENAI_MODEL: 'qwen2.5:7b',
        WEBTRAIL_GENERATOR_LLM_RETRY_BASE_MS: '10',
        WEBTRAIL_GENERATOR_LLM_MAX_TOKENS: '1024',
        ...env,
      }),
    );
    return { server, client };
  };
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => null,
      (error: Error) => error,
    );
  const opened: ScriptedLlm[] = [];
  // The vllm-like server refuses every JSON schema (as its grammar backend does some): plain JSON here.
  const plainJson = { WEBTRAIL_GENERATOR_LLM_STRUCTURED_OUTPUT: 'false' };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((server) => server.close()));
  });

  it("refuses at start-up a context smaller than the stage's prompts, from vLLM's max_model_len", async () => {
    const { server, client } = await serve({ serverLike: 'vllm', contextWindow: 4096 });
    // 3,500 + 1,024 > 4,096: refused, naming the figures, where they come from and what to change.
    const error = await failure(client.verifyContext(3500, 'WEBTRAIL_OBSERVATION_MAX_TOKENS'));
    expect(error).toBeInstanceOf(UserInputError);
    expect(error?.message).toBe(
      `the generator model qwen2.5:7b has a context of 4096 tokens (/v1/models max_model_len (vLLM, SGLang) at ${server.url}), but its prompts need at least 4524 (about 3500 of prompt and 1024 for the reply): start the server with a larger context (vLLM --max-model-len, SGLang --context-length), or lower WEBTRAIL_OBSERVATION_MAX_TOKENS or WEBTRAIL_GENERATOR_LLM_MAX_TOKENS`,
    );
    // 3,000 + 1,024 fits.
    expect(await client.verifyContext(3000, 'WEBTRAIL_OBSERVATION_MAX_TOKENS')).toEqual({
      kind: 'known',
      window: { tokens: 4096, source: '/v1/models max_model_len (vLLM, SGLang)' },
    });
    expect(server.received).toHaveLength(0);
  });

  it('does not send a prompt that cannot fit, and explains a refusal by a server whose context it was not told', async () => {
    const { server, client } = await serve({ serverLike: 'vllm', contextWindow: 4096 }, plainJson);
    const long = screenOf(14_000);
    expect(promptChars(long) / 4 + 1024).toBeGreaterThan(4096);
    await client.verifyContext(100, 'WEBTRAIL_OBSERVATION_MAX_TOKENS');
    const refused = await failure(client.complete(long));
    expect(refused).toBeInstanceOf(LlmCallError);
    expect((refused as LlmCallError).retriable).toBe(false);
    expect(refused?.message).toMatch(
      /the prompt \(about \d+ tokens\) and 1024 tokens for the reply do not fit the model's context of 4096 \(\/v1\/models max_model_len \(vLLM, SGLang\)\); not sent: start the server with a larger context/,
    );
    expect(server.received).toHaveLength(0);
    // A client that never asked: vLLM refuses, once (not retried), and the error says why in vLLM's words.
    const { server: vllm, client: unaware } = await serve({ serverLike: 'vllm', contextWindow: 4096 }, plainJson);
    const error = await failure(unaware.complete(long));
    expect(vllm.received).toHaveLength(1);
    expect((error as LlmCallError).retriable).toBe(false);
    expect(error?.message).toMatch(
      /does not fit the model's context: HTTP 400: This model's maximum context length is 4096 tokens/,
    );
  });

  it("learns Ollama's context once the model is loaded and refuses a reply to a prompt Ollama cut silently", async () => {
    const { server, client } = await serve(
      { serverLike: 'ollama', contextWindow: 4096 },
      { WEBTRAIL_GENERATOR_LLM_MAX_TOKENS: '256' },
    );
    expect(await client.verifyContext(2000, 'WEBTRAIL_OBSERVATION_MAX_TOKENS')).toEqual({ kind: 'ollama-not-loaded' });
    expect((await client.complete(screenOf(400))).value.safe).toBe(true);
    expect(client.contextWindow).toEqual({ tokens: 4096, source: 'Ollama /api/ps context_length' });
    // Fits by the client's estimate (chars / 4), not by the server's tokenizer (chars / 3 here): Ollama
    // keeps 4,096 tokens of it and says so in its count, which leaves no room for the reply.
    const cut = screenOf(12_800);
    expect(promptChars(cut) / 4 + 256).toBeLessThan(4096);
    expect(promptChars(cut) / 3).toBeGreaterThan(4096);
    const error = await failure(client.complete(cut));
    expect((error as LlmCallError).retriable).toBe(false);
    expect(error?.message).toMatch(
      /the server counted 4096 prompt tokens, which with 256 for the reply exceeds the model's context of 4096 \(Ollama \/api\/ps context_length\): the prompt was cut or the reply would be; start Ollama with OLLAMA_CONTEXT_LENGTH set higher/,
    );
    expect(server.received).toHaveLength(2);
  });

  it("reads num_ctx from Ollama's Modelfile before the model is loaded; a server that reports nothing is not refused", async () => {
    const { client } = await serve({ serverLike: 'ollama', contextWindow: 2048, ollamaNumCtxInModelfile: true });
    const { client: unchecked } = await serve({ contextWindow: 2048 });
    const error = await failure(client.verifyContext(1500, 'WEBTRAIL_OBSERVATION_MAX_TOKENS'));
    expect(error?.message).toContain('has a context of 2048 tokens (Ollama /api/show num_ctx at');
    expect(error?.message).toContain(
      'start Ollama with OLLAMA_CONTEXT_LENGTH set higher (or PARAMETER num_ctx in the Modelfile)',
    );
    expect(await unchecked.verifyContext(1500, 'WEBTRAIL_OBSERVATION_MAX_TOKENS')).toEqual({ kind: 'unknown' });
    expect((await unchecked.complete(screenOf(8_000))).value.safe).toBe(true);
  });
});

describe('the LLM client against a misbehaving OpenAI-compatible server', () => {
  it('answers with validated output and counts tokens and latency', async () => {
    const reply = await client().complete(screenRequest());
    expect(reply.value).toEqual({ safe: true, category: expect.stringContaining('shop'), reason: expect.any(String) });
    expect(reply.usage.calls).toBe(1);
    expect(reply.usage.promptTokens).toBeGreaterThan(50);
    expect(reply.usage.completionTokens).toBeGreaterThan(5);
  });

  it("sends the stage's temperature and no seed, and a call's own sampling (a best-of-n attempt's) when it has one", async () => {
    const server = await startScriptedLlm({ record: true });
    try {
      const c = new OpenAiLlmClient(
        loadLlmConfig('GENERATOR', {
          OPENAI_BASE_URL: server.url,
          OPENAI_MODEL: 'scripted',
          WEBTRAIL_GENERATOR_LLM_TEMPERATURE: '0.1',
        }),
      );
      await c.complete(screenRequest());
      await c.complete({ ...screenRequest(), sampling: { temperature: 0.9, seed: 1234567 } });
      expect(server.received.map((call) => [call.temperature, call.seed])).toEqual([
        [0.1, null],
        [0.9, 1234567],
      ]);
    } finally {
      await server.close();
    }
  });

  it('counts the tokens itself, by the Qwen tokenizer, when the server reports no usage', async () => {
    const server = await startScriptedLlm({ withoutUsage: true, record: true });
    try {
      const reply = await new OpenAiLlmClient(
        loadLlmConfig('GENERATOR', { OPENAI_BASE_URL: server.url, OPENAI_MODEL: 'scripted' }),
      ).complete(screenRequest());
      const qwen = loadTokenizer('qwen2_5');
      const [call] = server.received;
      // What the server received, counted here: each message's text and 4 tokens of chat framing, 3 for the reply's start.
      expect(reply.usage.promptTokens).toBe(call!.messages.reduce((n, m) => n + qwen.count(m.content) + 4, 3));
      expect(reply.usage.completionTokens).toBe(qwen.count(call!.reply ?? ''));
      expect(reply.usage.completionTokens).toBeGreaterThan(5);
    } finally {
      await server.close();
    }
  });

  it.each([
    ['429', ['429'], 2],
    ['500', ['500', '500'], 3],
    ['a reply slower than the timeout', ['slow'], 2],
  ] as const)('retries %s and then succeeds', async (_what, modes, calls) => {
    llm.queue(...modes);
    const reply = await client().complete(screenRequest());
    expect(reply.value.safe).toBe(true);
    expect(reply.usage.calls).toBe(calls);
  });

  it.each([
    ['invalid JSON', 'invalid_json'],
    ['a truncated reply', 'truncated'],
  ] as const)('re-asks once after %s', async (_what, mode) => {
    llm.queue(mode);
    const reply = await client().complete(screenRequest());
    expect(reply.value.safe).toBe(true);
    expect(reply.usage.calls).toBe(2);
  });

  it('gives up after its retries with the status and the usage spent', async () => {
    llm.queue('500', '500', '500');
    const error = await client({ WEBTRAIL_GENERATOR_LLM_MAX_RETRIES: '2' })
      .complete(screenRequest())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmCallError);
    expect((error as LlmCallError).status).toBe(500);
    expect((error as LlmCallError).usage.calls).toBe(3);
    expect((error as Error).message).toContain('after 3 attempts');
    expect((error as Error).message).not.toContain('not-needed'); // never the key
  });

  it('reports output that stays invalid after the re-ask, with what the model said', async () => {
    llm.queue('invalid_json', 'invalid_json');
    const error = await client()
      .complete(screenRequest())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmOutputError);
    expect((error as LlmOutputError).raw).toContain('Sure! Here is my answer');
    expect((error as LlmOutputError).usage.calls).toBe(2);
  });
});

describe('a rollout whose LLM keeps failing', () => {
  it('records each failed step with its error and ends the trajectory as an error, without crashing', async () => {
    const site = SITES.find((s) => s.name === 'library')!;
    const planned = site.tasks[0]!;
    const task = {
      ...sampleTask('llm-down'),
      domain: 'library.localhost',
      startUrl: new URL(planned.startPath, sandbox.siteUrl('library')).toString(),
      instruction: planned.instruction,
      usage: usage(),
    };
    const config = loadRolloutConfig({ WEBTRAIL_ROLLOUT_MAX_CONSECUTIVE_ERRORS: '2' });
    llm.queue(...Array.from({ length: 6 }, () => '500' as const));
    const deps = {
      openBrowser: () => pool.newSession(),
      llm: new OpenAiLlmClient(
        loadLlmConfig('AGENT', {
          OPENAI_BASE_URL: llm.url,
          OPENAI_MODEL: 'scripted',
          WEBTRAIL_AGENT_LLM_RETRY_BASE_MS: '10',
          WEBTRAIL_AGENT_LLM_MAX_RETRIES: '2',
        }),
      ),
      prompt: loadPrompt('agent', 'v1'),
      blobs: new LocalBlobStore(mkdtempSync(path.join(tmpdir(), 'webtrail-blobs-'))),
      config,
      now: () => Date.now(),
    };
    const trajectory = await runTrajectory(task, deps, new AbortController().signal);
    expect(trajectory.status).toBe('error');
    expect(trajectory.statusReason).toMatch(/2 failed steps in a row; last: LLM: .*HTTP 500/);
    expect(trajectory.steps).toHaveLength(2);
    for (const step of trajectory.steps) {
      expect(step.error).toMatch(/^LLM: .*after 3 attempts/);
      expect(step.observation).toContain('[');
      expect(step.screenshotRef).toMatch(/^file:/);
      expect(step.usage.calls).toBe(3);
    }
    expect(trajectory.usage.calls).toBe(6);

    // Redelivered (the rollout died after producing it, before its commit): the same trajectory, another run.
    // Screenshots are named by their content, so neither run's can replace the other's.
    llm.queue(...Array.from({ length: 6 }, () => '500' as const));
    const again = await runTrajectory(task, deps, new AbortController().signal);
    expect(again.trajectoryId).toBe(trajectory.trajectoryId);
    expect(again.runId).toMatch(/^run_[0-9a-f-]{36}$/);
    expect(again.runId).not.toBe(trajectory.runId);
    const refs = [...trajectory.steps, ...again.steps].map((s) => s.screenshotRef!);
    for (const ref of refs) {
      const bytes = readFileSync(fileURLToPath(ref));
      expect(path.basename(ref)).toBe(`${createHash('sha256').update(bytes).digest('hex')}.jpg`);
      expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    }
  });
});

describe('a rollout whose page crashes', () => {
  it('ends the trajectory as a memory error at once, and the browser serves the next one', async () => {
    const lean = testPool(sandbox.allowHost, { WEBTRAIL_BROWSER_MAX_PAGE_HEAP_MB: '256' });
    try {
      const task = {
        ...sampleTask('memory-bomb'),
        domain: 'hostile.localhost',
        startUrl: new URL('/memory-bomb', sandbox.siteUrl('hostile')).toString(),
        instruction: 'Claim the prize.',
        usage: usage(),
      };
      // The page is let crash before the first step, so the test does not race the bomb against the LLM.
      const crashFirst = async (): Promise<AgentBrowser> => {
        const session = await lean.newSession();
        return {
          goto: async (url) => {
            const result = await session.goto(url);
            await waitFor(() => (session.crashed ? true : undefined), 15_000, 'the memory bomb to crash its page');
            return result;
          },
          observe: () => session.observe(),
          act: (a) => session.act(a),
          screenshot: () => session.screenshot(),
          close: () => session.close(),
          get guardEvents() {
            return session.guardEvents;
          },
          get remainingMs() {
            return session.remainingMs;
          },
          get stopped() {
            return session.stopped;
          },
        };
      };
      const started = Date.now();
      const trajectory = await runTrajectory(
        task,
        {
          openBrowser: crashFirst,
          llm: new OpenAiLlmClient(loadLlmConfig('AGENT', { OPENAI_BASE_URL: llm.url, OPENAI_MODEL: 'scripted' })),
          prompt: loadPrompt('agent', 'v1'),
          blobs: null,
          config: loadRolloutConfig({}),
          now: () => Date.now(),
        },
        new AbortController().signal,
      );
      expect(trajectory.status).toBe('error');
      expect(trajectory.statusReason).toMatch(/^memory: .*WEBTRAIL_BROWSER_MAX_PAGE_HEAP_MB/);
      expect(trajectory.steps).toHaveLength(0);
      // Not the observation's 10 s timeout on a page that will never answer.
      expect(Date.now() - started).toBeLessThan(9000);
      const next = await lean.newSession();
      try {
        expect((await next.goto(new URL('/', sandbox.siteUrl('gov')).toString())).ok).toBe(true);
        expect(lean.restarts).toBe(0);
      } finally {
        await next.close();
      }
    } finally {
      await lean.close();
    }
  });
});
