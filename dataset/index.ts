// The dataset room's public face: what the sink, the CLI, the demo and the scripts may use of the
// datasets on disk. Everything else in dataset/ is its own business.
export {
  COLUMNS,
  META_COLUMNS,
  formColumns,
  fromRow,
  jsonLine,
  rowLine,
  toRow,
  type Column,
  type ColumnKind,
} from './columns.ts';
export { loadDatasetConfig, type DatasetConfig } from './datasetConfig.ts';
export { DatasetFolder, datasetDirName, type DatasetFolderOptions } from './datasetFolder.ts';
export {
  DatasetWriter,
  finishOpenShards,
  readShards,
  shardFilesOf,
  SHARD_GLOB,
  TOKEN_STEP,
  type DatasetStats,
  type DatasetWriterOptions,
} from './datasetWriter.ts';
export {
  DATASET_FORMS,
  EXPORT_FORMATS,
  cardFilter,
  datasetCard,
  type CardMetadata,
  type DatasetForm,
  type ExportFormat,
} from './datasetCard.ts';
export { exportDataset, exportRow, type ExportOptions, type ExportSummary } from './datasetExport.ts';
export { compileFilter, describeFilter, DEFAULT_FILTER, FILTER_PRESETS, type ExampleFilter } from './exampleFilter.ts';
export { scrubPii } from './scrubPii.ts';
export { appendDurably, fsyncDir, NODE_FS, writeFileDurably, type FileSystem } from './durableFiles.ts';
