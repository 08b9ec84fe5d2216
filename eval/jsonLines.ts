// A labels file the user wrote: JSON lines, each checked by a schema (and by the caller's own rule, such
// as "labelled twice"), every bad line reported at once with its number.
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { UserInputError } from '../platform/index.ts';

export function readJsonLines<T>(
  file: string,
  schema: z.ZodType<T>,
  expected: string,
  check?: (row: T) => string | undefined,
): T[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UserInputError(
      `--labels ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  const rows: T[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    if (!raw.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      return void problems.push(`line ${i + 1}: not JSON`);
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) return void problems.push(`line ${i + 1}: expected ${expected}`);
    const problem = check?.(parsed.data);
    if (problem) return void problems.push(`line ${i + 1}: ${problem}`);
    rows.push(parsed.data);
  });
  if (problems.length)
    throw new UserInputError(
      `--labels ${file}: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`,
    );
  if (rows.length === 0) throw new UserInputError(`--labels ${file}: no labels in it`);
  return rows;
}
