// webtrail eval mind2web: offline step metrics of the configured agent LLM on Mind2Web-format data.
import { BrowserPool, loadBrowserConfig } from '../browser/index.ts';
import { loadAgentPromptConfig, loadLlmConfig, loadPrompt, OpenAiLlmClient } from '../llm/index.ts';
import { createLogger, UserInputError } from '../platform/index.ts';
import {
  mind2webMetrics,
  type Mind2WebMetrics,
  openSavedHtml,
  readMind2WebSteps,
  runMind2WebStep,
  scoreStep,
  type StepOutcome,
} from '../eval/index.ts';
import { formatTable, num, pct } from './table.ts';
import { writeEvalReport } from './evalReport.ts';

export interface EvalMind2WebOptions {
  data: string;
  limit?: number;
  out?: string;
  json?: boolean;
}

export interface Mind2WebReport {
  model: string;
  prompt: string;
  metrics: Mind2WebMetrics;
  stepsWithoutPage: number;
  errors: number;
  steps: Array<StepOutcome & { error: string | null; elementCorrect: boolean; operationF1: number; success: boolean }>;
}

const op = (o: { op: string; value: string } | null) => (o ? `${o.op}${o.value ? ` ${o.value}` : ''}` : '–');

export function formatMind2Web(r: Mind2WebReport): string {
  const m = r.metrics;
  const head = formatTable([
    {
      model: r.model,
      prompt: r.prompt,
      tasks: m.tasks,
      steps: m.steps,
      'element acc': pct(m.elementAccuracy),
      'op F1': num(m.operationF1),
      'step SR': pct(m.stepSuccessRate),
      SR: pct(m.successRate),
    },
  ]);
  const short = (id: string) => (id.length > 24 ? `…${id.slice(-23)}` : id);
  const steps = formatTable(
    r.steps.slice(0, 20).map((s) => ({
      task: short(s.taskId),
      step: short(s.stepId),
      gold: `${op(s.gold)} @${s.goldElements.join('|')}`,
      predicted: s.error ? `error: ${s.error.slice(0, 60)}` : `${op(s.predicted)} @${s.predictedElement ?? '–'}`,
      ok: s.success ? 'yes' : 'no',
    })),
  );
  return [
    head,
    '',
    steps,
    ...(r.stepsWithoutPage
      ? ['', `${r.stepsWithoutPage} step(s) have no saved page (cleaned_html) and were not run`]
      : []),
  ].join('\n');
}

export async function evalMind2Web(
  options: EvalMind2WebOptions,
  print: (line: string) => void,
  progress: (line: string) => void,
): Promise<Mind2WebReport> {
  const read = readMind2WebSteps(options.data);
  const steps = options.limit ? read.steps.slice(0, options.limit) : read.steps;
  if (steps.length === 0)
    throw new UserInputError(
      `--data ${options.data}: no Mind2Web steps with a saved page in ${read.files} file(s) (records need action_uid, confirmed_task, operation, pos_candidates and cleaned_html)${read.withoutPage ? `; ${read.withoutPage} step(s) have no cleaned_html` : ''}`,
    );
  const llm = new OpenAiLlmClient(loadLlmConfig('AGENT'));
  const promptConfig = loadAgentPromptConfig();
  const prompt = loadPrompt('agent', promptConfig.agentPrompt);
  const pool = new BrowserPool(loadBrowserConfig(), createLogger('eval', process.env.LOG_LEVEL ?? 'fatal'));
  const outcomes: Mind2WebReport['steps'] = [];
  try {
    for (const [i, step] of steps.entries()) {
      progress(`step ${i + 1}/${steps.length}: ${step.website} · ${step.task.slice(0, 70)}`);
      const outcome = await runMind2WebStep(step, {
        open: (html) => openSavedHtml(pool, html),
        llm,
        prompt,
        maxSteps: promptConfig.maxSteps,
      });
      const score = scoreStep(outcome);
      outcomes.push({ ...outcome, elementCorrect: score.element, operationF1: score.f1, success: score.success });
    }
  } finally {
    await pool.close();
  }
  const report: Mind2WebReport = {
    model: llm.model,
    prompt: prompt.id,
    metrics: mind2webMetrics(outcomes),
    stepsWithoutPage: read.withoutPage,
    errors: outcomes.filter((o) => o.error).length,
    steps: outcomes,
  };
  const out = writeEvalReport('mind2web', { data: options.data, ...report }, options.out);
  print(options.json ? JSON.stringify(report) : `${formatMind2Web(report)}\n\nreport: ${out}`);
  return report;
}
