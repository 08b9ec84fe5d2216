import { describe, expect, it } from 'vitest';
import { classificationMetrics, type LabelledCase } from './classification.ts';

const cases = (spec: Array<[number, boolean]>): LabelledCase[] => spec.map(([score, truth]) => ({ score, truth }));

describe('classification metrics', () => {
  it('match a hand-computed case', () => {
    // 10 cases: TP 4 (scores 1, 1, 0.9, 0.6), FP 2 (1, 0.5), FN 1 (0.2), TN 3 (0, 0, 0.1).
    const m = classificationMetrics(
      cases([
        [1, true],
        [1, true],
        [0.9, true],
        [0.6, true],
        [1, false],
        [0.5, false],
        [0.2, true],
        [0, false],
        [0, false],
        [0.1, false],
      ]),
    );
    expect(m.confusion).toEqual({ truePositive: 4, falsePositive: 2, falseNegative: 1, trueNegative: 3 });
    expect(m.accuracy).toBeCloseTo(0.7, 10);
    expect(m.precision).toBeCloseTo(4 / 6, 10);
    expect(m.recall).toBeCloseTo(0.8, 10);
    expect(m.f1).toBeCloseTo((2 * (4 / 6) * 0.8) / (4 / 6 + 0.8), 10); // 0.7272…
    // Chance: judge says yes 6/10, truth yes 5/10 → 0.6·0.5 + 0.4·0.5 = 0.5; kappa = (0.7 − 0.5) / 0.5 = 0.4.
    expect(m.cohensKappa).toBeCloseTo(0.4, 10);
    // Buckets of 0.2: [0,.2) holds 0, 0, 0.1 (none true); [.2,.4) holds 0.2 (true); [.4,.6) holds 0.5 (false);
    // [.6,.8) holds 0.6 (true); [.8,1] holds 1, 1, 0.9, 1 (three true).
    expect(m.calibration.map((b) => [b.cases, b.successRate])).toEqual([
      [3, 0],
      [1, 1],
      [1, 0],
      [1, 1],
      [4, 0.75],
    ]);
    expect(m.calibration[4]!.meanScore).toBeCloseTo(3.9 / 4, 10);
  });

  it('say what a judge that always says success is worth: accuracy the base rate, kappa 0', () => {
    const m = classificationMetrics(
      cases([
        [1, true],
        [1, true],
        [1, false],
        [1, true],
      ]),
    );
    expect(m.accuracy).toBe(0.75);
    expect(m.recall).toBe(1);
    expect(m.cohensKappa).toBe(0);
  });

  it('leave undefined what cannot be computed, and give 0 where a class was never found', () => {
    expect(classificationMetrics([])).toMatchObject({
      cases: 0,
      accuracy: null,
      precision: null,
      recall: null,
      f1: null,
      cohensKappa: null,
    });
    // Never says success on two successes: recall 0, precision undefined, F1 0.
    expect(
      classificationMetrics(
        cases([
          [0, true],
          [0.1, true],
        ]),
      ),
    ).toMatchObject({ precision: null, recall: 0, f1: 0, cohensKappa: 0 });
  });
});
