// How actions and trajectories read as text: in the agent's prompt, the judge's, and training examples.
import type { Action, Step, Trajectory } from '../schemas/index.ts';

export function describeAction(action: Action | null): string {
  if (!action) return '(no action)';
  const target = action.elementId !== null && action.elementId !== undefined ? ` [${action.elementId}]` : '';
  const value = action.value !== null && action.value !== undefined ? ` ${JSON.stringify(action.value)}` : '';
  return `${action.kind}${target}${value}${action.submit ? ' +Enter' : ''}`;
}

/** Recent steps as the agent and the judge see them. */
export function formatHistory(steps: Step[], last: number): string {
  if (steps.length === 0) return '(none yet)';
  const shown = steps.slice(-last);
  const lines = shown.map((s) => {
    const outcome = s.error
      ? `→ error: ${s.error}`
      : s.result
        ? s.result.ok
          ? `→ ok${s.result.navigated ? ` (now at ${s.result.url})` : ''}`
          : `→ error: ${s.result.error}`
        : '';
    return `Step ${s.index + 1} on ${s.url}: ${describeAction(s.action)} ${outcome}`.trim();
  });
  return `${steps.length > shown.length ? `(${steps.length - shown.length} earlier steps not shown)\n` : ''}${lines.join('\n')}`;
}

/** Text cut to max characters, saying how much was left out. */
export const clipText = (text: string, max: number) =>
  text.length > max ? `${text.slice(0, max)}\n[… ${text.length - max} more characters]` : text;

/** The pages a trajectory went through, once each, in order, with the text first seen there (the final page last). */
export function pagesVisited(trajectory: Trajectory): Array<{ url: string; title: string; text: string }> {
  const seen = new Map<string, { url: string; title: string; text: string }>();
  for (const step of trajectory.steps)
    if (!seen.has(step.url)) seen.set(step.url, { url: step.url, title: step.title, text: step.observation });
  if (!seen.has(trajectory.finalUrl))
    seen.set(trajectory.finalUrl, { url: trajectory.finalUrl, title: '', text: trajectory.finalObservation });
  return [...seen.values()];
}
