// The rollout service: webtrail.tasks → webtrail.trajectories.
import { TOPICS } from '../../schemas/topics.ts';
import { openBlobStore } from '../../platform/blobStore.ts';
import { loadBrowserConfig } from '../../browser/browserConfig.ts';
import { BrowserPool } from '../../browser/browserPool.ts';
import { OpenAiLlmClient } from '../../llm/llmClient.ts';
import { loadLlmConfig } from '../../llm/llmConfig.ts';
import { loadPrompt } from '../../llm/prompts.ts';
import { checkContextAtStartup, minimumPromptTokens } from '../../llm/startupContext.ts';
import { runStageMain } from '../../bus/startStage.ts';
import { ATTRS, trace } from '../../platform/telemetry.ts';
import { runTrajectory } from './agentLoop.ts';
import { offloadLargeText } from './offload.ts';
import { loadRolloutConfig } from './config.ts';
import { DomainLimiter } from './domainLimiter.ts';

await runStageMain({
  service: 'rollout',
  input: { topic: TOPICS.tasks.name, schema: 'Task' },
  async setup({ log }) {
    const config = loadRolloutConfig();
    const browserConfig = loadBrowserConfig();
    const llm = new OpenAiLlmClient(loadLlmConfig('AGENT'));
    const prompt = loadPrompt('agent', config.agentPrompt);
    await checkContextAtStartup(llm, minimumPromptTokens([prompt], browserConfig.maxObservationTokens), 'WEBTRAIL_OBSERVATION_MAX_TOKENS', log);
    const pool = new BrowserPool(browserConfig, log);
    const limiter = new DomainLimiter(config.perDomainConcurrency);
    const blobs = await openBlobStore();
    log.info({ blobs: blobs.location }, 'screenshots go to the blob store');
    const deps = {
      openBrowser: () => pool.newSession(),
      llm,
      prompt,
      blobs,
      config,
      now: () => Date.now(),
    };
    return {
      close: async () => {
        await pool.close();
        await blobs.close();
      },
      handler: async (task, ctx) => {
        trace.getActiveSpan()?.setAttributes({ [ATTRS.taskId]: task.taskId, [ATTRS.domain]: task.domain });
        const trajectory = await limiter.run(task.domain, () => runTrajectory(task, deps, ctx.signal));
        const offloaded = await offloadLargeText(trajectory, blobs, config.inlineTextBytes);
        if (offloaded) log.info({ taskId: task.taskId, fields: offloaded }, 'large text moved to the blob store by reference');
        log.info({ taskId: task.taskId, status: trajectory.status, steps: trajectory.steps.length, reason: trajectory.statusReason }, 'trajectory recorded');
        return [{ topic: TOPICS.trajectories.name, key: task.taskId, schema: 'Trajectory', value: trajectory }];
      },
    };
  },
});
