import { describe, expect, it } from 'vitest';
import { site, task, trajectory, usage, verdict } from '../test/helpers/samples.ts';
import { loadPrices, StatsCollector } from './statsReport.ts';

const prices = loadPrices({
  WEBTRAIL_PRICE_INPUT_PER_MTOK: '1',
  WEBTRAIL_PRICE_OUTPUT_PER_MTOK: '2',
  WEBTRAIL_PRICE_JUDGE_INPUT_PER_MTOK: '10',
});

describe('stats report', () => {
  it('counts each record once despite redelivery, per judge version, per site, with tokens and cost', () => {
    const c = new StatsCollector();
    c.add('Site', site('shop.example.com'));
    c.add('Site', site('bad.example.com'));
    c.add('SiteRejection', {
      domain: 'bad.example.com',
      url: 'https://bad.example.com/',
      reason: 'unsafe',
      detail: 'gambling',
      category: 'gambling',
      generatorVersion: 'm@gen-v1',
      rejectedAtMs: 1,
      usage: usage(1),
    });
    for (const id of ['t1', 't2', 't2']) c.add('Task', task(id)); // t2 redelivered
    c.add('Trajectory', trajectory('t1'));
    c.add('Trajectory', {
      ...trajectory('t2'),
      status: 'step_limit',
      steps: [...trajectory('t2').steps, ...trajectory('t2').steps, ...trajectory('t2').steps],
    });
    c.add('Trajectory', trajectory('t1')); // redelivered
    c.add('Verdict', verdict('t1'));
    c.add('Verdict', { ...verdict('t2'), success: 0.1 });
    c.add('Verdict', {
      ...verdict('t1'),
      verdictId: 'v2-t1',
      judgeVersion: 'big@judge-v2',
      success: 0.7,
      judgedAtMs: 1_800_000_000_000,
    });
    // t3: the refiner's harder follow-up of t1 (redelivered), with the refinement's own usage; rolled out and judged a success.
    const followUp = {
      ...task('t3'),
      usage: usage(2),
      lineage: {
        parentTaskId: 't1',
        rootTaskId: 't1',
        round: 1,
        direction: 'harder',
        reason: 'one page deeper',
        verdictId: 'v-t1',
        parentSuccess: 1,
      },
    };
    c.add('Task', followUp);
    c.add('Task', followUp);
    c.add('Trajectory', { ...trajectory('t3'), task: followUp });
    c.add('Verdict', verdict('t3'));
    // e1: an exploration of the site, rolled out and passed on by the judge: not a task carried out, not a judgement.
    const exploration = { ...task('e1'), kind: 'explore' };
    c.add('Task', exploration);
    c.add('Trajectory', { ...trajectory('e1'), task: exploration });
    c.add('Verdict', { ...verdict('e1'), trajectory: { ...trajectory('e1'), task: exploration } });
    c.add(undefined, { garbage: true });
    // Re-submissions: shop skipped twice then once more (its latest record counts), bad once.
    const screened = {
      domain: 'shop.example.com',
      generatorVersion: 'm@gen-v1',
      outcome: 'tasks',
      taskCount: 2,
      screenedAtMs: 1,
      resubmissionsSkipped: 0,
      lastSkippedAtMs: null,
    } as const;
    for (const n of [1, 2, 3]) c.add('ScreenedSite', { ...screened, resubmissionsSkipped: n, lastSkippedAtMs: n });
    c.add('ScreenedSite', {
      ...screened,
      domain: 'bad.example.com',
      outcome: 'rejected',
      taskCount: 0,
      resubmissionsSkipped: 1,
    });
    c.add('ScreenedSite', { ...screened, generatorVersion: 'm@gen-v2' });

    const report = c.report({ topics: [{ topic: 'webtrail.sites', records: 2 }], prices, judgeVersion: 'm@judge-v1' });
    expect(report.sites).toEqual({
      submitted: 2,
      accepted: 1,
      rejected: 1,
      rejectedByReason: { unsafe: 1 },
      resubmissionsSkipped: 4,
    });
    expect(report.judges).toEqual([
      {
        judgeVersion: 'big@judge-v2',
        verdicts: 1,
        successRate: 1,
        meanSuccess: 0.7,
        meanEfficiency: 0.8,
        meanSelfCorrection: 0.5,
        successHistogram: [0, 0, 0, 1, 0],
      },
      {
        judgeVersion: 'm@judge-v1',
        verdicts: 3,
        successRate: 0.667,
        meanSuccess: 0.7,
        meanEfficiency: 0.8,
        meanSelfCorrection: 0.5,
        successHistogram: [1, 0, 0, 0, 2],
      },
    ]);
    expect(report.perSite).toEqual([
      {
        domain: 'bad.example.com',
        outcome: 'rejected: unsafe',
        tasks: 0,
        followUps: 0,
        trajectories: 0,
        answered: 0,
        stepLimit: 0,
        error: 0,
        blocked: 0,
        notExecutable: 0,
        solved: 0,
      },
      {
        domain: 'shop.example.com',
        outcome: 'tasks proposed',
        tasks: 4,
        followUps: 1,
        trajectories: 4,
        answered: 3,
        stepLimit: 1,
        error: 0,
        blocked: 0,
        notExecutable: 0,
        solved: 2,
      },
    ]);
    expect(report.rounds).toEqual([
      { round: 0, tasks: 2, harder: 0, repair: 0, explored: 0, explorations: 1, trajectories: 2, solved: 1 },
      { round: 1, tasks: 1, harder: 1, repair: 0, explored: 0, explorations: 0, trajectories: 1, solved: 1 },
    ]);
    expect(report.steps).toMatchObject({ trajectories: 4, max: 3, byStatus: { answered: 3, step_limit: 1 } });
    // generator: once per site (shop via its proposed tasks, bad via its rejection); agent: per trajectory;
    // judge: per verdict; refiner: per follow-up (never taking the place of its site's generator usage).
    expect(report.tokens.map((t) => [t.stage, t.calls, t.promptTokens, t.completionTokens])).toEqual([
      ['generator', 2, 200, 40],
      ['agent', 4, 400, 80],
      ['judge', 4, 400, 80],
      ['refiner', 2, 200, 40],
    ]);
    expect(report.tokens.find((t) => t.stage === 'judge')!.costUsd).toBeCloseTo((400 * 10 + 80 * 2) / 1e6, 6);
    expect(report.totalCostUsd).toBeCloseTo((200 + 80 + 400 + 160 + 4000 + 160 + 200 + 80) / 1e6, 6);
    // Default judge version: the most recently used.
    expect(c.report({ topics: [], prices }).judgeVersion).toBe('big@judge-v2');
  });

  it('refuses a negative or non-numeric price by its variable name', () => {
    expect(() => loadPrices({ WEBTRAIL_PRICE_AGENT_OUTPUT_PER_MTOK: '-1' })).toThrow(
      /WEBTRAIL_PRICE_AGENT_OUTPUT_PER_MTOK/,
    );
    expect(() => loadPrices({ WEBTRAIL_PRICE_INPUT_PER_MTOK: 'cheap' })).toThrow(/WEBTRAIL_PRICE_INPUT_PER_MTOK/);
  });
});

describe('tasks without a trajectory', () => {
  it('are the tasks on the topic no trajectory was recorded for, each counted once', () => {
    const c = new StatsCollector();
    // t1, t2, t3 proposed (t3 twice: redelivered); a trajectory for t1 (twice: another run) and none for t2, t3.
    for (const id of ['t1', 't2', 't3', 't3']) c.add('Task', task(id));
    c.add('Trajectory', trajectory('t1'));
    c.add('Trajectory', { ...trajectory('t1'), runId: 'run-again' });
    expect(c.tasksWithoutTrajectory()).toBe(2);
    c.add('Trajectory', trajectory('t3'));
    expect(c.tasksWithoutTrajectory()).toBe(1);
  });

  it('counts what politeness refused and the consent popups opted out of, each trajectory once', () => {
    const c = new StatsCollector();
    const event = (kind: string, detail: string) => ({ kind, detail, url: 'https://a.example/', atMs: 1 });
    const t = trajectory('t1');
    const polite = {
      ...t,
      startGuardEvents: [event('consent_opted_out', 'opted out of the Complianz banner consent popup')],
      steps: t.steps.map((s, i) => ({
        ...s,
        guardEvents:
          i === 0 ? [event('robots_disallowed', 'robots.txt disallows /staff/'), event('dialog_answered', 'x')] : [],
      })),
    };
    c.add('Trajectory', polite);
    c.add('Trajectory', polite); // redelivered
    expect(c.report({ topics: [], prices }).politeness).toEqual({
      suppressedSites: 0,
      suppressedRequests: 0,
      robotsRefusals: 1,
      consentOptOuts: 1,
    });
  });

  it('keeps a site that could not be done out of every success rate, and counts it by reason', () => {
    const c = new StatsCollector();
    for (const id of ['t1', 't2', 't3']) c.add('Task', task(id));
    c.add('Trajectory', trajectory('t1'));
    c.add('Verdict', { ...verdict('t1'), success: 1 });
    const impossible = (id: string, reason: string) => ({
      ...trajectory(id),
      steps: [],
      status: 'blocked' as const,
      statusReason: `${reason}: the page said so`,
      notExecutable: { reason, detail: 'the page said so' },
    });
    for (const [id, reason] of [
      ['t2', 'captcha'],
      ['t3', 'login'],
    ] as const) {
      c.add('Trajectory', impossible(id, reason));
      c.add('Verdict', { ...verdict(id), verdictId: `v-${id}`, success: 0, trajectory: impossible(id, reason) });
    }
    const report = c.report({ topics: [], prices });
    // One verdict counts, a success: 100%, not the 33% that counting the two impossible sites would give.
    expect(report.judges.map((j) => [j.verdicts, j.successRate])).toEqual([[1, 1]]);
    expect(report.notExecutable).toEqual({ captcha: 1, login: 1 });
    expect(report.perSite[0]).toMatchObject({ trajectories: 3, answered: 1, notExecutable: 2 });
    expect(report.steps.byStatus).toMatchObject({ not_executable: 2 });
  });
});
