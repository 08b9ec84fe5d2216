// --filter for tap: path=value (equals), path~regex (matches), path!=value; all must hold.
import { UserInputError } from '../platform/index.ts';

export type RecordPredicate = (record: unknown) => boolean;

function valueAt(record: unknown, path: string): unknown {
  let current: unknown = record;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
}

export function parseFilter(expression: string): RecordPredicate {
  const match = /^([A-Za-z0-9_.]+)\s*(!=|=|~)\s*(.*)$/.exec(expression);
  if (!match)
    throw new UserInputError(
      `bad filter '${expression}': use path=value, path!=value or path~regex (e.g. value.domain=shop.localhost)`,
    );
  const [, path, op, expected] = match as unknown as [string, string, string, string];
  if (op === '~') {
    let pattern: RegExp;
    try {
      pattern = new RegExp(expected);
    } catch (error) {
      throw new UserInputError(`bad filter '${expression}': ${(error as Error).message}`);
    }
    return (record) => pattern.test(asText(valueAt(record, path)));
  }
  const equal = (record: unknown) => asText(valueAt(record, path)) === expected;
  return op === '=' ? equal : (record) => !equal(record);
}

export function combineFilters(expressions: string[]): RecordPredicate {
  const predicates = expressions.map(parseFilter);
  return (record) => predicates.every((p) => p(record));
}
