// webtrail replay --judge-version V [--model M]: re-judges history. Runs the judge with a new version and
// its own consumer group from the start of webtrail.trajectories until it has caught up (or, with
// --follow, until interrupted). Its verdicts carry the new version, so the sink writes a new dataset.
import type { Admin } from 'kafkajs';
import { judgeVersionProblem, TOPICS } from '../schemas/index.ts';
import { spawnTs, UserInputError } from '../platform/index.ts';
import { judgeGroupId, legacyJudgeGroupId } from '../services/judge/config.ts';
import { fetchGroupPosition, openKafkaSession, requireTopics } from '../bus/index.ts';

export interface ReplayOptions {
  judgeVersion: string;
  model?: string;
  follow?: boolean;
  /** Let the refiner make follow-up tasks from the new verdicts (off by default: a re-judge starts no new rounds). */
  refine?: boolean;
  progress?: (line: string) => void;
  /** The judge's environment (default: this process's). */
  env?: Record<string, string | undefined>;
}

/**
 * The replay's consumer group. A replay of this version begun under the old, lossy group name goes on
 * in that group rather than judging its history a second time.
 */
async function replayGroupId(admin: Admin, version: string, progress?: (line: string) => void): Promise<string> {
  const groupId = judgeGroupId(version, {})!;
  const legacy = legacyJudgeGroupId(version);
  if (legacy === groupId) return groupId;
  const [current, old] = await Promise.all(
    [groupId, legacy].map((g) => fetchGroupPosition(admin, g, TOPICS.trajectories.name)),
  );
  if (current!.handled > 0 || old!.handled === 0) return groupId;
  progress?.(`going on with consumer group ${legacy}, where this version's replay began`);
  return legacy;
}

/** The re-judging judge's environment: its version and group, from the start, and refinement only when asked. */
export function replayJudgeEnv(
  options: Pick<ReplayOptions, 'judgeVersion' | 'model' | 'refine' | 'env'>,
  groupId: string,
): Record<string, string> {
  const base = (options.env ?? process.env) as Record<string, string>;
  return {
    ...base,
    WEBTRAIL_JUDGE_VERSION: options.judgeVersion,
    WEBTRAIL_JUDGE_GROUP_ID: groupId,
    WEBTRAIL_JUDGE_FROM_BEGINNING: 'true',
    WEBTRAIL_JUDGE_REFINE: options.refine ? 'true' : 'false',
    WEBTRAIL_JUDGE_HTTP_PORT: base.WEBTRAIL_REPLAY_HTTP_PORT ?? '0',
    ...(options.model ? { WEBTRAIL_JUDGE_LLM_MODEL: options.model } : {}),
  };
}

export async function replay(
  options: ReplayOptions,
): Promise<{ groupId: string; judged: number; exitCode: number | null }> {
  const problem = judgeVersionProblem(options.judgeVersion);
  if (problem) throw new UserInputError(`--judge-version: ${problem}`);
  const session = await openKafkaSession('webtrail-replay');
  try {
    await requireTopics(session.admin, [TOPICS.trajectories.name]);
    const groupId = await replayGroupId(session.admin, options.judgeVersion, options.progress);
    const env = replayJudgeEnv(options, groupId);
    const child = spawnTs('services/judge/main.ts', { env, stdio: ['ignore', 'ignore', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const stopOnSignal = () => child.kill('SIGTERM');
    process.once('SIGINT', stopOnSignal);
    let judged = 0;
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      if (child.exitCode !== null) break;
      const { lag, handled } = await fetchGroupPosition(session.admin, groupId, TOPICS.trajectories.name);
      judged = handled;
      options.progress?.(`re-judged ${judged}, ${lag} to go`);
      if (lag === 0 && !options.follow) break;
    }
    child.kill('SIGTERM');
    const exitCode = await exited;
    process.off('SIGINT', stopOnSignal);
    return { groupId, judged, exitCode };
  } finally {
    await session.close();
  }
}
