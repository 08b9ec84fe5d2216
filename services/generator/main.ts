// The generator service: webtrail.sites → webtrail.tasks (+ webtrail.sites.rejected).
import { TOPICS } from '../../schemas/topics.ts';
import { loadBrowserConfig } from '../../browser/browserConfig.ts';
import { BrowserPool } from '../../browser/browserPool.ts';
import { openAndObserve } from '../../browser/openPage.ts';
import { OpenAiLlmClient } from '../../llm/llmClient.ts';
import { loadLlmConfig } from '../../llm/llmConfig.ts';
import { loadPrompt } from '../../llm/prompts.ts';
import type { OutputRecord } from '../../bus/recordProducer.ts';
import { runStageMain } from '../../bus/startStage.ts';
import { ATTRS, ROOT_CONTEXT, SPANS, trace, traceHeaders, tracer } from '../../platform/telemetry.ts';
import { loadGeneratorConfig } from './config.ts';
import { generateForSite } from './generate.ts';

await runStageMain({
  service: 'generator',
  input: { topic: TOPICS.sites.name, schema: 'Site' },
  async setup({ log }) {
    const config = loadGeneratorConfig();
    const llm = new OpenAiLlmClient(loadLlmConfig('GENERATOR'));
    const pool = new BrowserPool(loadBrowserConfig(), log);
    const deps = {
      openHomePage: (url: string) => openAndObserve(pool, url),
      llm,
      screenPrompt: loadPrompt('screen', config.screenPrompt),
      proposePrompt: loadPrompt('propose', config.proposePrompt),
      config,
      now: () => Date.now(),
    };
    return {
      close: () => pool.close(),
      handler: async (site, ctx) => {
        const result = await generateForSite(site, deps, ctx.signal);
        if (result.kind === 'rejected') {
          log.info({ domain: site.domain, reason: result.rejection.reason, detail: result.rejection.detail }, 'site rejected');
          return [{ topic: TOPICS.sitesRejected.name, key: site.domain, schema: 'SiteRejection', value: result.rejection }];
        }
        if (result.dropped.length) log.info({ domain: site.domain, dropped: result.dropped }, 'dropped proposed tasks');
        const siteSpan = trace.getActiveSpan()?.spanContext();
        // One trace per trajectory: each task starts its own trace, linked to the site's span.
        return result.tasks.map((task): OutputRecord => {
          const span = tracer().startSpan(SPANS.task, { root: true, links: siteSpan ? [{ context: siteSpan }] : [], attributes: { [ATTRS.taskId]: task.taskId, [ATTRS.domain]: task.domain } }, ROOT_CONTEXT);
          span.end();
          return { topic: TOPICS.tasks.name, key: task.taskId, schema: 'Task', value: task, headers: traceHeaders(trace.setSpan(ROOT_CONTEXT, span)) };
        });
      },
    };
  },
});
