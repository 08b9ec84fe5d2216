// Plain aligned text tables for CLI summaries.

export function formatTable(rows: Array<Record<string, string | number>>, columns?: string[]): string {
  if (rows.length === 0) return '(none)';
  const cols = columns ?? Object.keys(rows[0]!);
  const cells = rows.map((r) => cols.map((c) => String(r[c] ?? '')));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const numeric = cols.map((_, i) => cells.every((row) => /^-?[\d.,]+%?$/.test(row[i]!) || row[i] === ''));
  const line = (values: string[]) =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(cols), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** A share as a percentage with one decimal; a dash where there is none. */
export const pct = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(1)}%`);
/** A score with three decimals; a dash where there is none. */
export const num = (x: number | null) => (x === null ? '–' : x.toFixed(3));
