// webtrail export: picks the dataset (by judge version, or the only one) and writes its finished copy.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { UserInputError } from '../platform/index.ts';
import {
  compileFilter,
  datasetDirName,
  exportDataset,
  loadDatasetConfig,
  scrubPii,
  type DatasetForm,
  type ExportFormat,
  type ExportSummary,
} from '../dataset/index.ts';

export interface ExportCliOptions {
  to: string;
  judgeVersion?: string;
  datasets?: string;
  format: ExportFormat;
  form: DatasetForm;
  filter?: string;
  scrubPii?: boolean;
  rowsPerFile: number;
  progress?(examples: number): void;
}

/** The dataset folders under the datasets folder that hold a finished shard. */
function datasetsIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && readdirSync(path.join(dir, e.name)).some((f) => /^part-\d+\.jsonl\.gz$/.test(f)))
    .map((e) => e.name)
    .sort();
}

/** The dataset folder of a judge version under a datasets folder, or its only dataset. */
export function chooseDataset(
  root: string,
  judgeVersion?: string,
  elsewhere = '--datasets names another folder',
): string {
  const available = datasetsIn(root);
  const listed = available.length ? `datasets there: ${available.join(', ')}` : 'none is there yet';
  let folder: string;
  if (judgeVersion !== undefined) {
    folder = datasetDirName(judgeVersion);
    if (!available.includes(folder))
      throw new UserInputError(`no dataset of judge version ${judgeVersion} in ${root} (${listed})`);
  } else if (available.length === 1) {
    folder = available[0]!;
  } else {
    throw new UserInputError(
      available.length
        ? `${root} holds ${available.length} datasets: choose one with --judge-version (${listed})`
        : `no dataset in ${root} (${listed}); ${elsewhere}`,
    );
  }
  return path.join(root, folder);
}

export async function runExport(
  options: ExportCliOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ExportSummary & { from: string }> {
  const config = loadDatasetConfig(env);
  const from = chooseDataset(path.resolve(options.datasets ?? config.datasetsDir), options.judgeVersion);
  const summary = await exportDataset({
    from,
    to: path.resolve(options.to),
    format: options.format,
    form: options.form,
    ...(options.filter !== undefined ? { filter: compileFilter(options.filter) } : {}),
    ...(options.scrubPii ? { scrub: (text: string) => scrubPii(text, config.piiCountry) } : {}),
    rowsPerFile: options.rowsPerFile,
    metadata: config.card,
    ...(options.progress ? { progress: options.progress } : {}),
  });
  return { ...summary, from };
}
