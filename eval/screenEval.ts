// webtrail eval screen: the screening prompt over labelled domains, through the configured LLM, measured
// as a classifier of "unsafe" (overall and per category).
import { type LlmClient, type Prompt, ScreeningOutput } from '../llm/index.ts';
import { errorMessage } from '../platform/index.ts';
import { classificationMetrics, type ClassificationMetrics } from './classification.ts';
import type { LabelledDomain } from './domainLists.ts';

/** Screened by its address alone: there is no page to show (evaluation fetches nothing). */
export const NO_PAGE = '(not fetched: judge the site by its address alone)';

export interface ScreenEvalReport {
  model: string;
  prompt: string;
  domains: number;
  /** Calls that failed (excluded from the figures), with a sample of reasons. */
  errors: number;
  errorSamples: string[];
  metrics: ClassificationMetrics;
  categories: Array<{
    category: string;
    harmful: boolean;
    screened: number;
    flaggedUnsafe: number;
    share: number | null;
  }>;
}

export async function evaluateScreen(
  domains: LabelledDomain[],
  deps: { llm: LlmClient; prompt: Prompt; onProgress?: (done: number, total: number) => void },
): Promise<ScreenEvalReport> {
  let done = 0;
  const results = await Promise.all(
    domains.map(async (d) => {
      try {
        const reply = await deps.llm.complete({
          messages: deps.prompt.render({ url: `https://${d.domain}/`, domain: d.domain, observation: NO_PAGE }),
          schema: ScreeningOutput,
          schemaName: 'Screening',
        });
        return { ...d, unsafe: !reply.value.safe, error: null };
      } catch (error) {
        return { ...d, unsafe: false, error: `${d.domain}: ${errorMessage(error)}` };
      } finally {
        deps.onProgress?.((done += 1), domains.length);
      }
    }),
  );
  const ok = results.filter((r) => r.error === null);
  const categories = [...new Set(ok.map((r) => r.category))].sort().map((category) => {
    const of = ok.filter((r) => r.category === category);
    const flagged = of.filter((r) => r.unsafe).length;
    return {
      category,
      harmful: of[0]!.harmful,
      screened: of.length,
      flaggedUnsafe: flagged,
      share: of.length ? flagged / of.length : null,
    };
  });
  return {
    model: deps.llm.model,
    prompt: deps.prompt.id,
    domains: domains.length,
    errors: results.length - ok.length,
    errorSamples: results
      .filter((r) => r.error)
      .slice(0, 5)
      .map((r) => r.error!),
    metrics: classificationMetrics(ok.map((r) => ({ score: r.unsafe ? 1 : 0, truth: r.harmful }))),
    categories,
  };
}
