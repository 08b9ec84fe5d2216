// webtrail eval mind2web: the configured LLM as the agent on Mind2Web-format steps, offline. Each step's
// saved page (cleaned_html) is observed as the agent observes any page; the element it picks is mapped
// to the dataset's backend_node_id and scored against the positive candidates.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { AgentOutput, type LlmClient, type Prompt } from '../llm/index.ts';
import { errorMessage, UserInputError } from '../platform/index.ts';
import type { Operation, StepOutcome } from './mind2webMetrics.ts';

export interface Mind2WebStep {
  taskId: string;
  stepId: string;
  website: string;
  task: string;
  previousActions: string[];
  gold: Operation;
  goldElements: string[];
  html: string;
}

export interface StepPage {
  text: string;
  /** The backend_node_id of the element the observation numbers [id], if it has one. */
  backendNodeId(id: number): Promise<string | null>;
  close(): Promise<void>;
}

function* records(value: unknown): Generator<Record<string, unknown>> {
  if (Array.isArray(value)) for (const v of value) yield* records(v);
  else if (value && typeof value === 'object') yield value as Record<string, unknown>;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const file = path.join(dir, name);
      return statSync(file).isDirectory() ? filesUnder(file) : /\.(jsonl|json)$/.test(name) ? [file] : [];
    });
}

/** Every step with a page in the Mind2Web files under dir (JSON lines or JSON), once per action_uid. */
export function readMind2WebSteps(dir: string): { steps: Mind2WebStep[]; withoutPage: number; files: number } {
  let files: string[];
  try {
    files = statSync(dir).isDirectory() ? filesUnder(dir) : [dir];
  } catch {
    throw new UserInputError(`--data ${dir}: no such file or folder`);
  }
  const steps = new Map<string, Mind2WebStep>();
  let withoutPage = 0;
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const values: unknown[] = [];
    try {
      values.push(JSON.parse(text));
    } catch {
      for (const line of text.split('\n')) {
        try {
          if (line.trim()) values.push(JSON.parse(line));
        } catch {
          // not a Mind2Web record
        }
      }
    }
    for (const r of values.flatMap((v) => [...records(v)])) {
      const op = r.operation as { op?: unknown; value?: unknown } | undefined;
      if (
        typeof r.action_uid !== 'string' ||
        typeof r.confirmed_task !== 'string' ||
        typeof op?.op !== 'string' ||
        !Array.isArray(r.pos_candidates)
      )
        continue;
      if (typeof r.cleaned_html !== 'string') {
        withoutPage += steps.has(r.action_uid) ? 0 : 1;
        continue;
      }
      if (steps.has(r.action_uid)) continue;
      steps.set(r.action_uid, {
        taskId: String(r.annotation_id ?? r.action_uid),
        stepId: r.action_uid,
        website: String(r.website ?? ''),
        task: r.confirmed_task,
        previousActions: Array.isArray(r.previous_actions) ? r.previous_actions.map(String) : [],
        gold: { op: op.op, value: typeof op.value === 'string' ? op.value : '' },
        goldElements: (r.pos_candidates as Array<{ backend_node_id?: unknown }>)
          .map((c) => String(c.backend_node_id ?? ''))
          .filter(Boolean),
        html: r.cleaned_html,
      });
    }
  }
  return { steps: [...steps.values()], withoutPage, files: files.length };
}

/**
 * Mind2Web's operation for an action (an agent's, or a sandbox plan step's: they share kinds): click, type
 * and select; hover and (un)checking a box are clicks there. Other kinds keep their name, which no gold
 * operation has.
 */
export function mind2webOperation(kind: string, value: string | null | undefined): Operation {
  if (kind === 'type') return { op: 'TYPE', value: value ?? '' };
  if (kind === 'select') return { op: 'SELECT', value: value ?? '' };
  if (kind === 'click' || kind === 'hover' || kind === 'check' || kind === 'uncheck') return { op: 'CLICK', value: '' };
  return { op: kind.toUpperCase(), value: value ?? '' };
}

export async function runMind2WebStep(
  step: Mind2WebStep,
  deps: { open(html: string): Promise<StepPage>; llm: LlmClient; prompt: Prompt; maxSteps: number },
): Promise<StepOutcome & { error: string | null }> {
  const base = { taskId: step.taskId, stepId: step.stepId, goldElements: step.goldElements, gold: step.gold };
  let page: StepPage | undefined;
  try {
    page = await deps.open(step.html);
    const history = step.previousActions.length
      ? step.previousActions.map((a, i) => `Step ${i + 1}: ${a}`).join('\n')
      : '(none yet)';
    const reply = await deps.llm.complete({
      messages: deps.prompt.render({
        instruction: step.task,
        step: step.previousActions.length + 1,
        maxSteps: deps.maxSteps,
        actionsTaken: step.previousActions.length,
        history,
        observation: page.text,
      }),
      schema: AgentOutput,
      schemaName: 'AgentAction',
    });
    const action = reply.value.action;
    const id = action.elementId ?? null;
    const predictedElement = id === null ? null : await page.backendNodeId(id).catch(() => null);
    return { ...base, predictedElement, predicted: mind2webOperation(action.kind, action.value), error: null };
  } catch (error) {
    return { ...base, predictedElement: null, predicted: null, error: errorMessage(error) };
  } finally {
    await page?.close();
  }
}
