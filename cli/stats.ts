// webtrail stats [--follow]: reads the pipeline's topics (without touching any service's consumer
// group) and reports what the run has produced so far. Training examples and dead letters are counted
// from offsets, not read: they are the largest topics and their counts are all the report needs.
import { allTopics, TOPICS } from '../schemas/index.ts';
import { openKafkaSession, readTopics, recordCount } from '../bus/index.ts';
import { StatsCollector, type Prices, type StatsReport } from '../dashboard/index.ts';
import { formatTable, pct } from './table.ts';

const READ = [
  TOPICS.sites.name,
  TOPICS.sitesRejected.name,
  TOPICS.sitesScreened.name,
  TOPICS.tasks.name,
  TOPICS.trajectories.name,
  TOPICS.verdicts.name,
];

export interface StatsOptions {
  prices: Prices;
  judgeVersion?: string;
  follow: boolean;
  /** With follow: how often a report is made. */
  intervalMs: number;
  onReport: (report: StatsReport, final: boolean) => void;
  signal?: AbortSignal;
}

async function topicCounts(): Promise<Array<{ topic: string; records: number }>> {
  const session = await openKafkaSession('webtrail-stats');
  try {
    const existing = new Set(await session.admin.listTopics());
    const counts = [];
    for (const spec of allTopics().filter((t) => existing.has(t.name) && t.name !== TOPICS.schemas.name)) {
      const offsets = await session.admin.fetchTopicOffsets(spec.name);
      counts.push({ topic: spec.name, records: recordCount(offsets) });
    }
    return counts;
  } finally {
    await session.close();
  }
}

export async function collectStats(options: StatsOptions): Promise<StatsReport> {
  const collector = new StatsCollector();
  const make = async () =>
    collector.report({ topics: await topicCounts(), prices: options.prices, judgeVersion: options.judgeVersion });
  let timer: NodeJS.Timeout | undefined;
  if (options.follow) {
    const tick = async () => {
      options.onReport(await make(), false);
      timer = setTimeout(() => void tick().catch(() => undefined), options.intervalMs);
    };
    timer = setTimeout(() => void tick().catch(() => undefined), options.intervalMs);
  }
  try {
    await readTopics(READ, {
      fromBeginning: true,
      follow: options.follow,
      signal: options.signal,
      onRecord: (r) => collector.add(r.schema, r.value),
    });
  } finally {
    clearTimeout(timer);
  }
  const report = await make();
  options.onReport(report, true);
  return report;
}

export function formatStats(report: StatsReport): string {
  const out: string[] = [];
  out.push('Topics', formatTable(report.topics.map((t) => ({ topic: t.topic, records: t.records }))), '');
  const reasons = Object.entries(report.sites.rejectedByReason)
    .map(([r, n]) => `${r} ${n}`)
    .join(', ');
  const skipped = report.sites.resubmissionsSkipped;
  out.push(
    `Sites: ${report.sites.submitted} submitted, ${report.sites.accepted} with tasks, ${report.sites.rejected} rejected${reasons ? ` (${reasons})` : ''}${skipped ? `; ${skipped} re-submission(s) skipped, already screened by the same generator version (submit --again screens them again)` : ''}`,
    '',
  );
  out.push(
    'Judges',
    formatTable(
      report.judges.map((j) => ({
        'judge version': j.judgeVersion,
        verdicts: j.verdicts,
        'success rate': pct(j.successRate),
        'mean success': j.meanSuccess.toFixed(3),
        'mean efficiency': j.meanEfficiency.toFixed(3),
        'mean self-correction': j.meanSelfCorrection.toFixed(3),
        'success [0,.2,.4,.6,.8,1]': j.successHistogram.join(' '),
      })),
    ),
    '',
  );
  out.push(
    `Per site${report.judgeVersion ? ` (solved as judged by ${report.judgeVersion})` : ''}`,
    formatTable(
      report.perSite.map((s) => ({
        site: s.domain,
        outcome: s.outcome,
        tasks: s.tasks,
        'follow-ups': s.followUps,
        trajectories: s.trajectories,
        answered: s.answered,
        'step limit': s.stepLimit,
        error: s.error,
        blocked: s.blocked,
        'not executable': s.notExecutable,
        solved: s.solved,
      })),
    ),
    '',
  );
  if (report.rounds.some((r) => r.round > 0)) {
    out.push(
      `Refinement rounds${report.judgeVersion ? ` (solved as judged by ${report.judgeVersion})` : ''}`,
      formatTable(
        report.rounds.map((r) => ({
          round: r.round === 0 ? '0 (proposed)' : r.round,
          tasks: r.tasks,
          harder: r.harder,
          repaired: r.repair,
          explored: r.explored,
          explorations: r.explorations,
          trajectories: r.trajectories,
          solved: r.solved,
        })),
      ),
      '',
    );
  }
  const impossible = Object.entries(report.notExecutable)
    .map(([r, n]) => `${r} ${n}`)
    .join(', ');
  out.push(
    `Not executable (the site made the task impossible; in no success rate, no training example): ${impossible || 'none'}`,
    '',
  );
  const polite = report.politeness;
  out.push(
    `Politeness: ${polite.suppressedSites} site(s) refused as opted out (WEBTRAIL_SUPPRESSION_LIST), ${polite.suppressedRequests} connection(s) to opted-out hosts refused, ${polite.robotsRefusals} page load(s) refused by robots.txt, ${polite.consentOptOuts} consent popup(s) opted out of`,
    '',
  );
  const st = report.steps;
  out.push(
    `Steps per trajectory: mean ${st.mean}, p50 ${st.p50}, p90 ${st.p90}, max ${st.max} over ${st.trajectories} trajectories (${
      Object.entries(st.byStatus)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none'
    })`,
    '',
  );
  out.push(
    'LLM tokens and estimated cost',
    formatTable(
      report.tokens.map((t) => ({
        stage: t.stage,
        calls: t.calls,
        'prompt tokens': t.promptTokens,
        'completion tokens': t.completionTokens,
        'cost USD': t.costUsd.toFixed(4),
      })),
    ),
  );
  out.push(
    report.totalCostUsd > 0
      ? `total ≈ $${report.totalCostUsd.toFixed(4)}`
      : 'cost: set WEBTRAIL_PRICE_INPUT_PER_MTOK / WEBTRAIL_PRICE_OUTPUT_PER_MTOK (or --price-input / --price-output, USD per million tokens) to estimate it',
  );
  return out.join('\n');
}
