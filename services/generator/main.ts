// The generator service: webtrail.sites → webtrail.tasks (+ webtrail.sites.rejected), recording each
// screening in webtrail.sites.screened so a site submitted again is skipped unless asked.
import { type Site, TOPICS } from '../../schemas/index.ts';
import { BrowserPool, loadBrowserConfig, openAndObserve } from '../../browser/index.ts';
import {
  checkContextAtStartup,
  loadLlmConfig,
  loadPrompt,
  minimumPromptTokens,
  OpenAiLlmClient,
} from '../../llm/index.ts';
import { followRecords, runStageMain } from '../../bus/index.ts';
import { loadGeneratorConfig } from './config.ts';
import { generateForSite, generatorVersion } from './generate.ts';
import { ScreenedSites } from './screenedSites.ts';
import { handleSite } from './siteHandler.ts';

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
    await checkContextAtStartup(
      llm,
      minimumPromptTokens([screenPrompt, proposePrompt], browserConfig.maxObservationTokens),
      'WEBTRAIL_OBSERVATION_MAX_TOKENS',
      log,
    );
    const pool = new BrowserPool(browserConfig, log);
    // Read now, so a list that cannot be read stops the service at start with its reason.
    await pool.suppression.domains();
    const deps = {
      openHomePage: (url: string) => openAndObserve(pool, url),
      suppressed: () => pool.suppression.domains(),
      llm,
      screenPrompt,
      proposePrompt,
      config,
      now: () => Date.now(),
    };
    const version = generatorVersion(deps);
    // What every generator has screened: read to the end before the first site, then followed.
    const screened = new ScreenedSites();
    const follower = await followRecords(
      kafka,
      codec,
      TOPICS.sitesScreened.name,
      'ScreenedSite',
      (record) => screened.remember(record),
      log,
      { groupPrefix: 'webtrail-generator-screened' },
    );
    await follower.caughtUp;
    log.info({ sites: screened.size, generatorVersion: version }, 'screened sites loaded');
    const siteDeps = {
      generatorVersion: version,
      generate: (site: Site, signal: AbortSignal) => generateForSite(site, deps, signal),
      now: deps.now,
    };
    return {
      close: async () => {
        await follower.stop();
        await pool.close();
      },
      handler: async (site, ctx) => {
        const outcome = await handleSite(site, screened.get(site.domain, version), siteDeps, ctx.signal);
        ctx.afterSent(() => screened.remember(outcome.screened));
        if (outcome.kind === 'skipped')
          log.info(
            { domain: site.domain, generatorVersion: version, outcome: outcome.screened.outcome },
            'already screened by this generator version: skipped (submit --again screens it again)',
          );
        if (outcome.kind === 'rejected')
          log.info(
            { domain: site.domain, reason: outcome.rejection.reason, detail: outcome.rejection.detail },
            'site rejected',
          );
        if (outcome.kind === 'tasks' && outcome.dropped.length)
          log.info({ domain: site.domain, dropped: outcome.dropped }, 'dropped proposed tasks');
        return outcome.records;
      },
    };
  },
});
