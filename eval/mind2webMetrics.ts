// Mind2Web's offline step metrics, as its paper and code define them: Element Accuracy (the chosen
// element is a positive candidate), Operation F1 (token F1 of "OP value" against the gold), Step Success
// (right element and exactly the right operation), task Success (every step right). Each is averaged over
// a task's steps first, then over tasks (macro).

export interface Operation {
  /** CLICK, TYPE or SELECT. */
  op: string;
  value: string;
}

export interface StepOutcome {
  taskId: string;
  stepId: string;
  /** The chosen element's backend_node_id, or null when the model chose none. */
  predictedElement: string | null;
  predicted: Operation | null;
  goldElements: string[];
  gold: Operation;
}

export interface Mind2WebMetrics {
  tasks: number;
  steps: number;
  elementAccuracy: number | null;
  operationF1: number | null;
  stepSuccessRate: number | null;
  successRate: number | null;
}

const tokens = (op: Operation | null) => (op ? `${op.op} ${op.value}`.toLowerCase().split(/\s+/).filter(Boolean) : []);

/** Token-level F1 of two operation strings (repeated tokens counted as often as they occur). */
export function operationF1(predicted: Operation | null, gold: Operation): number {
  const p = tokens(predicted);
  const g = tokens(gold);
  if (p.length === 0 || g.length === 0) return p.length === g.length ? 1 : 0;
  const left = new Map<string, number>();
  for (const t of g) left.set(t, (left.get(t) ?? 0) + 1);
  let common = 0;
  for (const t of p) {
    const n = left.get(t) ?? 0;
    if (n > 0) {
      common += 1;
      left.set(t, n - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / p.length;
  const recall = common / g.length;
  return (2 * precision * recall) / (precision + recall);
}

export function scoreStep(s: StepOutcome): { element: boolean; f1: number; success: boolean } {
  const element = s.predictedElement !== null && s.goldElements.includes(s.predictedElement);
  const f1 = operationF1(s.predicted, s.gold);
  return { element, f1, success: element && f1 === 1 };
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

export function mind2webMetrics(steps: StepOutcome[]): Mind2WebMetrics {
  const byTask = new Map<string, Array<ReturnType<typeof scoreStep>>>();
  for (const s of steps) {
    const scored = byTask.get(s.taskId);
    if (scored) scored.push(scoreStep(s));
    else byTask.set(s.taskId, [scoreStep(s)]);
  }
  const perTask = [...byTask.values()].map((scored) => ({
    element: mean(scored.map((x) => (x.element ? 1 : 0)))!,
    f1: mean(scored.map((x) => x.f1))!,
    step: mean(scored.map((x) => (x.success ? 1 : 0)))!,
    task: scored.every((x) => x.success) ? 1 : 0,
  }));
  return {
    tasks: perTask.length,
    steps: steps.length,
    elementAccuracy: mean(perTask.map((t) => t.element)),
    operationF1: mean(perTask.map((t) => t.f1)),
    stepSuccessRate: mean(perTask.map((t) => t.step)),
    successRate: mean(perTask.map((t) => t.task)),
  };
}
