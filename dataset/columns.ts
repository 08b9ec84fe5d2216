// The columns of a dataset row, declared once: their name on disk, the TrainingExample field they hold,
// their type (Arrow in Parquet, dtype in the card) and what an older row that lacks them reads as. The
// JSON lines, the reader, the Parquet export and the card's `features` all derive from this list, so a new
// column is one line here (and one field in TrainingExample.avsc).
import type { TrainingExample } from '../schemas/index.ts';

export type ColumnKind = 'string' | 'int64' | 'float64' | 'chat';

export interface Column {
  name: string;
  field: keyof TrainingExample;
  kind: ColumnKind;
  /** What a row written before the column existed reads as; none: every row has it. */
  missing?: string | number;
}

/** In the order rows are written (the scores last, as rows have always ended). */
export const COLUMNS: readonly Column[] = [
  { name: 'messages', field: 'messages', kind: 'chat' },
  { name: 'example_id', field: 'exampleId', kind: 'string' },
  { name: 'trajectory_id', field: 'trajectoryId', kind: 'string' },
  { name: 'run_id', field: 'runId', kind: 'string', missing: '' },
  { name: 'task_id', field: 'taskId', kind: 'string' },
  { name: 'domain', field: 'domain', kind: 'string' },
  { name: 'step', field: 'step', kind: 'int64' },
  { name: 'judge_version', field: 'judgeVersion', kind: 'string' },
  { name: 'agent_version', field: 'agentVersion', kind: 'string', missing: '' },
  { name: 'generator_version', field: 'generatorVersion', kind: 'string', missing: '' },
  { name: 'tokens', field: 'tokens', kind: 'int64', missing: 0 },
  { name: 'round', field: 'round', kind: 'int64', missing: 0 },
  { name: 'parent_task_id', field: 'parentTaskId', kind: 'string', missing: '' },
  { name: 'attempts', field: 'attempts', kind: 'int64', missing: 1 },
  { name: 'attempt', field: 'attempt', kind: 'int64', missing: 0 },
  { name: 'success', field: 'success', kind: 'float64' },
  { name: 'efficiency', field: 'efficiency', kind: 'float64' },
  { name: 'self_correction', field: 'selfCorrection', kind: 'float64' },
];

/** Every column but the chat: where an example came from, and its scores. */
export const META_COLUMNS: readonly Column[] = COLUMNS.filter((c) => c.kind !== 'chat');

/** The columns of the two forms a dataset is exported in: the chat whole, or the turns before the reply and the reply. */
export function formColumns(form: 'messages' | 'prompt-completion'): Array<[string, ColumnKind]> {
  const chats: Array<[string, ColumnKind]> =
    form === 'messages'
      ? [['messages', 'chat']]
      : [
          ['prompt', 'chat'],
          ['completion', 'chat'],
        ];
  return [...chats, ...META_COLUMNS.map((c): [string, ColumnKind] => [c.name, c.kind])];
}

/** One row: the chat messages that TRL and `datasets` read, plus where they came from. */
export function toRow(example: TrainingExample): Record<string, unknown> {
  return Object.fromEntries(COLUMNS.map((c) => [c.name, example[c.field]]));
}

/** The example a row holds; columns an older row lacks read as their `missing` value. */
export function fromRow(row: Record<string, unknown>): TrainingExample {
  const example: Record<string, unknown> = { createdAtMs: 0 };
  for (const c of COLUMNS) {
    const value = row[c.name] ?? c.missing;
    example[c.field] = c.kind === 'chat' ? value : c.kind === 'string' ? String(value) : Number(value);
  }
  return example as unknown as TrainingExample;
}

const FLOATS = new Set(COLUMNS.filter((c) => c.kind === 'float64').map((c) => c.name));

/**
 * A row as one JSON line, its float columns always written as floats (1.0, not 1): a reader that infers
 * types per file (Arrow, in Hugging Face `datasets`) would otherwise type a shard of whole numbers as
 * integers and then fail on a later shard's 0.75.
 */
export function jsonLine(row: Record<string, unknown>): string {
  const parts = Object.entries(row)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => {
      const text = FLOATS.has(name) && Number.isInteger(value) ? (value as number).toFixed(1) : JSON.stringify(value);
      return `${JSON.stringify(name)}:${text}`;
    });
  return `{${parts.join(',')}}`;
}

const ROW_FIELDS = COLUMNS.map((c) => ({
  field: c.field,
  prefix: `${JSON.stringify(c.name)}:`,
  float: FLOATS.has(c.name),
}));

/**
 * The JSON line of an example, as the shards hold it: jsonLine(toRow(example)), written straight from the
 * example (the sink writes thousands a second, and the row and its entries were garbage at once).
 */
export function rowLine(example: TrainingExample): string {
  let line = '';
  for (const { field, prefix, float } of ROW_FIELDS) {
    const value = example[field];
    if (value === undefined) continue;
    const text = float && Number.isInteger(value) ? (value as number).toFixed(1) : JSON.stringify(value);
    line += `${line ? ',' : '{'}${prefix}${text}`;
  }
  return line ? `${line}}` : '{}';
}
