// How well a binary classifier (a judge's verdicts, a safety screen) agrees with ground truth: the usual
// figures, for one positive class, and calibration of its scores.

export interface LabelledCase {
  /** The judge's success score in [0, 1]. */
  score: number;
  /** Ground truth: the task was done (a program check, or a person's label). */
  truth: boolean;
}

export interface Confusion {
  truePositive: number;
  falsePositive: number;
  falseNegative: number;
  trueNegative: number;
}

export interface CalibrationBucket {
  /** Scores in [from, to), the last bucket including 1. */
  from: number;
  to: number;
  cases: number;
  meanScore: number | null;
  /** The share of these cases that truly succeeded. */
  successRate: number | null;
}

export interface ClassificationMetrics {
  cases: number;
  confusion: Confusion;
  accuracy: number | null;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  /** Agreement beyond chance (Cohen): 1 perfect, 0 no better than chance, below 0 worse. */
  cohensKappa: number | null;
  calibration: CalibrationBucket[];
}

const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);

export function classificationMetrics(cases: LabelledCase[], threshold = 0.5, buckets = 5): ClassificationMetrics {
  const confusion: Confusion = { truePositive: 0, falsePositive: 0, falseNegative: 0, trueNegative: 0 };
  for (const c of cases) {
    const said = c.score >= threshold;
    if (said && c.truth) confusion.truePositive += 1;
    else if (said) confusion.falsePositive += 1;
    else if (c.truth) confusion.falseNegative += 1;
    else confusion.trueNegative += 1;
  }
  const { truePositive: tp, falsePositive: fp, falseNegative: fn, trueNegative: tn } = confusion;
  const n = cases.length;
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  const f1 =
    precision === null || recall === null || precision + recall === 0
      ? tp + fp + fn > 0 && tp === 0
        ? 0
        : null
      : (2 * precision * recall) / (precision + recall);
  const observed = ratio(tp + tn, n);
  // Chance agreement: both say yes by chance plus both say no by chance.
  const expected = n === 0 ? null : ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n);
  const cohensKappa =
    observed === null || expected === null
      ? null
      : expected === 1
        ? observed === 1
          ? 1
          : 0
        : (observed - expected) / (1 - expected);
  const calibration: CalibrationBucket[] = [];
  for (let i = 0; i < buckets; i += 1) {
    const from = i / buckets;
    const to = (i + 1) / buckets;
    const inside = cases.filter((c) => c.score >= from && (i === buckets - 1 ? c.score <= 1 : c.score < to));
    calibration.push({
      from,
      to,
      cases: inside.length,
      meanScore: inside.length ? inside.reduce((s, c) => s + c.score, 0) / inside.length : null,
      successRate: inside.length ? inside.filter((c) => c.truth).length / inside.length : null,
    });
  }
  return { cases: n, confusion, accuracy: observed, precision, recall, f1, cohensKappa, calibration };
}
