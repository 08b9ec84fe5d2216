// Which judged trajectories become training data: a condition over the judge's three scores, written as
// a filtrex expression (a small, safe expression language: and, or, not, comparisons, min/max...).
import { compileExpression } from 'filtrex';
import { UserInputError } from '../platform/index.ts';

export interface Scores {
  success: number;
  efficiency: number;
  selfCorrection: number;
}

export interface ExampleFilter {
  /** The expression as the user wrote it (or the preset's expression). */
  expression: string;
  /** The preset it came from, if any. */
  preset?: string;
  keeps(scores: Scores): boolean;
}

/**
 * Named rules. InSTA keeps a trajectory the judge calls successful that was also efficient or corrected
 * itself; its paper states success > 0.5, its released scripts keep only success = 1.
 */
export const FILTER_PRESETS: Readonly<Record<string, string>> = {
  insta: 'success > 0.5 and (efficiency > 0.5 or self_correction > 0.5)',
  'insta-scripts': 'success == 1 and (efficiency > 0.5 or self_correction > 0.5)',
  'success-only': 'success > 0.5',
  all: 'success >= 0',
};

export const DEFAULT_FILTER = 'insta';

const VARIABLES = ['success', 'efficiency', 'self_correction'] as const;
const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'of', 'if', 'then', 'else', 'mod']);

/** The names an expression reads (bare or 'single-quoted'), outside "strings" and function calls. */
function namesIn(expression: string): string[] {
  const withoutStrings = expression.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const names = new Set<string>();
  for (const match of withoutStrings.matchAll(/'([^']*)'|([A-Za-z_$][\w$.]*)(\s*\()?/g)) {
    if (match[1] !== undefined) names.add(match[1]);
    else if (!match[3] && !KEYWORDS.has(match[2]!)) names.add(match[2]!);
  }
  return [...names];
}

function problemWith(name: string, expression: string): UserInputError {
  const presets = Object.entries(FILTER_PRESETS)
    .map(([n, e]) => `${n} (${e})`)
    .join('; ');
  return new UserInputError(
    `WEBTRAIL_SINK_FILTER ${JSON.stringify(expression.slice(0, 200))}: ${name}. Write a condition over ${VARIABLES.join(', ')} (scores from 0 to 1) with and, or, not, ==, <, <=, >, >=, or name a preset: ${presets}`,
  );
}

/** Compiles a preset's name or an expression; every mistake is a UserInputError saying what to write. */
export function compileFilter(text: string = DEFAULT_FILTER): ExampleFilter {
  const trimmed = text.trim();
  const preset = Object.hasOwn(FILTER_PRESETS, trimmed) ? trimmed : undefined;
  const expression = preset ? FILTER_PRESETS[preset]! : trimmed;
  if (!expression) throw problemWith('it is empty', text);
  const unknown = namesIn(expression).filter((n) => !(VARIABLES as readonly string[]).includes(n));
  if (unknown.length)
    throw problemWith(
      `it reads ${unknown.map((n) => JSON.stringify(n)).join(', ')}, which ${unknown.length === 1 ? 'is' : 'are'} not a score`,
      expression,
    );
  let compiled: (data: Record<string, number>) => unknown;
  try {
    compiled = compileExpression(expression);
  } catch (error) {
    throw problemWith(`it does not parse (${(error as Error).message.split('\n')[0]})`, expression);
  }
  const run = (s: Scores) =>
    compiled({ success: s.success, efficiency: s.efficiency, self_correction: s.selfCorrection });
  // Tried on every corner and middle of the score cube: it must answer yes or no, never a number or an error.
  const grid = [0, 0.5, 1];
  for (const success of grid)
    for (const efficiency of grid)
      for (const selfCorrection of grid) {
        const answer = run({ success, efficiency, selfCorrection });
        if (answer instanceof Error)
          throw problemWith(
            `it fails on success=${success}, efficiency=${efficiency}, self_correction=${selfCorrection} (${answer.message})`,
            expression,
          );
        if (typeof answer !== 'boolean')
          throw problemWith(
            `it gives ${JSON.stringify(answer)}, not true or false (e.g. write "success > 0.5", not "success")`,
            expression,
          );
      }
  return { expression, ...(preset ? { preset } : {}), keeps: (scores) => run(scores) === true };
}

/** How a filter is shown (card, logs): the preset's name and its expression. */
export function describeFilter(filter: ExampleFilter): string {
  return filter.preset ? `${filter.expression} (preset ${filter.preset})` : filter.expression;
}
