// What `webtrail stats` reports, computed from decoded records. Plain data in, plain data out: the
// collector dedupes redelivered records by their ids, so at-least-once delivery does not inflate counts.
import { z } from 'zod';
import {
  guardEventsOf,
  type ScreenedSite,
  type SiteRejection,
  SUPPRESSED_CATEGORY,
  type Task,
  type TokenUsage,
  type Trajectory,
  type Verdict,
} from '../schemas/index.ts';
import { type Env, parseEnv, percentile } from '../platform/index.ts';

export type Stage = 'generator' | 'agent' | 'judge' | 'refiner';
export const STAGES: Stage[] = ['generator', 'agent', 'judge', 'refiner'];

/** USD per million tokens, per stage. */
export type Prices = Record<Stage, { input: number; output: number }>;

const price = z.coerce.number().min(0, 'a price cannot be negative');

/** WEBTRAIL_PRICE_<STAGE>_{INPUT,OUTPUT}_PER_MTOK, falling back to WEBTRAIL_PRICE_{INPUT,OUTPUT}_PER_MTOK. */
export function loadPrices(env: Env = process.env): Prices {
  const names = ['INPUT', 'OUTPUT'].flatMap((io) => [
    `WEBTRAIL_PRICE_${io}_PER_MTOK`,
    ...STAGES.map((s) => `WEBTRAIL_PRICE_${s.toUpperCase()}_${io}_PER_MTOK`),
  ]);
  const raw = parseEnv(z.object(Object.fromEntries(names.map((n) => [n, price.optional()]))), env) as Record<
    string,
    number | undefined
  >;
  const get = (stage: Stage, io: 'INPUT' | 'OUTPUT') =>
    raw[`WEBTRAIL_PRICE_${stage.toUpperCase()}_${io}_PER_MTOK`] ?? raw[`WEBTRAIL_PRICE_${io}_PER_MTOK`] ?? 0;
  return Object.fromEntries(STAGES.map((s) => [s, { input: get(s, 'INPUT'), output: get(s, 'OUTPUT') }])) as Prices;
}

export interface JudgeStats {
  judgeVersion: string;
  verdicts: number;
  /** Share of verdicts with success ≥ 0.5. */
  successRate: number;
  meanSuccess: number;
  meanEfficiency: number;
  meanSelfCorrection: number;
  /** Success scores in five buckets: [0,0.2), [0.2,0.4), [0.4,0.6), [0.6,0.8), [0.8,1]. */
  successHistogram: number[];
}

export interface SiteStats {
  domain: string;
  outcome: string;
  tasks: number;
  trajectories: number;
  answered: number;
  stepLimit: number;
  error: number;
  blocked: number;
  /** Trajectories the site made impossible (status not_executable): in no success rate. */
  notExecutable: number;
  /** Trajectories judged successful by the report's judge version. */
  solved: number;
  /** Of its tasks, the refiner's follow-ups. */
  followUps: number;
}

/** Tasks of one refinement round (0: proposed from the home page), and how they fared. */
export interface RoundStats {
  round: number;
  tasks: number;
  /** Follow-ups made harder after a success, repaired after a failure, proposed from an exploration (round 0 has none). */
  harder: number;
  repair: number;
  explored: number;
  /** Explorations of the sites (round 0; not counted in tasks, their trajectories not in trajectories or solved). */
  explorations: number;
  trajectories: number;
  /** Trajectories judged successful by the report's judge version. */
  solved: number;
}

export interface StatsReport {
  topics: Array<{ topic: string; records: number }>;
  sites: {
    submitted: number;
    accepted: number;
    rejected: number;
    rejectedByReason: Record<string, number>;
    /** Submissions the generator skipped: the site was already screened by the same generator version. */
    resubmissionsSkipped: number;
  };
  judgeVersion: string | null;
  judges: JudgeStats[];
  perSite: SiteStats[];
  /** Tasks by refinement round, with their lineage's direction and how they fared. */
  rounds: RoundStats[];
  steps: {
    trajectories: number;
    mean: number;
    p50: number;
    p90: number;
    max: number;
    byStatus: Record<string, number>;
  };
  tokens: Array<{ stage: Stage; calls: number; promptTokens: number; completionTokens: number; costUsd: number }>;
  totalCostUsd: number;
  /** What webtrail refused itself out of politeness: opted-out sites and pages, robots.txt refusals. */
  politeness: {
    /** Sites the generator refused because the operator's suppression list names them. */
    suppressedSites: number;
    /** Connections of agents refused because their host is on the suppression list. */
    suppressedRequests: number;
    /** Page loads of agents that robots.txt disallowed (refused before the site saw them). */
    robotsRefusals: number;
    /** Cookie-consent popups the browser opted out of (autoconsent) before the agent read the page. */
    consentOptOuts: number;
  };
  /** Trajectories that ended not_executable, by reason (captcha, bot_wall, login, consent, rate_limited, down, robots). */
  notExecutable: Record<string, number>;
}

interface TrajectorySummary {
  taskId: string;
  domain: string;
  status: string;
  steps: number;
  usage: TokenUsage;
  startedAtMs: number;
  robotsRefusals: number;
  consentOptOuts: number;
  suppressedRequests: number;
  notExecutableReason: string | null;
}
interface VerdictSummary {
  trajectoryId: string;
  judgeVersion: string;
  success: number;
  efficiency: number;
  selfCorrection: number;
  usage: TokenUsage;
  judgedAtMs: number;
}

/** How the egress guard words a refusal of a suppressed host (browser/egressProxy.ts). */
const SUPPRESSED = /suppression list/;

const mean = (values: number[]) =>
  values.length ? Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 1000) / 1000 : 0;

function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

export class StatsCollector {
  private readonly submitted = new Set<string>();
  private readonly rejections = new Map<string, SiteRejection>();
  /** Task id → domain: what the report needs of every task. */
  private readonly taskDomains = new Map<string, string>();
  /** Task id → its round and direction, for follow-ups only. */
  private readonly followUps = new Map<string, { round: number; direction: string; usage: TokenUsage }>();
  /** Explorations: their trajectories and verdicts are not tasks carried out, and stay out of the judges' figures. */
  private readonly explorations = new Set<string>();
  private readonly generatorUsage = new Map<string, TokenUsage>();
  private readonly trajectories = new Map<string, TrajectorySummary>();
  private readonly verdicts = new Map<string, VerdictSummary>();
  /** The latest record per site and generator version (a key lives in one partition, read in order). */
  private readonly screened = new Map<string, ScreenedSite>();

  /** Takes one decoded record of webtrail.sites, .sites.rejected, .sites.screened, .tasks, .trajectories or .verdicts. */
  add(schema: string | undefined, value: unknown): void {
    switch (schema) {
      case 'Site':
        this.submitted.add((value as { domain: string }).domain);
        break;
      case 'SiteRejection': {
        const r = value as SiteRejection;
        this.rejections.set(r.domain, r);
        this.generatorUsage.set(r.domain, r.usage);
        break;
      }
      case 'ScreenedSite': {
        const r = value as ScreenedSite;
        this.screened.set(`${r.domain} ${r.generatorVersion}`, r);
        break;
      }
      case 'Task': {
        const t = value as Task;
        this.taskDomains.set(t.taskId, t.domain);
        // A follow-up carries its own refinement's usage; a site's screening and proposal usage is carried
        // by each of its proposed tasks: count that once.
        if (t.lineage)
          this.followUps.set(t.taskId, { round: t.lineage.round, direction: t.lineage.direction, usage: t.usage });
        else this.generatorUsage.set(t.domain, t.usage);
        if (t.kind === 'explore') this.explorations.add(t.taskId);
        break;
      }
      case 'Trajectory': {
        const t = value as Trajectory;
        const events = guardEventsOf(t);
        this.trajectories.set(t.trajectoryId, {
          robotsRefusals: events.filter((e) => e.kind === 'robots_disallowed').length,
          consentOptOuts: events.filter((e) => e.kind === 'consent_opted_out').length,
          notExecutableReason: t.notExecutable?.reason ?? null,
          suppressedRequests: events.filter((e) => e.kind === 'request_blocked' && SUPPRESSED.test(e.detail)).length,
          taskId: t.task.taskId,
          domain: t.task.domain,
          status: t.status,
          steps: t.steps.length,
          usage: t.usage,
          startedAtMs: t.startedAtMs,
        });
        break;
      }
      case 'Verdict': {
        const v = value as Verdict;
        // Explorations have no success check; a site that could not be done says nothing of the agent.
        if (v.trajectory.task.kind === 'explore' || v.trajectory.notExecutable) break;
        this.verdicts.set(v.verdictId, {
          trajectoryId: v.trajectoryId,
          judgeVersion: v.judgeVersion,
          success: v.success,
          efficiency: v.efficiency,
          selfCorrection: v.selfCorrection,
          usage: v.usage,
          judgedAtMs: v.judgedAtMs,
        });
        break;
      }
      default:
        break;
    }
  }

  /** Tasks on the topic that have no trajectory yet: waiting for a rollout or in one. */
  tasksWithoutTrajectory(): number {
    const rolledOut = new Set<string>();
    for (const t of this.trajectories.values()) rolledOut.add(t.taskId);
    let waiting = 0;
    for (const taskId of this.taskDomains.keys()) if (!rolledOut.has(taskId)) waiting += 1;
    return waiting;
  }

  /** judgeVersion: whose verdicts count as "solved" per site (default: the most recently used one). */
  report(options: {
    topics: Array<{ topic: string; records: number }>;
    prices: Prices;
    judgeVersion?: string;
  }): StatsReport {
    const byVersion = new Map<string, VerdictSummary[]>();
    let latest: VerdictSummary | undefined;
    for (const v of this.verdicts.values()) {
      const list = byVersion.get(v.judgeVersion);
      if (list) list.push(v);
      else byVersion.set(v.judgeVersion, [v]);
      if (!latest || v.judgedAtMs > latest.judgedAtMs) latest = v;
    }
    const judgeVersion = options.judgeVersion ?? latest?.judgeVersion ?? null;

    const judges: JudgeStats[] = [...byVersion]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([version, list]) => {
        const histogram = [0, 0, 0, 0, 0];
        for (const v of list) histogram[Math.min(4, Math.floor(v.success * 5))]! += 1;
        return {
          judgeVersion: version,
          verdicts: list.length,
          successRate: Math.round((list.filter((v) => v.success >= 0.5).length / list.length) * 1000) / 1000,
          meanSuccess: mean(list.map((v) => v.success)),
          meanEfficiency: mean(list.map((v) => v.efficiency)),
          meanSelfCorrection: mean(list.map((v) => v.selfCorrection)),
          successHistogram: histogram,
        };
      });

    const solvedTrajectories = new Set(
      (byVersion.get(judgeVersion ?? '') ?? []).filter((v) => v.success >= 0.5).map((v) => v.trajectoryId),
    );
    const sites = new Map<string, SiteStats>();
    const site = (domain: string) => {
      let s = sites.get(domain);
      if (!s)
        sites.set(
          domain,
          (s = {
            domain,
            outcome: 'submitted',
            tasks: 0,
            trajectories: 0,
            answered: 0,
            stepLimit: 0,
            error: 0,
            blocked: 0,
            notExecutable: 0,
            solved: 0,
            followUps: 0,
          }),
        );
      return s;
    };
    for (const domain of this.submitted) site(domain);
    for (const r of this.rejections.values()) site(r.domain).outcome = `rejected: ${r.reason}`;
    const rounds = new Map<number, RoundStats>();
    const round = (n: number) => {
      let r = rounds.get(n);
      if (!r)
        rounds.set(
          n,
          (r = { round: n, tasks: 0, harder: 0, repair: 0, explored: 0, explorations: 0, trajectories: 0, solved: 0 }),
        );
      return r;
    };
    for (const [taskId, domain] of this.taskDomains) {
      const s = site(domain);
      s.tasks += 1;
      s.outcome = 'tasks proposed';
      const followUp = this.followUps.get(taskId);
      if (followUp) s.followUps += 1;
      const r = round(followUp?.round ?? 0);
      if (this.explorations.has(taskId)) {
        r.explorations += 1;
        continue;
      }
      r.tasks += 1;
      if (followUp?.direction === 'harder') r.harder += 1;
      if (followUp?.direction === 'repair') r.repair += 1;
      if (followUp?.direction === 'explored') r.explored += 1;
    }
    const statusKey = {
      answered: 'answered',
      step_limit: 'stepLimit',
      error: 'error',
      blocked: 'blocked',
    } as const;
    for (const [id, t] of this.trajectories) {
      const s = site(t.domain);
      s.trajectories += 1;
      if (t.notExecutableReason) s.notExecutable += 1;
      else s[statusKey[t.status as keyof typeof statusKey] ?? 'error'] += 1;
      if (solvedTrajectories.has(id)) s.solved += 1;
      if (this.explorations.has(t.taskId)) continue;
      const r = round(this.followUps.get(t.taskId)?.round ?? 0);
      r.trajectories += 1;
      if (solvedTrajectories.has(id)) r.solved += 1;
    }

    const stepCounts = [...this.trajectories.values()].map((t) => t.steps);
    // A site that could not be done ends blocked; it is counted as what it is.
    const byStatus = countBy([...this.trajectories.values()], (t) =>
      t.notExecutableReason ? 'not_executable' : t.status,
    );

    const usageOf: Record<Stage, TokenUsage[]> = {
      generator: [...this.generatorUsage.values()],
      agent: [...this.trajectories.values()].map((t) => t.usage),
      judge: [...this.verdicts.values()].map((v) => v.usage),
      refiner: [...this.followUps.values()].map((f) => f.usage),
    };
    const tokens = STAGES.map((stage) => {
      const list = usageOf[stage];
      const promptTokens = list.reduce((n, u) => n + u.promptTokens, 0);
      const completionTokens = list.reduce((n, u) => n + u.completionTokens, 0);
      const costUsd =
        Math.round(
          ((promptTokens * options.prices[stage].input + completionTokens * options.prices[stage].output) / 1e6) * 1e6,
        ) / 1e6;
      return { stage, calls: list.reduce((n, u) => n + u.calls, 0), promptTokens, completionTokens, costUsd };
    });

    return {
      topics: options.topics,
      sites: {
        submitted: this.submitted.size,
        accepted: new Set(this.taskDomains.values()).size,
        rejected: this.rejections.size,
        rejectedByReason: countBy([...this.rejections.values()], (r) =>
          r.category === SUPPRESSED_CATEGORY ? 'suppressed' : r.reason,
        ),
        resubmissionsSkipped: [...this.screened.values()].reduce((n, r) => n + r.resubmissionsSkipped, 0),
      },
      judgeVersion,
      judges,
      perSite: [...sites.values()].sort((a, b) => a.domain.localeCompare(b.domain)),
      rounds: [...rounds.values()].sort((a, b) => a.round - b.round),
      steps: {
        trajectories: stepCounts.length,
        mean: mean(stepCounts),
        p50: percentile(stepCounts, 50),
        p90: percentile(stepCounts, 90),
        max: stepCounts.reduce((a, b) => Math.max(a, b), 0),
        byStatus,
      },
      tokens,
      totalCostUsd: Math.round(tokens.reduce((n, t) => n + t.costUsd, 0) * 1e6) / 1e6,
      politeness: {
        suppressedSites: [...this.rejections.values()].filter((r) => r.category === SUPPRESSED_CATEGORY).length,
        suppressedRequests: [...this.trajectories.values()].reduce((n, t) => n + t.suppressedRequests, 0),
        robotsRefusals: [...this.trajectories.values()].reduce((n, t) => n + t.robotsRefusals, 0),
        consentOptOuts: [...this.trajectories.values()].reduce((n, t) => n + t.consentOptOuts, 0),
      },
      notExecutable: countBy(
        [...this.trajectories.values()].filter((t) => t.notExecutableReason !== null),
        (t) => t.notExecutableReason!,
      ),
    };
  }
}
