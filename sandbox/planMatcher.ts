// Finds a plan step's target in an observation's text by role and accessible name, the way the
// scripted LLM does: it sees only the text an agent would see.
import type { Action } from '../schemas/index.ts';
import type { PlanStep } from './types.ts';
import { NOT_FOUND } from './answerRules.ts';

export interface ListedElement {
  id: number;
  role: string;
  name: string;
  line: string;
}

const LINE = /^\[(\d+)\] (\S+)(?: "((?:[^"\\]|\\.)*)")?/;

export function listElements(observationText: string): ListedElement[] {
  const found: ListedElement[] = [];
  for (const line of observationText.split('\n')) {
    const m = LINE.exec(line.trim());
    if (!m) continue;
    let name: string;
    try {
      name = m[3] === undefined ? '' : (JSON.parse(`"${m[3]}"`) as string);
    } catch {
      name = m[3] ?? '';
    }
    found.push({ id: Number(m[1]), role: m[2]!, name, line });
  }
  return found;
}

const norm = (s: string) =>
  s
    .toLowerCase()
    .replace(/[★☆▾›‹]/g, '')
    .replace(/\s+/g, ' ')
    .trim();

export function findTarget(observationText: string, step: PlanStep): ListedElement | undefined {
  if (!step.target) return undefined;
  const target = norm(step.target);
  const candidates = listElements(observationText).filter(
    (e) => !step.role || e.role === step.role || (step.role === 'textbox' && e.role === 'searchbox'),
  );
  return (
    candidates.find((e) => norm(e.name) === target) ??
    candidates.find((e) => norm(e.name).includes(target)) ??
    candidates.find((e) => e.line.toLowerCase().includes(target))
  );
}

/** The action for a plan step on this observation; null when its target is not there. */
export function planAction(observationText: string, step: PlanStep): Action | null {
  // The answer is read from the page shown now; a page that does not show it gets no answer.
  if (step.kind === 'answer')
    return { kind: 'answer', elementId: null, value: step.read?.(observationText) ?? NOT_FOUND, submit: false };
  if (step.kind === 'go_back' || (step.kind === 'scroll' && !step.target) || (step.kind === 'press' && !step.target)) {
    return { kind: step.kind, elementId: null, value: step.value ?? null, submit: false };
  }
  const target = findTarget(observationText, step);
  if (!target) return null;
  return { kind: step.kind, elementId: target.id, value: step.value ?? null, submit: Boolean(step.submit) };
}
