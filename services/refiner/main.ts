// The refiner service: webtrail.verdicts → webtrail.tasks. Each verdict the live judge marks for
// refinement may get one follow-up task for its site (harder after a success, repaired after a failure),
// with its lineage, within the rounds and the tasks per site allowed. The tasks topic is read first and
// followed, so a restarted refiner knows every follow-up already made and never makes one twice.
import { TOPICS } from '../../schemas/index.ts';
import {
  checkContextAtStartup,
  loadLlmConfig,
  loadPrompt,
  minimumPromptTokens,
  OpenAiLlmClient,
} from '../../llm/index.ts';
import { followRecords, runStageMain } from '../../bus/index.ts';
import { ATTRS, estimateTokens, trace } from '../../platform/index.ts';
import { loadRefinerConfig } from './config.ts';
import { KnownTasks, SiteRefiner, followUpRecords, refinerVersion } from './refine.ts';

await runStageMain({
  service: 'refiner',
  input: { topic: TOPICS.verdicts.name, schema: 'Verdict' },
  async setup({ log, kafka, codec }) {
    const config = loadRefinerConfig();
    const llm = new OpenAiLlmClient(loadLlmConfig('REFINER'));
    const prompt = loadPrompt('refine', config.prompt);
    const explorePrompt = loadPrompt('explore', config.explorePrompt);
    const deps = { llm, prompt, explorePrompt, config, now: () => Date.now() };
    if (config.rounds > 0)
      await checkContextAtStartup(
        llm,
        minimumPromptTokens([prompt, explorePrompt], estimateTokens('x'.repeat(4000)) * 2),
        'WEBTRAIL_REFINER_LLM_MAX_TOKENS',
        log,
      );
    // Every site's tasks: read to the end before the first verdict, then followed.
    const known = new KnownTasks();
    const follower = await followRecords(kafka, codec, TOPICS.tasks.name, 'Task', (task) => known.remember(task), log, {
      groupPrefix: 'webtrail-refiner-tasks',
      timeoutMs: 300_000,
    });
    await follower.caughtUp;
    log.info(
      {
        tasks: known.size,
        rounds: config.rounds,
        maxTasksPerSite: config.maxTasksPerSite,
        refinerVersion: refinerVersion(deps),
      },
      config.rounds > 0
        ? 'refining'
        : 'refinement is off (WEBTRAIL_REFINER_ROUNDS=0): verdicts pass without follow-ups',
    );
    const refiner = new SiteRefiner(known, deps);
    return {
      close: () => follower.stop(),
      handler: async (verdict, ctx) => {
        const parent = verdict.trajectory.task;
        trace.getActiveSpan()?.setAttributes({
          [ATTRS.trajectoryId]: verdict.trajectoryId,
          [ATTRS.taskId]: parent.taskId,
          [ATTRS.domain]: parent.domain,
        });
        if (config.rounds === 0) return [];
        // What the tasks topic holds now, this refiner included (a follow-up it sent before a crash).
        await follower.catchUp();
        const result = await refiner.refine(verdict, ctx.signal);
        if (result.kind === 'none') {
          log.info(
            {
              domain: parent.domain,
              taskId: parent.taskId,
              verdictId: verdict.verdictId,
              asked: result.asked,
              why: result.why,
            },
            'no follow-up',
          );
          return [];
        }
        for (const task of result.tasks) {
          ctx.afterSent(() => known.remember(task));
          log.info(
            {
              domain: task.domain,
              taskId: task.taskId,
              parentTaskId: parent.taskId,
              round: task.lineage?.round,
              direction: task.lineage?.direction,
              instruction: task.instruction,
            },
            'follow-up task',
          );
        }
        return followUpRecords(result.tasks);
      },
    };
  },
});
