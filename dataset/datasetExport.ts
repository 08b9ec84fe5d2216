// `webtrail export`: a finished copy of a dataset, ready to publish — deduplicated (one row per example
// id, one run per trajectory), optionally filtered again and scrubbed, as JSON lines or Parquet, in the
// chat form or the prompt/completion form, with its card. Written beside the target and renamed into
// place, so a half-written export is never mistaken for a finished one.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TrainingExample } from '../schemas/index.ts';
import { UserInputError } from '../platform/index.ts';
import { cardFilter, datasetCard, type CardMetadata, type DatasetForm } from './datasetCard.ts';
import { countExample, emptyStats, readShards } from './datasetWriter.ts';
import { describeFilter, type ExampleFilter } from './exampleFilter.ts';
import type { ColumnKind } from './columns.ts';
import { formColumns, jsonLine, toRow } from './columns.ts';

import type { ExportFormat } from './datasetCard.ts';

export interface ExportOptions {
  /** The dataset folder (datasets/<judge version>). */
  from: string;
  /** The folder to create; must not exist yet (or be empty). */
  to: string;
  format: ExportFormat;
  form: DatasetForm;
  /** A further filter over the scores, on top of the sink's. */
  filter?: ExampleFilter;
  scrub?: (text: string) => string;
  rowsPerFile: number;
  metadata: CardMetadata;
  progress?(examples: number): void;
}

export interface ExportSummary {
  judgeVersion: string;
  examples: number;
  trajectories: number;
  files: string[];
  bytes: number;
  /** Rows left out: an example id seen before, another run of a trajectory, the export's filter. */
  duplicates: number;
  otherRuns: number;
  filtered: number;
  /** Shards a running (or crashed) sink still has open, not exported. */
  openShards: number;
}

/** An example as a row of the chosen form: the chat whole, or everything before the reply and the reply. */
export function exportRow(example: TrainingExample, form: DatasetForm): Record<string, unknown> {
  const { messages, ...meta } = toRow(example);
  if (form === 'messages') return { messages, ...meta };
  return { prompt: example.messages.slice(0, -1), completion: example.messages.slice(-1), ...meta };
}

/** The Parquet writer, loaded only for a Parquet export (Arrow and its WebAssembly writer take a while to load). */
type ParquetWriter = (rows: Array<Record<string, unknown>>, columns: Array<[string, ColumnKind]>) => Uint8Array;

export async function exportDataset(options: ExportOptions): Promise<ExportSummary> {
  const { from, to } = options;
  if (!existsSync(from) || !statSync(from).isDirectory()) throw new UserInputError(`no dataset at ${from}`);
  if (existsSync(to) && (!statSync(to).isDirectory() || readdirSync(to).length > 0)) {
    throw new UserInputError(
      `${to} already exists and is not an empty folder: export to a new folder (nothing was written)`,
    );
  }
  const openShards = readdirSync(from).filter((f) => f.endsWith('.jsonl.gz.tmp')).length;
  const parquet = options.format === 'parquet' ? (await import('./parquetFile.ts')).parquetBytes : null;
  const partial = path.join(path.dirname(path.resolve(to)), `.${path.basename(to)}.partial-${process.pid}`);
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(path.join(partial, 'data'), { recursive: true });
  try {
    const summary = writeExport(options, partial, openShards, parquet);
    if (existsSync(to)) rmSync(to, { recursive: true });
    renameSync(partial, to);
    return summary;
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw error;
  }
}

function writeExport(
  options: ExportOptions,
  into: string,
  openShards: number,
  parquet: ParquetWriter | null,
): ExportSummary {
  const seen = new Set<string>();
  const runs = new Map<string, string>();
  const stats = emptyStats();
  const files: string[] = [];
  let bytes = 0;
  let duplicates = 0;
  let otherRuns = 0;
  let filtered = 0;
  let judgeVersion: string | null = null;
  let batch: Array<Record<string, unknown>> = [];
  const columns = formColumns(options.form);

  const flush = () => {
    if (batch.length === 0) return;
    const name = `data/train-${String(files.length).padStart(5, '0')}.${options.format}`;
    const data = parquet ? parquet(batch, columns) : `${batch.map(jsonLine).join('\n')}\n`;
    writeFileSync(path.join(into, name), data);
    bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    files.push(name);
    batch = [];
  };

  for (const example of readShards(options.from)) {
    if (seen.has(example.exampleId)) {
      duplicates += 1;
      continue;
    }
    seen.add(example.exampleId);
    const run = runs.get(example.trajectoryId);
    if (run !== undefined && run !== example.runId) {
      otherRuns += 1;
      continue;
    }
    if (options.filter && !options.filter.keeps(example)) {
      filtered += 1;
      continue;
    }
    if (judgeVersion !== null && example.judgeVersion !== judgeVersion) {
      throw new UserInputError(
        `${options.from} holds examples of two judge versions (${judgeVersion}, ${example.judgeVersion}): it is not a dataset the sink wrote`,
      );
    }
    judgeVersion = example.judgeVersion;
    runs.set(example.trajectoryId, example.runId);
    const scrub = options.scrub;
    const kept = scrub
      ? { ...example, messages: example.messages.map((m) => ({ role: m.role, content: scrub(m.content) })) }
      : example;
    countExample(stats, kept);
    batch.push(exportRow(kept, options.form));
    if (batch.length >= options.rowsPerFile) flush();
    if (stats.examples % 1000 === 0) options.progress?.(stats.examples);
  }
  flush();
  if (judgeVersion === null)
    throw new UserInputError(
      `${options.from} has no finished shard with an example${options.filter ? ' that passes the filter' : ''}: nothing to export`,
    );

  const sourceCardFile = path.join(options.from, 'README.md');
  const sourceCard = existsSync(sourceCardFile) ? readFileSync(sourceCardFile, 'utf8') : '';
  const filter = [
    `sink: ${cardFilter(sourceCard) ?? 'unknown'}`,
    ...(options.filter ? [`export: ${describeFilter(options.filter)}`] : []),
  ].join('; then ');
  const sourceScrubbed = /^\| PII scrubbed \| yes/m.test(sourceCard);
  writeFileSync(
    path.join(into, 'README.md'),
    datasetCard({
      dir: options.to,
      judgeVersion,
      stats,
      filter,
      scrubPii: Boolean(options.scrub) || sourceScrubbed,
      files,
      glob: `data/train-*.${options.format}`,
      form: options.form,
      metadata: options.metadata,
      exportedFrom: `${path.basename(options.from)} (${options.format}, ${options.form} form)`,
    }),
  );
  return {
    judgeVersion,
    examples: stats.examples,
    trajectories: stats.trajectories.size,
    files,
    bytes,
    duplicates,
    otherRuns,
    filtered,
    openShards,
  };
}
