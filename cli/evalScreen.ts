// webtrail eval screen: the configured screening LLM over labelled domains.
import { loadLlmConfig, loadPrompt, OpenAiLlmClient } from '../llm/index.ts';
import { loadGeneratorConfig } from '../services/generator/config.ts';
import { UserInputError } from '../platform/index.ts';
import { evaluateScreen, readDomainLabels, readDomainLists, type ScreenEvalReport } from '../eval/index.ts';
import { formatTable, num, pct } from './table.ts';
import { writeEvalReport } from './evalReport.ts';

export interface EvalScreenOptions {
  labels?: string;
  domains?: string;
  perCategory: number;
  seed: number;
  out?: string;
  json?: boolean;
}

export function formatScreenEval(r: ScreenEvalReport): string {
  const m = r.metrics;
  const overall = [
    {
      model: r.model,
      prompt: r.prompt,
      screened: m.cases,
      errors: r.errors,
      accuracy: pct(m.accuracy),
      'precision (unsafe)': pct(m.precision),
      'recall (unsafe)': pct(m.recall),
      F1: num(m.f1),
      kappa: num(m.cohensKappa),
    },
  ];
  const categories = r.categories.map((c) => ({
    category: c.category,
    screened: c.screened,
    'flagged unsafe': c.flaggedUnsafe,
    share: pct(c.share),
    meaning: c.harmful ? 'recall' : 'false positives',
  }));
  return [
    formatTable(overall),
    '',
    formatTable(categories),
    ...(r.errorSamples.length ? ['', `failed calls (${r.errors}): ${r.errorSamples.join('; ')}`] : []),
  ].join('\n');
}

export async function evalScreen(
  options: EvalScreenOptions,
  print: (line: string) => void,
  progress: (line: string) => void,
): Promise<ScreenEvalReport> {
  if (Boolean(options.labels) === Boolean(options.domains))
    throw new UserInputError('give either --labels FILE or --domains DIR (e.g. ../shared/domains)');
  const domains = options.labels
    ? readDomainLabels(options.labels)
    : readDomainLists(options.domains!, options.perCategory, options.seed);
  const llm = new OpenAiLlmClient(loadLlmConfig('GENERATOR'));
  const prompt = loadPrompt('screen', loadGeneratorConfig().screenPrompt);
  progress(`screening ${domains.length} domains with ${llm.model} (${prompt.id})…`);
  let last = 0;
  const report = await evaluateScreen(domains, {
    llm,
    prompt,
    onProgress: (done, total) => {
      if (done === total || Date.now() - last > 2000) {
        last = Date.now();
        progress(`  ${done}/${total}`);
      }
    },
  });
  const out = writeEvalReport(
    'screen',
    {
      source: options.labels ?? options.domains,
      perCategory: options.labels ? null : options.perCategory,
      seed: options.seed,
      ...report,
    },
    options.out,
  );
  print(options.json ? JSON.stringify(report) : `${formatScreenEval(report)}\n\nreport: ${out}`);
  return report;
}
