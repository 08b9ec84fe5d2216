// The scripted LLM: an OpenAI-compatible HTTP server (POST /v1/chat/completions) that plays a
// deterministic policy on the sandbox web by reading the real prompts. It screens out the unsafe site,
// proposes each sandbox site's tasks, acts by finding the planned element in the observation it is
// sent (reading answers off the page, erring at a seeded rate when asked), refines a judged task into the
// sandbox's follow-up for its outcome, and judges from the trajectory alone, never the sandbox's checks, so its verdicts can be wrong. It can misbehave on request: 429, 500, invalid JSON,
// slow, truncated. It serves tests, the offline demo and benchmarks; it is never a production default.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { findTarget, listElements, planAction } from './planMatcher.ts';
import { NOT_FOUND } from './answerRules.ts';
import type { PlanStep } from './types.ts';
import { SITES, exploredTasksOf, findTask, followUpOf, siteForHost } from './sites/index.ts';

export type Misbehaviour = '429' | '500' | 'invalid_json' | 'slow' | 'truncated';
export const MISBEHAVIOURS: Misbehaviour[] = ['429', '500', 'invalid_json', 'slow', 'truncated'];

export interface ScriptedLlmOptions {
  port?: number;
  /**
   * Chance per agent action of a mistake real agents make (a wrong element, a wrong value, an early or
   * wrong answer, giving up), drawn from the seed and the task: the same run errs the same way.
   */
  agentErrors?: number;
  /** Added to every reply, to model a real endpoint's latency. */
  latencyMs?: number;
  /** Chance of each misbehaviour per call, drawn from a seeded generator (deterministic). */
  chaos?: Partial<Record<Misbehaviour, number>>;
  seed?: number;
  /** How long a 'slow' reply takes. */
  slowMs?: number;
  /** Keep every request's messages and the reply sent (tests compare them with what was recorded downstream). */
  record?: boolean;
  /**
   * Answer as a particular kind of server does when a request has what it will not take:
   * openai-reasoning refuses max_tokens (as OpenAI's o-series and gpt-5 do); max-tokens-only refuses
   * max_completion_tokens (as servers that predate it do); vllm and sglang refuse a JSON schema their
   * grammar backend cannot compile, in their error format.
   */
  serverLike?: 'openai-reasoning' | 'max-tokens-only' | 'vllm' | 'sglang' | 'ollama';
  /**
   * The model's context in tokens, told and kept as each server does: vllm and sglang report it as
   * max_model_len in /v1/models and refuse a longer request; ollama reports it in /api/ps once the model is
   * loaded (after the first call), in /api/show only when ollamaNumCtxInModelfile, and cuts a longer prompt
   * silently, counting tokens as a real tokenizer does on web text (more than the client's estimate).
   */
  contextWindow?: number;
  ollamaNumCtxInModelfile?: boolean;
  /** Answer without a usage block, as some servers and proxies do: the client must count tokens itself. */
  withoutUsage?: boolean;
  /** The model id /v1/models lists (and Ollama's /api/ps, once loaded). */
  modelId?: string;
}

export interface ReceivedCall {
  messages: Array<{ role: string; content: string }>;
  /** Which field carried the token limit, and whether a JSON schema was asked for. */
  tokenField: 'max_tokens' | 'max_completion_tokens' | null;
  structured: boolean;
  /** The sampling the request asked for: temperature, and seed when it sent one. */
  temperature: number | null;
  seed: number | null;
  /** The reply's content as sent, or null when the call was answered with an error status. */
  reply: string | null;
}

export interface ScriptedLlm {
  url: string;
  port: number;
  /** Calls by kind of prompt, and misbehaviours served. */
  stats: { calls: Record<string, number>; misbehaved: Record<string, number> };
  /** Every call received, in order, when started with record: true. */
  received: ReceivedCall[];
  /** The next replies misbehave in this order. */
  queue(...modes: Misbehaviour[]): void;
  close(): Promise<void>;
}

const UNSAFE_WORDS = /\b(gambling|casino|no age check|counterfeit|oxycodone|prescription-free|untraceable)\b/i;
/** Words in a domain name that the scripted screen takes as unsafe when it has no page to read. */
const UNSAFE_DOMAIN_WORDS =
  /casino|poker|bet|porn|xxx|sex|escort|drug|pharma|pills|warez|torrent|crack|phish|malware|hack/i;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const line = (text: string, label: string) => new RegExp(`^${label}: ?(.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
const after = (text: string, label: string) => text.split(`\n${label}:\n`)[1] ?? '';

function siteOf(domain: string) {
  return siteForHost(domain) ?? SITES.find((s) => domain.startsWith(`${s.name}.`));
}

const REFUSAL = /could not|cannot|can't|give up|unable|not sure/i;

/**
 * Judges as an LLM judge would, from the prompt alone (never the sandbox's check), so it can be wrong:
 * an answer must state what the success criteria name; a task that changes something must end answered,
 * with the names the criteria give (people, items, codes, dates) somewhere in what the agent did or saw.
 */
function judge(user: string): object {
  const criteria = line(user, 'Success criteria');
  const finalAnswer = line(user, 'Final answer');
  const status = /\(\d+ steps, status (\w+)/.exec(user)?.[1] ?? '';
  const stepCount = Number(/\((\d+) steps, status/.exec(user)?.[1] ?? '0');
  const expectedSteps =
    line(user, 'Expected steps \\(from the task author\\)')
      .split(';')
      .filter((x) => x.trim()).length || stepCount;
  const seen = user.slice(user.indexOf('\nTrajectory ('));
  const norm = (text: string) =>
    text
      .toLowerCase()
      .replace(/,(?=\d{3}\b)/g, '')
      .replace(/\s+/g, ' ');
  let success = false;
  let why: string;
  const stated = /^The answer (?:states|is|names|says it is) (?:the )?(.+)$/i.exec(criteria.trim())?.[1];
  if (status !== 'answered' || finalAnswer === '(none)') why = `the trajectory ended ${status || 'without an answer'}`;
  // Where the criteria want the site's refusal ("it is not possible"), the answer is compared; elsewhere
  // an answer that gives up is no answer.
  else if (!stated && REFUSAL.test(finalAnswer)) why = 'the agent did not give an answer';
  else {
    if (stated) {
      const wanted = norm(stated).replace(/[.\s]+$/, '');
      success = new RegExp(`(^|[^\\w.])${wanted.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w])`).test(
        norm(finalAnswer),
      );
      why = success ? `the answer states ${stated}` : `the answer does not state ${stated}`;
    } else {
      const names = criteria.match(/\b(?:[A-Z][\w'-]*(?: [A-Z][\w'-]*)+|[A-Z]{2}\d+|\d{4}-\d\d-\d\d|\d{5,})\b/g) ?? [];
      const missing = names.filter((n) => !norm(seen).includes(norm(n)));
      success = missing.length === 0;
      why = success
        ? `the agent finished and ${names.length ? names.join(', ') : 'what was asked'} appears in what it did`
        : `${missing.join(', ')} never appears in the trajectory`;
    }
  }
  const efficiency = stepCount > 0 ? Math.min(1, expectedSteps / stepCount) : 0;
  const errors = (user.match(/→ error/g) ?? []).length;
  return {
    success: success ? 1 : 0,
    efficiency: Math.round(efficiency * 100) / 100,
    selfCorrection: errors === 0 ? 1 : success ? 0.7 : 0.2,
    reasoning: `Judged from the trajectory: ${why}.`,
  };
}

/** A number in [0, 1) fixed by the seed and the words given (the same call errs the same way). */
function draw(seed: number, ...words: Array<string | number>): number {
  return mulberry32(
    Number.parseInt(
      createHash('sha256')
        .update(`${seed}|${words.join('|')}`)
        .digest('hex')
        .slice(0, 8),
      16,
    ),
  )();
}

export type AgentError = 'wrong-element' | 'wrong-value' | 'premature-answer' | 'wrong-answer' | 'give-up';

/** A wrong answer that looks like an answer: its first number changed, or another name from the page. */
function wrongAnswer(answer: string, page: string): string {
  if (/\d/.test(answer)) return answer.replace(/\d+/, (n) => String(Number(n) + 1));
  const other = listElements(page).find((e) => e.role === 'link' && e.name && !answer.includes(e.name));
  return other ? `It is ${other.name}.` : 'It is not listed.';
}

/**
 * Explores as an agent told to would: opens a link to a page of the site it has not been on (the first
 * one the page lists), up to three, then sums up where it went.
 */
function explore(user: string): object {
  const taken = Number(/Actions taken so far: (\d+)/.exec(user)?.[1] ?? '0');
  const observation = after(user, 'Current page');
  const visited = new Set([...user.matchAll(/ on (\S+): |now at (\S+)\)/g)].map((m) => pathOf(m[1] ?? m[2] ?? '')));
  const next =
    taken < 3
      ? listElements(observation).find(
          (e) => e.role === 'link' && /→ \/[^\s]*$/.test(e.line) && !visited.has(/→ (\/\S*)$/.exec(e.line)![1]!),
        )
      : undefined;
  if (!next)
    return {
      thought: 'I have seen the main sections.',
      action: {
        kind: 'answer',
        elementId: null,
        value: `I explored the site: ${[...visited].filter(Boolean).join(', ')}.`,
        submit: false,
      },
    };
  return {
    thought: `Exploring: ${next.name}.`,
    action: { kind: 'click', elementId: next.id, value: null, submit: false },
  };
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '';
  }
}

function act(user: string, errorRate: number, seed: number): object {
  const instruction = line(user, 'Task');
  if (instruction.startsWith('Briefly explore')) return explore(user);
  const taken = Number(/Actions taken so far: (\d+)/.exec(user)?.[1] ?? '0');
  const observation = after(user, 'Current page');
  const task = findTask({ instruction });
  if (!task)
    return {
      thought: 'This is not a task I have a plan for.',
      action: { kind: 'answer', elementId: null, value: 'I cannot complete this task.', submit: false },
    };
  // Actions taken counts only what acted on the page (not waits, not failures): the plan's position.
  const step = task.plan[taken];
  if (!step)
    return { thought: 'The plan is done.', action: { kind: 'answer', elementId: null, value: 'Done.', submit: false } };
  const answerStep = task.plan[task.plan.length - 1]!;
  // The seeded imperfection: at this step, maybe one of the mistakes real agents make. Drawn per step,
  // not per plan position, so a mistake that failed is not made again and again.
  const stepNumber = Number(/^Step (\d+) of at most/m.exec(user)?.[1] ?? taken);
  if (errorRate > 0 && draw(seed, instruction, stepNumber, 'err') < errorRate) {
    const kinds: AgentError[] =
      step.kind === 'answer'
        ? ['wrong-answer', 'give-up']
        : [
            'wrong-element',
            ...(step.kind === 'type' || step.kind === 'select' ? ['wrong-value' as const] : []),
            'premature-answer',
            'give-up',
          ];
    const kind = kinds[Math.floor(draw(seed, instruction, stepNumber, 'kind') * kinds.length)]!;
    const mistake = makeMistake(kind, step, answerStep, observation, seed, instruction, stepNumber);
    if (mistake) return mistake;
  }
  const action = planAction(observation, step);
  if (!action)
    return {
      thought: `I cannot see "${step.target}" yet; waiting for the page.`,
      action: { kind: 'wait', elementId: null, value: '1', submit: false },
    };
  const target = step.target ? findTarget(observation, step) : undefined;
  return { thought: `Step ${taken + 1}: ${step.kind}${target ? ` ${target.role} "${target.name}"` : ''}.`, action };
}

function makeMistake(
  kind: AgentError,
  step: PlanStep,
  answerStep: PlanStep,
  observation: string,
  seed: number,
  instruction: string,
  stepNumber: number,
): object | null {
  const answer = (value: string, thought: string) => ({
    thought,
    action: { kind: 'answer', elementId: null, value, submit: false },
  });
  if (kind === 'give-up') return answer('I give up: I cannot complete this task.', 'This is taking too long.');
  if (kind === 'premature-answer')
    return answer(planAction(observation, answerStep)?.value ?? NOT_FOUND, 'I think I have what I need.');
  if (kind === 'wrong-answer')
    return answer(wrongAnswer(planAction(observation, step)?.value ?? NOT_FOUND, observation), 'I have the answer.');
  const action = planAction(observation, step);
  if (!action) return null;
  if (kind === 'wrong-value' && action.value)
    return {
      thought: `Step: ${step.kind} "${step.target}".`,
      action: { ...action, value: action.value.slice(0, -1) + (action.value.endsWith('x') ? 'y' : 'x') },
    };
  const others = listElements(observation).filter(
    (e) => e.id !== action.elementId && (!step.role || e.role === step.role),
  );
  if (others.length === 0) return null;
  const other = others[Math.floor(draw(seed, instruction, stepNumber, 'which') * others.length)]!;
  return { thought: `Step: ${step.kind} ${other.role} "${other.name}".`, action: { ...action, elementId: other.id } };
}

function screen(user: string): object {
  const domain = line(user, 'Domain');
  const page = after(user, 'Home page as seen in a browser');
  const site = siteOf(domain);
  if (UNSAFE_WORDS.test(page))
    return {
      safe: false,
      category: 'gambling',
      reason: 'The site offers unlicensed gambling without age checks and prescription-free drugs.',
    };
  // Without a page (an evaluation by address), only the domain's words are there to go by.
  const word = page.startsWith('(not fetched') ? UNSAFE_DOMAIN_WORDS.exec(domain)?.[0] : undefined;
  if (word) return { safe: false, category: 'unsafe', reason: `The address names ${word}.` };
  return {
    safe: true,
    category: site ? site.description.split(':')[0]!.toLowerCase() : 'unknown',
    reason: 'Ordinary site content.',
  };
}

function propose(user: string): object {
  const url = line(user, 'Site');
  const domain = line(user, 'Domain');
  const count = Number(/Propose up to (\d+) tasks/.exec(user)?.[1] ?? '5');
  const site = siteOf(domain);
  // Offered first, as a model's list puts them anywhere: the generator has to drop them itself.
  const unsafe = (site?.unsafeProposals ?? []).map((u) => ({
    instruction: u.instruction,
    startUrl: url,
    steps: ['Open the thread', 'Delete it'],
    successCriteria: ['The thread is gone'],
    requiresLogin: u.requiresLogin ?? false,
    requiresPayment: u.requiresPayment ?? false,
    changesOthersData: u.changesOthersData ?? false,
  }));
  const tasks = (site?.tasks ?? []).slice(0, count).map((t) => ({
    instruction: t.instruction,
    startUrl: new URL(t.startPath, url).toString(),
    steps: t.steps,
    successCriteria: t.successCriteria,
    requiresLogin: false,
    requiresPayment: false,
    changesOthersData: false,
  }));
  return { tasks: [...unsafe, ...tasks] };
}

/**
 * Refines as an LLM refiner would, from the prompt alone: the parent task is looked up by its
 * instruction, and the sandbox's follow-up for its outcome (if it has one) is offered.
 */
/** Proposes from an exploration: the sandbox's explored tasks for the site whose page the exploration saw. */
function proposeExplored(user: string): object {
  const url = line(user, 'Site');
  const site = siteOf(line(user, 'Domain'));
  const seen = new Set([...after(user, 'Pages the agent explored').matchAll(/^--- (\S+)/gm)].map((m) => pathOf(m[1]!)));
  const count = Number(/Propose up to (\d+) tasks/.exec(user)?.[1] ?? '3');
  const tasks = (site ? exploredTasksOf(site, seen) : []).slice(0, count).map((t) => ({
    instruction: t.instruction,
    startUrl: new URL(t.startPath, url).toString(),
    steps: t.steps,
    successCriteria: t.successCriteria,
    requiresLogin: false,
    requiresPayment: false,
    changesOthersData: false,
  }));
  return { tasks };
}

function refine(user: string): object {
  const url = line(user, 'Site');
  const parent = findTask({ instruction: line(user, 'Parent task') });
  const outcome = line(user, 'Outcome') === 'success' ? 'success' : 'failure';
  const next = parent && followUpOf(parent.id, outcome);
  if (!next)
    return { decision: 'none', reason: `The site offers nothing more to ask after this ${outcome}.`, task: null };
  return {
    decision: outcome === 'success' ? 'harder' : 'repair',
    reason: next.reason,
    task: {
      instruction: next.instruction,
      startUrl: new URL(next.startPath, url).toString(),
      steps: next.steps,
      successCriteria: next.successCriteria,
      requiresLogin: false,
      requiresPayment: false,
      changesOthersData: false,
    },
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

export async function startScriptedLlm(options: ScriptedLlmOptions = {}): Promise<ScriptedLlm> {
  const random = mulberry32(options.seed ?? 42);
  const queued: Misbehaviour[] = [];
  const stats = { calls: {} as Record<string, number>, misbehaved: {} as Record<string, number> };
  const received: ReceivedCall[] = [];
  let ollamaLoaded = false;
  const sockets = new Set<import('node:net').Socket>();

  const reply = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

  const server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0];
      const modelId = options.modelId ?? 'scripted';
      const window = options.contextWindow;
      const reportsLength = (options.serverLike === 'vllm' || options.serverLike === 'sglang') && window !== undefined;
      if (req.method === 'GET' && path === '/v1/models')
        return reply(res, 200, {
          object: 'list',
          data: [
            { id: modelId, object: 'model', owned_by: 'webtrail', ...(reportsLength ? { max_model_len: window } : {}) },
          ],
        });
      if (options.serverLike === 'ollama' && req.method === 'GET' && path === '/api/ps') {
        return reply(res, 200, {
          models: ollamaLoaded
            ? [
                {
                  name: modelId,
                  model: modelId,
                  size: 0,
                  digest: 'scripted',
                  ...(window !== undefined ? { context_length: window } : {}),
                },
              ]
            : [],
        });
      }
      if (options.serverLike === 'ollama' && req.method === 'POST' && path === '/api/show') {
        return reply(res, 200, {
          modelfile: '# scripted',
          parameters: [
            options.ollamaNumCtxInModelfile && window !== undefined ? `num_ctx                        ${window}` : '',
            'stop                           "<|im_end|>"',
          ]
            .filter(Boolean)
            .join('\n'),
          details: { family: 'qwen2' },
        });
      }
      if (req.method === 'POST' && path === '/__scripted/misbehave') {
        const body = (await readJson(req)) as { modes?: Misbehaviour[] };
        queued.push(...(body.modes ?? []).filter((m) => MISBEHAVIOURS.includes(m)));
        return reply(res, 200, { queued: queued.length });
      }
      if (req.method !== 'POST' || path !== '/v1/chat/completions')
        return reply(res, 404, { error: { message: `no route ${req.method} ${path}` } });
      const body = (await readJson(req)) as {
        model?: string;
        messages?: Array<{ role: string; content: string }>;
        max_tokens?: number;
        max_completion_tokens?: number;
        response_format?: { type?: string };
        temperature?: number;
        seed?: number;
      };
      const messages = body.messages ?? [];
      const system = messages.find((m) => m.role === 'system')?.content ?? '';
      const user = messages.find((m) => m.role === 'user')?.content ?? '';
      const kind = system.startsWith('You screen')
        ? 'screen'
        : system.startsWith('You write tasks for web agents from the pages')
          ? 'explore'
          : system.startsWith('You write tasks')
            ? 'propose'
            : system.startsWith('You are a web agent')
              ? 'agent'
              : system.startsWith('You judge')
                ? 'judge'
                : system.startsWith('You refine tasks')
                  ? 'refine'
                  : 'unknown';
      stats.calls[kind] = (stats.calls[kind] ?? 0) + 1;
      const tokenField =
        body.max_completion_tokens !== undefined
          ? 'max_completion_tokens'
          : body.max_tokens !== undefined
            ? 'max_tokens'
            : null;
      const structured = body.response_format?.type === 'json_schema';
      const requestSeed = Number.isInteger(body.seed) ? body.seed! : null;
      const call: ReceivedCall = {
        messages,
        reply: null,
        tokenField,
        structured,
        temperature: typeof body.temperature === 'number' ? body.temperature : null,
        seed: requestSeed,
      };
      if (options.record) received.push(call);
      // As the real servers answer (their messages and error formats, abridged).
      if (options.serverLike === 'openai-reasoning' && body.max_tokens !== undefined) {
        return reply(res, 400, {
          error: {
            message:
              "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
            type: 'invalid_request_error',
            param: 'max_tokens',
            code: 'unsupported_parameter',
          },
        });
      }
      if (options.serverLike === 'max-tokens-only' && body.max_completion_tokens !== undefined) {
        return reply(res, 400, {
          error: {
            message: 'Unrecognized request argument supplied: max_completion_tokens',
            type: 'invalid_request_error',
            param: null,
            code: null,
          },
        });
      }
      if (options.serverLike === 'vllm' && structured) {
        return reply(res, 400, {
          object: 'error',
          message: 'The provided JSON schema contains features not supported by xgrammar.',
          type: 'BadRequestError',
          param: null,
          code: 400,
        });
      }
      if (options.serverLike === 'sglang' && structured) {
        return reply(res, 400, {
          object: 'error',
          message: 'Failed to compile the grammar: the xgrammar backend cannot build this JSON schema',
          type: 'BadRequestError',
          param: null,
          code: 400,
        });
      }
      const promptChars = messages.reduce((n, m) => n + m.content.length, 0);
      const requestedReply = body.max_completion_tokens ?? body.max_tokens ?? 0;
      if (reportsLength && Math.ceil(promptChars / 4) + requestedReply > window) {
        const prompt = Math.ceil(promptChars / 4);
        return reply(res, 400, {
          object: 'error',
          message: `This model's maximum context length is ${window} tokens. However, you requested ${prompt + requestedReply} tokens (${prompt} in the messages, ${requestedReply} in the completion). Please reduce the length of the messages or completion.`,
          type: 'BadRequestError',
          param: null,
          code: 400,
        });
      }
      // Ollama loads the model on the first request and from then on cuts what does not fit, saying nothing.
      if (options.serverLike === 'ollama') ollamaLoaded = true;
      const ollamaPromptTokens =
        options.serverLike === 'ollama' ? Math.min(Math.ceil(promptChars / 3), window ?? Infinity) : undefined;

      let mode = queued.shift();
      if (!mode && options.chaos) {
        for (const m of MISBEHAVIOURS) if (!mode && random() < (options.chaos[m] ?? 0)) mode = m;
      }
      if (mode) stats.misbehaved[mode] = (stats.misbehaved[mode] ?? 0) + 1;
      if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
      if (mode === '429')
        return reply(
          res,
          429,
          { error: { message: 'Rate limit reached (scripted)', type: 'rate_limit' } },
          { 'retry-after': '0' },
        );
      if (mode === '500') return reply(res, 500, { error: { message: 'Internal error (scripted)' } });
      if (mode === 'slow') await new Promise((r) => setTimeout(r, options.slowMs ?? 30_000));

      let content: object;
      if (kind === 'screen') content = screen(user);
      else if (kind === 'propose') content = propose(user);
      // A request's own seed (best-of-n attempts) gives it its own mistakes, as sampling does a real model's.
      else if (kind === 'agent')
        content = act(
          user,
          options.agentErrors ?? 0,
          requestSeed === null ? (options.seed ?? 42) : ((options.seed ?? 42) ^ requestSeed) >>> 0,
        );
      else if (kind === 'judge') content = judge(user);
      else if (kind === 'refine') content = refine(user);
      else if (kind === 'explore') content = proposeExplored(user);
      else return reply(res, 400, { error: { message: 'the scripted LLM does not know this prompt' } });

      let text = JSON.stringify(content);
      let finish = 'stop';
      if (mode === 'invalid_json')
        text = `Sure! Here is my answer: ${text.slice(0, Math.floor(text.length / 2)).replace(/"/g, "'")}`;
      if (mode === 'truncated') {
        text = text.slice(0, Math.floor(text.length / 2));
        finish = 'length';
      }
      call.reply = text;
      const promptTokens = ollamaPromptTokens ?? Math.ceil(promptChars / 4);
      const completionTokens = Math.ceil(text.length / 4);
      reply(res, 200, {
        id: `chatcmpl-scripted-${Date.now()}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model ?? 'scripted',
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: finish }],
        ...(options.withoutUsage
          ? {}
          : {
              usage: {
                prompt_tokens: promptTokens,
                completion_tokens: completionTokens,
                total_tokens: promptTokens + completionTokens,
              },
            }),
      });
    })().catch((error: Error) => {
      if (!res.headersSent) reply(res, 500, { error: { message: error.message } });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    stats,
    received,
    queue: (...modes) => void queued.push(...modes),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
