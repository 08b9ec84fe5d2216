// How many tokens the server will hold for one request, where the server says so: vLLM and SGLang report
// max_model_len in /v1/models (and refuse a longer request); Ollama reports the context of a loaded model in
// /api/ps, or a num_ctx its Modelfile sets in /api/show, and cuts a longer prompt silently. Known, it lets
// a stage refuse at start-up to run with a context its prompts cannot fit, and fail a prompt that does not
// fit instead of sending it to be cut.
import { z } from 'zod';

export interface ContextWindow {
  tokens: number;
  /** Where the figure comes from, for messages ("vLLM /v1/models max_model_len"). */
  source: string;
}

/** What discovery learned: a window, or that the server is Ollama with a context it tells only once the model is loaded. */
export type ContextDiscovery =
  { kind: 'known'; window: ContextWindow } | { kind: 'ollama-not-loaded' } | { kind: 'unknown' };

const modelsReply = z.object({
  data: z.array(z.object({ id: z.string(), max_model_len: z.number().int().positive().optional() }).passthrough()),
});
const ollamaPs = z.object({
  models: z.array(
    z
      .object({
        name: z.string(),
        model: z.string().optional(),
        context_length: z.number().int().positive().optional(),
      })
      .passthrough(),
  ),
});
const ollamaShow = z.object({ parameters: z.string().optional() }).passthrough();

interface Endpoint {
  baseUrl: string;
  model: string;
  apiKey: string;
  timeoutMs: number;
}

async function getJson(url: string, endpoint: Endpoint, body?: unknown): Promise<unknown> {
  try {
    const response = await fetch(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        authorization: `Bearer ${endpoint.apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(endpoint.timeoutMs),
    });
    if (!response.ok) return undefined;
    return await response.json();
  } catch {
    return undefined;
  }
}

/** Ollama's native API sits beside its OpenAI-compatible one: http://host:11434/v1 → http://host:11434. */
function ollamaRoot(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
}

/** Ollama names a model "qwen2.5:7b" and accepts "qwen2.5" for "qwen2.5:latest". */
const sameOllamaModel = (a: string, b: string) => a === b || `${a}:latest` === b || a === `${b}:latest`;

/** The loaded model's context in Ollama (what a request actually gets), if it is loaded. */
export async function ollamaLoadedContext(endpoint: Endpoint): Promise<ContextWindow | undefined> {
  const ps = ollamaPs.safeParse(await getJson(`${ollamaRoot(endpoint.baseUrl)}/api/ps`, endpoint));
  if (!ps.success) return undefined;
  const loaded = ps.data.models.find(
    (m) =>
      sameOllamaModel(m.name, endpoint.model) || (m.model !== undefined && sameOllamaModel(m.model, endpoint.model)),
  );
  return loaded?.context_length
    ? { tokens: loaded.context_length, source: 'Ollama /api/ps context_length' }
    : undefined;
}

export async function discoverContextWindow(endpoint: Endpoint): Promise<ContextDiscovery> {
  const models = modelsReply.safeParse(await getJson(`${endpoint.baseUrl.replace(/\/+$/, '')}/models`, endpoint));
  const listed = models.success ? models.data.data.find((m) => m.id === endpoint.model) : undefined;
  if (listed?.max_model_len)
    return {
      kind: 'known',
      window: { tokens: listed.max_model_len, source: '/v1/models max_model_len (vLLM, SGLang)' },
    };
  const loaded = await ollamaLoadedContext(endpoint);
  if (loaded) return { kind: 'known', window: loaded };
  const show = ollamaShow.safeParse(
    await getJson(`${ollamaRoot(endpoint.baseUrl)}/api/show`, endpoint, { model: endpoint.model }),
  );
  if (!show.success) return { kind: 'unknown' };
  const numCtx = /^num_ctx\s+(\d+)\s*$/m.exec(show.data.parameters ?? '')?.[1];
  if (numCtx) return { kind: 'known', window: { tokens: Number(numCtx), source: 'Ollama /api/show num_ctx' } };
  return { kind: 'ollama-not-loaded' };
}

/** What to change when the context is too small, for the server that reported it. */
export function raiseContextHint(window: ContextWindow): string {
  return window.source.startsWith('Ollama')
    ? 'start Ollama with OLLAMA_CONTEXT_LENGTH set higher (or PARAMETER num_ctx in the Modelfile)'
    : 'start the server with a larger context (vLLM --max-model-len, SGLang --context-length)';
}
