// webtrail eval judge: reads every verdict, joins it with ground-truth labels, prints each judge
// version's figures side by side and writes them as a JSON report.
import path from 'node:path';
import { TOPICS, type Verdict } from '../schemas/index.ts';
import { readTopics } from '../bus/index.ts';
import { UserInputError } from '../platform/index.ts';
import { evaluateJudges, type JudgeEvalReport, readLabels } from '../eval/index.ts';
import { formatTable, num, pct } from './table.ts';
import { writeEvalReport } from './evalReport.ts';

export interface EvalJudgeOptions {
  labels: string;
  judgeVersion?: string[];
  threshold: number;
  out?: string;
  json?: boolean;
}

export function formatJudgeEval(report: JudgeEvalReport): string {
  const rows = report.versions.map((v) => ({
    'judge version': v.judgeVersion,
    labelled: v.metrics.cases,
    unlabelled: v.unlabelled,
    accuracy: pct(v.metrics.accuracy),
    precision: pct(v.metrics.precision),
    recall: pct(v.metrics.recall),
    F1: num(v.metrics.f1),
    kappa: num(v.metrics.cohensKappa),
    TP: v.metrics.confusion.truePositive,
    FP: v.metrics.confusion.falsePositive,
    FN: v.metrics.confusion.falseNegative,
    TN: v.metrics.confusion.trueNegative,
  }));
  const calibration = report.versions.flatMap((v) =>
    v.metrics.calibration
      .filter((b) => b.cases > 0)
      .map((b) => ({
        'judge version': v.judgeVersion,
        score: `${b.from.toFixed(1)}–${b.to.toFixed(1)}`,
        cases: b.cases,
        'mean score': num(b.meanScore),
        'truly successful': pct(b.successRate),
      })),
  );
  return [
    `judges against ${report.labels} labels (success = score ≥ ${report.threshold}; positive class: successful)`,
    '',
    formatTable(rows),
    '',
    'calibration',
    formatTable(calibration),
  ].join('\n');
}

export async function evalJudge(options: EvalJudgeOptions, print: (line: string) => void): Promise<JudgeEvalReport> {
  const labels = readLabels(options.labels);
  const verdicts: Verdict[] = [];
  await readTopics([TOPICS.verdicts.name], {
    fromBeginning: true,
    follow: false,
    // A verdict on a site that could not be done is no judgement (the judge was not asked): left out.
    onRecord: (r) => void (!(r.value as Verdict).trajectory.notExecutable && verdicts.push(r.value as Verdict)),
  });
  const present = [...new Set(verdicts.map((v) => v.judgeVersion))].sort();
  const missing = (options.judgeVersion ?? []).filter((v) => !present.includes(v));
  if (missing.length)
    throw new UserInputError(
      `--judge-version ${missing.join(', ')}: no verdicts by ${missing.length > 1 ? 'these' : 'this version'}; the topic holds ${present.join(', ') || 'none'}`,
    );
  const report = evaluateJudges(verdicts, labels, { versions: options.judgeVersion, threshold: options.threshold });
  if (!report.versions.some((v) => v.metrics.cases > 0)) {
    throw new UserInputError(
      `--labels ${options.labels}: none of the ${verdicts.length} verdicts is of a trajectory it labels (matched by trajectoryId, and runId where a label gives one)`,
    );
  }
  const out = writeEvalReport('judge', { labelsFile: path.resolve(options.labels), ...report }, options.out);
  print(options.json ? JSON.stringify(report) : `${formatJudgeEval(report)}\n\nreport: ${out}`);
  return report;
}
