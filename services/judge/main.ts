// The judge service: webtrail.trajectories → webtrail.verdicts.
import { judgeVersionProblem, TOPICS } from '../../schemas/index.ts';
import {
  checkContextAtStartup,
  loadLlmConfig,
  loadPrompt,
  minimumPromptTokens,
  OpenAiLlmClient,
} from '../../llm/index.ts';
import { runStageMain } from '../../bus/index.ts';
import { ATTRS, estimateTokens, trace, UserInputError } from '../../platform/index.ts';
import { judgeGroupId, loadJudgeConfig } from './config.ts';
import { JUDGE_PAGE_CHARS, judgeTrajectory, judgeVersion } from './judge.ts';

const config = loadJudgeConfig();
const groupId = judgeGroupId(config.version);

await runStageMain({
  service: 'judge',
  input: { topic: TOPICS.trajectories.name, schema: 'Trajectory' },
  runtime: groupId ? { groupId } : undefined,
  async setup({ log }) {
    const llm = new OpenAiLlmClient(loadLlmConfig('JUDGE'));
    const deps = {
      llm,
      prompt: loadPrompt('judge', config.prompt),
      version: config.version,
      observationSteps: config.observationSteps,
      refine: config.refine,
      now: () => Date.now(),
    };
    // The default version is model@prompt, and the model name comes from the endpoint's settings.
    const problem = judgeVersionProblem(judgeVersion(deps));
    if (problem)
      throw new UserInputError(
        `judge version ${JSON.stringify(judgeVersion(deps))}: ${problem}; set WEBTRAIL_JUDGE_VERSION`,
      );
    const pages = config.observationSteps * estimateTokens('x'.repeat(JUDGE_PAGE_CHARS));
    await checkContextAtStartup(
      llm,
      minimumPromptTokens([deps.prompt], pages),
      'WEBTRAIL_JUDGE_OBSERVATION_STEPS',
      log,
    );
    log.info({ judgeVersion: judgeVersion(deps) }, 'judging');
    return {
      handler: async (trajectory, ctx) => {
        trace
          .getActiveSpan()
          ?.setAttributes({ [ATTRS.trajectoryId]: trajectory.trajectoryId, [ATTRS.taskId]: trajectory.task.taskId });
        const verdict = await judgeTrajectory(trajectory, deps, ctx.signal);
        return [{ topic: TOPICS.verdicts.name, key: verdict.trajectoryId, schema: 'Verdict', value: verdict }];
      },
    };
  },
});
