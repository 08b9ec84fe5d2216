// The generator service: webtrail.sites → webtrail.tasks (+ webtrail.sites.rejected), recording each
// screening in webtrail.sites.screened so a site submitted again is skipped unless asked.
import { TOPICS } from '../../schemas/topics.ts';
import { loadBrowserConfig } from '../../browser/browserConfig.ts';
import { BrowserPool } from '../../browser/browserPool.ts';
import { openAndObserve } from '../../browser/openPage.ts';
import { OpenAiLlmClient } from '../../llm/llmClient.ts';
import { loadLlmConfig } from '../../llm/llmConfig.ts';
import { loadPrompt } from '../../llm/prompts.ts';
import { checkContextAtStartup, minimumPromptTokens } from '../../llm/startupContext.ts';
import type { OutputRecord } from '../../bus/recordProducer.ts';
import type { ScreenedSite } from '../../schemas/types.ts';
import { runStageMain } from '../../bus/startStage.ts';
import { ATTRS, ROOT_CONTEXT, SPANS, trace, traceHeaders, tracer } from '../../platform/telemetry.ts';
import { loadGeneratorConfig } from './config.ts';
import { generateForSite, generatorVersion } from './generate.ts';
import { followRecords } from '../../bus/topicFollower.ts';
import { ScreenedSites, screenedKey, screenedRecord, skippedResubmission } from './screenedSites.ts';

await runStageMain({
  service: 'generator',
  input: { topic: TOPICS.sites.name, schema: 'Site' },
  // A site submitted twice in a row is screened once: the second waits for the first's record.
  oneAtATimePerKey: true,
  async setup({ log, kafka, codec }) {
    const config = loadGeneratorConfig();
    const llm = new OpenAiLlmClient(loadLlmConfig('GENERATOR'));
    const browserConfig = loadBrowserConfig();
    const screenPrompt = loadPrompt('screen', config.screenPrompt);
    const proposePrompt = loadPrompt('propose', config.proposePrompt);
    await checkContextAtStartup(llm, minimumPromptTokens([screenPrompt, proposePrompt], browserConfig.maxObservationTokens), 'WEBTRAIL_OBSERVATION_MAX_TOKENS', log);
    const pool = new BrowserPool(browserConfig, log);
    const deps = {
      openHomePage: (url: string) => openAndObserve(pool, url),
      llm,
      screenPrompt,
      proposePrompt,
      config,
      now: () => Date.now(),
    };
    const version = generatorVersion(deps);
    // What every generator has screened: read to the end before the first site, then followed.
    const screened = new ScreenedSites();
    const follower = await followRecords(kafka, codec, TOPICS.sitesScreened.name, 'ScreenedSite', (record) => screened.remember(record), log, { groupPrefix: 'webtrail-generator-screened' });
    await follower.caughtUp;
    log.info({ sites: screened.size, generatorVersion: version }, 'screened sites loaded');
    const record = (value: ScreenedSite): OutputRecord<'ScreenedSite'> => ({ topic: TOPICS.sitesScreened.name, key: screenedKey(value.domain, version), schema: 'ScreenedSite', value, afterOthers: true });
    return {
      close: async () => {
        await follower.stop();
        await pool.close();
      },
      handler: async (site, ctx) => {
        const known = screened.get(site.domain, version);
        const skipped = skippedResubmission(site, known, deps.now());
        if (skipped) {
          log.info({ domain: site.domain, generatorVersion: version, outcome: skipped.outcome }, 'already screened by this generator version: skipped (submit --again screens it again)');
          ctx.afterSent(() => screened.remember(skipped));
          return [record(skipped)];
        }
        const result = await generateForSite(site, deps, ctx.signal);
        const done = screenedRecord(site, version, result, known, deps.now());
        ctx.afterSent(() => screened.remember(done));
        if (result.kind === 'rejected') {
          log.info({ domain: site.domain, reason: result.rejection.reason, detail: result.rejection.detail }, 'site rejected');
          return [{ topic: TOPICS.sitesRejected.name, key: site.domain, schema: 'SiteRejection', value: result.rejection }, record(done)];
        }
        if (result.dropped.length) log.info({ domain: site.domain, dropped: result.dropped }, 'dropped proposed tasks');
        const siteSpan = trace.getActiveSpan()?.spanContext();
        // One trace per trajectory: each task starts its own trace, linked to the site's span.
        const tasks = result.tasks.map((task): OutputRecord => {
          const span = tracer().startSpan(SPANS.task, { root: true, links: siteSpan ? [{ context: siteSpan }] : [], attributes: { [ATTRS.taskId]: task.taskId, [ATTRS.domain]: task.domain } }, ROOT_CONTEXT);
          span.end();
          return { topic: TOPICS.tasks.name, key: task.taskId, schema: 'Task', value: task, headers: traceHeaders(trace.setSpan(ROOT_CONTEXT, span)) };
        });
        // The screening record goes last (afterOthers): once it exists, the tasks it speaks of do too.
        return [...tasks, record(done)];
      },
    };
  },
});
