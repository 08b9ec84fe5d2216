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
import { attemptsFor, runTrajectory } from './agentLoop.ts';
import { offloadLargeText } from './offload.ts';
import { loadRolloutConfig } from './config.ts';
import { KeyedLimiter } from '../../platform/keyedLimiter.ts';

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
    const limiter = new KeyedLimiter(config.perDomainConcurrency);
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
        // Best-of-n: every attempt is a trajectory of its own, sent together once all have run (a crash
        // runs them all again, under the same ids); the per-domain limit holds across them.
        const of = attemptsFor(task, config);
        const trajectories = await Promise.all(Array.from({ length: of }, (_, index) => limiter.run(task.domain, () => runTrajectory(task, deps, ctx.signal, { index, of }))));
        for (const trajectory of trajectories) {
          const offloaded = await offloadLargeText(trajectory, blobs, config.inlineTextBytes);
          if (offloaded) log.info({ taskId: task.taskId, attempt: trajectory.attempt, fields: offloaded }, 'large text moved to the blob store by reference');
          log.info({ taskId: task.taskId, ...(of > 1 ? { attempt: `${trajectory.attempt + 1}/${of}` } : {}), status: trajectory.status, steps: trajectory.steps.length, reason: trajectory.statusReason }, 'trajectory recorded');
        }
        return trajectories.map((value) => ({ topic: TOPICS.trajectories.name, key: task.taskId, schema: 'Trajectory' as const, value }));
      },
    };
  },
});
