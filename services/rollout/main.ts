// The rollout service: webtrail.tasks → webtrail.trajectories.
import { type Task, TOPICS, type Trajectory } from '../../schemas/index.ts';
import { ATTRS, KeyedLimiter, openBlobStore, trace } from '../../platform/index.ts';
import { BrowserPool, loadBrowserConfig } from '../../browser/index.ts';
import {
  checkContextAtStartup,
  loadLlmConfig,
  loadPrompt,
  minimumPromptTokens,
  OpenAiLlmClient,
} from '../../llm/index.ts';
import { runStageMain } from '../../bus/index.ts';
import { runTrajectory } from './agentLoop.ts';
import { rollOutTask } from './taskRollout.ts';
import { offloadLargeText } from './offload.ts';
import { loadRolloutConfig } from './config.ts';

await runStageMain({
  service: 'rollout',
  input: { topic: TOPICS.tasks.name, schema: 'Task' },
  async setup({ log }) {
    const config = loadRolloutConfig();
    const browserConfig = loadBrowserConfig();
    const llm = new OpenAiLlmClient(loadLlmConfig('AGENT'));
    const prompt = loadPrompt('agent', config.agentPrompt);
    await checkContextAtStartup(
      llm,
      minimumPromptTokens([prompt], browserConfig.maxObservationTokens),
      'WEBTRAIL_OBSERVATION_MAX_TOKENS',
      log,
    );
    const pool = new BrowserPool(browserConfig, log);
    // Read now, so a list that cannot be read stops the service at start with its reason.
    await pool.suppression.domains();
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
    const rollout = {
      config,
      limiter,
      run: (task: Task, signal: AbortSignal, attempt: { index: number; of: number }) =>
        runTrajectory(task, deps, signal, attempt),
      offload: (trajectory: Trajectory) => offloadLargeText(trajectory, blobs, config.inlineTextBytes),
    };
    return {
      // Tasks are keyed by domain: a site at its concurrency leaves its partition waiting, not a slot.
      maxInFlightPerKey: config.perDomainConcurrency,
      close: async () => {
        await pool.close();
        await blobs.close();
      },
      handler: async (task, ctx) => {
        trace.getActiveSpan()?.setAttributes({ [ATTRS.taskId]: task.taskId, [ATTRS.domain]: task.domain });
        const { records, offloaded } = await rollOutTask(task, rollout, ctx.signal);
        for (const [i, { value: trajectory }] of records.entries()) {
          if (offloaded[i])
            log.info(
              { taskId: task.taskId, attempt: trajectory.attempt, fields: offloaded[i] },
              'large text moved to the blob store by reference',
            );
          log.info(
            {
              taskId: task.taskId,
              ...(records.length > 1 ? { attempt: `${trajectory.attempt + 1}/${records.length}` } : {}),
              status: trajectory.status,
              steps: trajectory.steps.length,
              reason: trajectory.statusReason,
            },
            'trajectory recorded',
          );
        }
        return records;
      },
    };
  },
});
