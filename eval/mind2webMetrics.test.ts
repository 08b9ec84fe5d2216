import { describe, expect, it } from 'vitest';
import { mind2webMetrics, operationF1, type StepOutcome } from './mind2webMetrics.ts';

const step = (
  taskId: string,
  predictedElement: string | null,
  predicted: [string, string] | null,
  goldElements: string[],
  gold: [string, string],
): StepOutcome => ({
  taskId,
  stepId: `${taskId}-${Math.random()}`,
  predictedElement,
  predicted: predicted && { op: predicted[0], value: predicted[1] },
  goldElements,
  gold: { op: gold[0], value: gold[1] },
});

describe('Mind2Web step metrics', () => {
  it('score the operation by token F1', () => {
    expect(operationF1({ op: 'CLICK', value: '' }, { op: 'CLICK', value: '' })).toBe(1);
    expect(operationF1({ op: 'TYPE', value: 'New York' }, { op: 'TYPE', value: 'new york' })).toBe(1);
    // "type new" against "type new york": precision 2/2, recall 2/3 → F1 0.8.
    expect(operationF1({ op: 'TYPE', value: 'New' }, { op: 'TYPE', value: 'New York' })).toBeCloseTo(0.8, 10);
    expect(operationF1({ op: 'CLICK', value: '' }, { op: 'TYPE', value: 'x' })).toBe(0);
    expect(operationF1(null, { op: 'CLICK', value: '' })).toBe(0);
  });

  it("average each metric over a task's steps, then over tasks", () => {
    const m = mind2webMetrics([
      // Task A, 2 steps: right element and op; right element, op F1 0.8 → element 1, F1 0.9, step 0.5, task 0.
      step('A', '10', ['CLICK', ''], ['10'], ['CLICK', '']),
      step('A', '11', ['TYPE', 'New'], ['11', '12'], ['TYPE', 'New York']),
      // Task B, 1 step, all right → element 1, F1 1, step 1, task 1.
      step('B', '7', ['SELECT', 'Economy'], ['7'], ['SELECT', 'Economy']),
      // Task C, 1 step, wrong element, right op → element 0, F1 1, step 0, task 0.
      step('C', '3', ['CLICK', ''], ['4'], ['CLICK', '']),
    ]);
    expect(m.tasks).toBe(3);
    expect(m.steps).toBe(4);
    expect(m.elementAccuracy).toBeCloseTo((1 + 1 + 0) / 3, 10);
    expect(m.operationF1).toBeCloseTo((0.9 + 1 + 1) / 3, 10);
    expect(m.stepSuccessRate).toBeCloseTo((0.5 + 1 + 0) / 3, 10);
    expect(m.successRate).toBeCloseTo(1 / 3, 10);
  });

  it('count a step without a chosen element as wrong, and leave empty input undefined', () => {
    expect(mind2webMetrics([step('A', null, ['CLICK', ''], ['1'], ['CLICK', ''])])).toMatchObject({
      elementAccuracy: 0,
      operationF1: 1,
      stepSuccessRate: 0,
      successRate: 0,
    });
    expect(mind2webMetrics([])).toMatchObject({ tasks: 0, elementAccuracy: null, successRate: null });
  });
});
