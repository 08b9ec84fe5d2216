// Best-of-n in the sink: a task's attempts are held until all are judged, and only the best judged one's
// examples are written and sent. Scores and the expected winner in each case are chosen by hand.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TrainingExample, Verdict } from '../../schemas/types.ts';
import { verdict } from '../../test/helpers/samples.ts';
import { loadSinkConfig } from './config.ts';
import { readShards } from '../../dataset/index.ts';
import { Sink } from './sink.ts';
import { betterAttempt, type AttemptScore } from './attemptGroups.ts';

const VERSION = 'm@judge.v1';

function sinkIn(home: string, env: Record<string, string> = {}): Sink {
  return new Sink({ ...loadSinkConfig(env), datasetsDir: path.join(home, 'datasets'), flushIntervalMs: 1 });
}

/** Attempt `attempt` of `of` at a task, judged with these scores. */
function attemptVerdict(
  taskId: string,
  attempt: number,
  of: number,
  scores: { success: number; efficiency: number; selfCorrection?: number },
  run = 'a',
): Verdict {
  const v = verdict(taskId);
  const trajectoryId = `traj-${taskId}-attempt-${attempt}`;
  const steps = v.trajectory.steps.map((step) => ({
    ...step,
    llmOutput: `{"thought":"attempt ${attempt}","action":{"kind":"click","elementId":1}}`,
  }));
  return {
    ...v,
    verdictId: `v-${trajectoryId}-${run}`,
    trajectoryId,
    judgeVersion: VERSION,
    success: scores.success,
    efficiency: scores.efficiency,
    selfCorrection: scores.selfCorrection ?? 0,
    trajectory: {
      ...v.trajectory,
      trajectoryId,
      runId: `run-${trajectoryId}-${run}`,
      agentVersion: 'm@agent.v1',
      steps,
      attempt,
      attempts: of,
    },
  };
}

const datasetDir = (home: string) => path.join(home, 'datasets', VERSION);
const rows = (home: string) => [...readShards(datasetDir(home))];
const trajectoriesOf = (examples: TrainingExample[]) => [...new Set(examples.map((e) => e.trajectoryId))];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('which attempt is best', () => {
  const score = (attempt: number, success: number, efficiency: number, selfCorrection: number): AttemptScore => ({
    attempt,
    trajectoryId: `t${attempt}`,
    runId: 'r',
    success,
    efficiency,
    selfCorrection,
  });

  it('is the higher success, then efficiency, then self-correction, and on a tie the earlier attempt', () => {
    expect(betterAttempt(score(2, 1, 0.1, 0), score(0, 0.9, 1, 1))).toBe(true);
    expect(betterAttempt(score(2, 1, 0.8, 0), score(0, 1, 0.5, 1))).toBe(true);
    expect(betterAttempt(score(2, 1, 0.5, 0.6), score(0, 1, 0.5, 0.4))).toBe(true);
    expect(betterAttempt(score(0, 1, 0.5, 0.5), score(2, 1, 0.5, 0.5))).toBe(true);
    expect(betterAttempt(score(2, 1, 0.5, 0.5), score(0, 1, 0.5, 0.5))).toBe(false);
  });
});

describe('best-of-n in the sink', () => {
  it("holds a task's attempts until all are judged, then writes and sends only the best one's examples", async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'webtrail-bestof-'));
    const sink = sinkIn(home);
    // By hand: attempt 0 failed; attempts 1 and 2 both succeeded, 2 more efficiently. 2 is kept.
    expect(await sink.accept(attemptVerdict('t1', 0, 3, { success: 0, efficiency: 1 }))).toEqual([]);
    expect(await sink.accept(attemptVerdict('t1', 1, 3, { success: 1, efficiency: 0.6 }))).toEqual([]);
    expect(sink.attemptsWaiting).toBe(1);
    const sent = await sink.accept(attemptVerdict('t1', 2, 3, { success: 1, efficiency: 0.8 }));
    expect(trajectoriesOf(sent)).toEqual(['traj-t1-attempt-2']);
    expect(sent.every((e) => e.attempts === 3 && e.attempt === 2)).toBe(true);
    expect(sink.attemptsWaiting).toBe(0);
    // A task run once goes straight through, beside it.
    const once = await sink.accept({
      ...verdict('t2'),
      judgeVersion: VERSION,
      trajectory: { ...attemptVerdict('t2', 0, 1, { success: 1, efficiency: 1 }).trajectory },
    });
    expect(once.length).toBeGreaterThan(0);
    await sink.close();

    expect(trajectoriesOf(rows(home)).sort()).toEqual(['traj-t1-attempt-2', 'traj-t2-attempt-0']);
    const written = rows(home).filter((e) => e.taskId === 't1');
    expect(written.map((e) => e.exampleId)).toEqual(sent.map((e) => e.exampleId));
    expect(written.every((e) => e.attempts === 3 && e.attempt === 2)).toBe(true);
    const card = readFileSync(path.join(datasetDir(home), 'README.md'), 'utf8');
    expect(card).toContain(
      `| attempts per task | 1 attempt: ${once.length} examples of 1 trajectories; 3 attempts, the best judged kept: ${sent.length} examples of 1 trajectories (one per task)`,
    );
  });

  it('ranks before filtering: when the best attempt fails the filter, the task has no example at all', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'webtrail-bestof-'));
    const sink = sinkIn(home);
    // By hand: the best (success 0.5) is not above the insta filter's 0.5; the worse ones are never written.
    expect(await sink.accept(attemptVerdict('t1', 0, 2, { success: 0.5, efficiency: 1 }))).toEqual([]);
    expect(await sink.accept(attemptVerdict('t1', 1, 2, { success: 0.2, efficiency: 1 }))).toEqual([]);
    expect(sink.attemptsWaiting).toBe(0);
    await sink.close();
    expect(rows(home)).toEqual([]);
  });

  it('takes attempts that arrive at once one at a time: one task, one set of examples', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'webtrail-bestof-'));
    const sink = sinkIn(home);
    const results = await Promise.all(
      [0, 1, 2, 3].map((a) => sink.accept(attemptVerdict('t1', a, 4, { success: a === 1 ? 1 : 0.75, efficiency: 1 }))),
    );
    await sink.close();
    expect(results.filter((r) => r.length > 0)).toHaveLength(1);
    expect(trajectoriesOf(results.flat())).toEqual(['traj-t1-attempt-1']);
    expect(trajectoriesOf(rows(home))).toEqual(['traj-t1-attempt-1']);
  });

  it('keeps held attempts through a restart, counts a redelivered attempt once, and sends the kept examples again when the deciding verdict is redelivered', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'webtrail-bestof-'));
    let sink = sinkIn(home);
    const best = attemptVerdict('t1', 0, 3, { success: 1, efficiency: 0.9 });
    expect(await sink.accept(best)).toEqual([]);
    await sink.close();

    sink = sinkIn(home);
    expect(sink.attemptsWaiting).toBe(1);
    // The same attempt again (its offset was not committed), and another run of it: neither counts as a second attempt.
    expect(await sink.accept(best)).toEqual([]);
    expect(await sink.accept(attemptVerdict('t1', 0, 3, { success: 0, efficiency: 0 }, 'b'))).toEqual([]);
    const deciding = attemptVerdict('t1', 2, 3, { success: 0, efficiency: 0.3 });
    expect(await sink.accept(deciding)).toEqual([]);
    const sent = await sink.accept(attemptVerdict('t1', 1, 3, { success: 1, efficiency: 0.4 }));
    expect(trajectoriesOf(sent)).toEqual(['traj-t1-attempt-0']);
    await sink.close();

    sink = sinkIn(home);
    // The deciding verdict once more (the sink died before committing it): the same examples, for the topic.
    const again = await sink.accept(attemptVerdict('t1', 1, 3, { success: 1, efficiency: 0.4 }));
    expect(again.map((e) => e.exampleId)).toEqual(sent.map((e) => e.exampleId));
    // Another attempt after the decision: nothing.
    expect(await sink.accept(deciding)).toEqual([]);
    await sink.close();
    expect(rows(home).map((e) => e.exampleId)).toEqual(sent.map((e) => e.exampleId));
  });

  it('settles a task whose other attempts never come once the wait runs out, even after a restart, and a failed send settles it again', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'webtrail-bestof-'));
    const env = { WEBTRAIL_SINK_ATTEMPTS_WAIT_MS: '1000' };
    let sink = sinkIn(home, env);
    expect(await sink.accept(attemptVerdict('t1', 0, 3, { success: 0.75, efficiency: 1 }))).toEqual([]);
    expect(await sink.accept(attemptVerdict('t1', 2, 3, { success: 1, efficiency: 1 }))).toEqual([]);
    const published: TrainingExample[][] = [];
    expect(await sink.settleOverdue(async (e) => void published.push(e))).toEqual([]);
    await sink.close();

    // Restarted: nothing of that judge version has come since, and the task is still settled.
    sink = sinkIn(home, env);
    await sleep(1100);
    await expect(sink.settleOverdue(() => Promise.reject(new Error('broker away')))).rejects.toThrow('broker away');
    expect(sink.attemptsWaiting).toBe(1);
    const settled = await sink.settleOverdue(async (e) => void published.push(e));
    expect(settled.map((d) => [d.taskId, d.attempt, d.judged, d.attempts, d.by])).toEqual([['t1', 2, 2, 3, -1]]);
    expect(published.map(trajectoriesOf)).toEqual([['traj-t1-attempt-2']]);
    // The third attempt at last: too late.
    expect(await sink.accept(attemptVerdict('t1', 1, 3, { success: 1, efficiency: 1, selfCorrection: 1 }))).toEqual([]);
    await sink.close();
    expect(rows(home).map((e) => e.exampleId)).toEqual(published[0]!.map((e) => e.exampleId));
  });
});
