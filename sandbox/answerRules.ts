// How the scripted agent reads a task's answer: a rule over the observation text it was shown, never a
// literal written into the plan. A page that does not show the answer gives no answer (null).
export type AnswerRule = (page: string) => string | null;

/** The first match's first group (or the whole match), said in a sentence where {} stands for it. */
export function readFirst(pattern: RegExp, say: string): AnswerRule {
  return (page) => {
    const match = pattern.exec(page);
    return match ? say.replace('{}', (match[1] ?? match[0]).trim()) : null;
  };
}

/** Of every match, the one with the lowest (or highest) score, said by `say`. */
export function readBest(
  pattern: RegExp,
  which: 'lowest' | 'highest',
  score: (m: RegExpExecArray) => number,
  say: (m: RegExpExecArray) => string,
): AnswerRule {
  const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
  return (page) => {
    const matches = [...page.matchAll(global)];
    if (matches.length === 0) return null;
    const best = matches.reduce((a, b) => ((which === 'lowest' ? score(b) < score(a) : score(b) > score(a)) ? b : a));
    return say(best);
  };
}

/** What the scripted agent says when the page does not show what the task asks for. */
export const NOT_FOUND = 'I could not find the answer on the page.';
