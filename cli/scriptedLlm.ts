// webtrail scripted-llm: serves the scripted OpenAI-compatible LLM until interrupted (for trying the
// pipeline offline, or benchmarking it with an injected latency). Never a production default.
import { z } from 'zod';
import { MISBEHAVIOURS, startScriptedLlm, type Misbehaviour } from '../sandbox/index.ts';
import { UserInputError } from '../platform/index.ts';

export interface ScriptedLlmCliOptions {
  port: string;
  agentErrors: string;
  latencyMs: string;
  chaos?: string;
  seed: string;
}

const Options = z.object({
  port: z.coerce.number().int().min(0).max(65535),
  agentErrors: z.coerce.number().min(0, 'a rate from 0 to 1, e.g. 0.08').max(1, 'a rate from 0 to 1, e.g. 0.08'),
  latencyMs: z.coerce.number().int().min(0),
  seed: z.coerce.number().int(),
});

/** "429=0.1,500=0.05" → chances per misbehaviour. */
export function parseChaos(spec: string | undefined): Partial<Record<Misbehaviour, number>> | undefined {
  if (!spec) return undefined;
  const chaos: Partial<Record<Misbehaviour, number>> = {};
  for (const part of spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [mode, chance] = part.split('=') as [string, string | undefined];
    if (!MISBEHAVIOURS.includes(mode as Misbehaviour))
      throw new UserInputError(`--chaos: '${mode}' is not one of ${MISBEHAVIOURS.join(', ')}`);
    const p = Number(chance);
    if (!(p >= 0 && p <= 1))
      throw new UserInputError(`--chaos: the chance for ${mode} must be between 0 and 1, got '${chance ?? ''}'`);
    chaos[mode as Misbehaviour] = p;
  }
  return chaos;
}

export async function serveScriptedLlm(raw: ScriptedLlmCliOptions, print: (line: string) => void): Promise<void> {
  const parsed = Options.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UserInputError(
      `--${String(issue.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${issue.message}`,
    );
  }
  const options = parsed.data;
  const llm = await startScriptedLlm({
    port: options.port,
    agentErrors: options.agentErrors,
    latencyMs: options.latencyMs,
    chaos: parseChaos(raw.chaos),
    seed: options.seed,
  }).catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'EADDRINUSE'
      ? new UserInputError(`port ${options.port} is in use: pick another with --port`)
      : error;
  });
  print(`scripted LLM (OpenAI-compatible) at ${llm.url}`);
  print(`point the services at it: OPENAI_BASE_URL=${llm.url} OPENAI_MODEL=scripted OPENAI_API_KEY=unused`);
  if (options.agentErrors > 0) print(`the agent errs at ${options.agentErrors} per action (seed ${options.seed})`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await llm.close();
}
