// The dataset card (README.md beside the data): what is in it, how it was filtered, how to load it. The
// same card serves the sink's live dataset and a `webtrail export` copy.
import path from 'node:path';
import type { DatasetStats } from './datasetWriter.ts';
import { FILTER_PRESETS } from './exampleFilter.ts';
import { formColumns } from './columns.ts';

/** File formats of an export (here, not beside the writer, so the CLI can list them without loading Parquet). */
export type ExportFormat = 'jsonl' | 'parquet';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['jsonl', 'parquet'];

/** What the card declares about the data's terms: the pages' own licences are unknown, so 'other' by default. */
export interface CardMetadata {
  license: string;
  taskCategories: string[];
}

/** `messages`: the whole chat; `prompt-completion`: the turns before the reply, and the reply (TRL puts loss on the completion only). */
export type DatasetForm = 'messages' | 'prompt-completion';
export const DATASET_FORMS: readonly DatasetForm[] = ['messages', 'prompt-completion'];

const chatFeature = (name: string) => [
  `  - name: ${name}`,
  '    list:',
  '    - name: role',
  '      dtype: string',
  '    - name: content',
  '      dtype: string',
];

/**
 * Hugging Face's dataset-card front matter: the files as a glob relative to the card (so the folder loads
 * with `load_dataset(<folder>)` wherever it is moved or uploaded) and every column's type (so no reader
 * has to infer them from one file), from the one column list.
 */
function frontMatter(metadata: CardMetadata, examples: number, glob: string, form: DatasetForm): string {
  const size =
    examples < 1_000
      ? 'n<1K'
      : examples < 10_000
        ? '1K<n<10K'
        : examples < 100_000
          ? '10K<n<100K'
          : examples < 1_000_000
            ? '100K<n<1M'
            : 'n>1M';
  const features = formColumns(form).flatMap(([name, kind]) =>
    kind === 'chat' ? chatFeature(name) : [`  - name: ${name}`, `    dtype: ${kind}`],
  );
  return [
    '---',
    `license: ${metadata.license}`,
    'task_categories:',
    ...metadata.taskCategories.map((c) => `- ${c}`),
    'tags:',
    '- web-agents',
    '- webtrail',
    'size_categories:',
    `- ${size}`,
    'configs:',
    '- config_name: default',
    '  data_files:',
    '  - split: train',
    `    path: "${glob}"`,
    'dataset_info:',
    '  features:',
    ...features,
    '  splits:',
    '  - name: train',
    `    num_examples: ${examples}`,
    '---',
    '',
  ].join('\n');
}

export interface CardOptions {
  dir: string;
  judgeVersion: string;
  stats: DatasetStats;
  /** The filter as shown: the sink's, and an export's own when it applied one. */
  filter: string;
  scrubPii: boolean;
  /** The data files, relative to the card, and their glob. */
  files: string[];
  glob: string;
  form: DatasetForm;
  metadata: CardMetadata;
  /** For an export: where it came from. */
  exportedFrom?: string;
}

export function datasetCard(options: CardOptions): string {
  const { stats } = options;
  // Trajectories per tenth of each score: [0.0, 0.1), …, [0.9, 1.0].
  const bins = {
    success: Array<number>(10).fill(0),
    efficiency: Array<number>(10).fill(0),
    selfCorrection: Array<number>(10).fill(0),
  };
  for (const scores of stats.scoresByTrajectory.values()) {
    for (const name of ['success', 'efficiency', 'selfCorrection'] as const)
      bins[name][Math.min(9, Math.floor(scores[name] * 10))]! += 1;
  }
  const histogram = bins.success
    .map(
      (n, i) =>
        `| ${(i / 10).toFixed(1)}–${((i + 1) / 10).toFixed(1)} | ${n} | ${bins.efficiency[i]} | ${bins.selfCorrection[i]} |`,
    )
    .join('\n');
  const columns =
    options.form === 'messages'
      ? "`messages` (system, user with the task, the page and recent history, assistant with the agent's response)"
      : "`prompt` (system, and user with the task, the page and recent history) and `completion` (the agent's response)";
  const training =
    options.form === 'messages'
      ? `TRL's \`SFTTrainer\` reads \`messages\` as they are. Most of each user turn is the page: set
\`assistant_only_loss=True\` in \`SFTConfig\` so the loss is on the agent's replies, not on the page text
(it needs a chat template with \`{% generation %}\` markers), or export the prompt/completion form, which
works with any model: \`webtrail export --form prompt-completion\`.`
      : `TRL's \`SFTTrainer\` reads \`prompt\` and \`completion\` as they are and puts the loss on the completion only
(its default for this form, \`completion_only_loss\`), so the page text is context, not a target.`;
  return `${frontMatter(options.metadata, stats.examples, options.glob, options.form)}# webtrail dataset — judge ${options.judgeVersion}

SFT data for web agents, made by webtrail: one example per agent step of every judged trajectory that
passed the filter, exactly as the agent was sent it. Each row of \`${options.glob}\` holds ${columns}, and where it came from.

| | |
|---|---|
| examples | ${stats.examples} |
| trajectories | ${stats.trajectories.size} |
| files | ${options.files.length} |
| judge version | ${options.judgeVersion} |
| agent versions | ${[...stats.agentVersions].join(', ') || '–'} |
| generator versions | ${[...stats.generatorVersions].join(', ') || '–'} |
| tokens per example | ${tokenLine(stats)} |
| refinement rounds | ${roundLine(stats)} |
| attempts per task | ${attemptLine(stats)} |
| filter | \`${options.filter}\` |
| PII scrubbed | ${options.scrubPii ? 'yes: emails, phone numbers and secrets in URLs replaced by <EMAIL>, <PHONE>, <SECRET>' : 'no'} |
${options.exportedFrom ? `| exported from | ${options.exportedFrom} |\n` : ''}
The filter is a condition over the judge's scores (\`WEBTRAIL_SINK_FILTER\`). InSTA's rule is \`${FILTER_PRESETS.insta}\`
(as its paper states it; preset \`insta\`, the default); its released scripts keep only full successes,
\`${FILTER_PRESETS['insta-scripts']}\` (preset \`insta-scripts\`).

The judge's scores of the included trajectories (trajectories per range):

| score | success | efficiency | self-correction |
|---|---|---|---|
${histogram}

Load it (the folder holding this card, wherever it is now, or its repository after an upload):

\`\`\`python
from datasets import load_dataset
ds = load_dataset("path/to/${path.basename(options.dir)}", split="train")  # this folder; or "<user>/<repo>" once uploaded
\`\`\`

${training}
`;
}

/** Example sizes as the sink's tokenizer counted them (column `tokens`): what a training context must hold. */
function tokenLine(stats: DatasetStats): string {
  const counted = [...stats.tokenSteps.values()].reduce((n, c) => n + c, 0);
  if (counted === 0) return '– (not counted: made before webtrail counted them)';
  const steps = [...stats.tokenSteps].sort(([a], [b]) => a - b);
  const upTo = (share: number) => {
    let seen = 0;
    for (const [step, n] of steps) if ((seen += n) >= share * counted) return step;
    return steps.at(-1)![0];
  };
  const num = (n: number) => n.toLocaleString('en-US');
  const older = counted < stats.examples ? `; ${stats.examples - counted} older examples not counted` : '';
  return `p50 ≤ ${num(upTo(0.5))}, p95 ≤ ${num(upTo(0.95))}, longest ${num(stats.maxTokens)} (column \`tokens\`, by the sink's WEBTRAIL_TOKENIZER: a training context of the longest holds every example whole)${older}`;
}

/** Examples by the refinement round of their task (column `round`): how much of the data the loop made. */
function roundLine(stats: DatasetStats): string {
  if (stats.examples === 0) return '–';
  const rounds = [...stats.rounds].sort(([a], [b]) => a - b);
  return `${rounds.map(([round, n]) => `round ${round}${round === 0 ? ' (proposed)' : ''}: ${n.examples} examples of ${n.trajectories} trajectories`).join('; ')} (column \`round\`; a follow-up's parent task in \`parent_task_id\`)`;
}

/** Examples by how many attempts their task had (column `attempts`): with n > 1 each is the best judged of its task's n. */
function attemptLine(stats: DatasetStats): string {
  if (stats.examples === 0) return '–';
  const counts = [...stats.attempts].sort(([a], [b]) => a - b);
  const line = counts
    .map(([n, c]) =>
      n === 1
        ? `1 attempt: ${c.examples} examples of ${c.trajectories} trajectories`
        : `${n} attempts, the best judged kept: ${c.examples} examples of ${c.trajectories} trajectories (one per task)`,
    )
    .join('; ');
  return `${line} (column \`attempts\`; which attempt in \`attempt\`)`;
}

/** The filter a card states (an export reads it from its source's card), or null. */
export function cardFilter(card: string): string | null {
  return /^\| filter \| `(.*)` \|$/m.exec(card)?.[1] ?? null;
}
