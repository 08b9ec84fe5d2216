// The dataset card (README.md beside the shards): what is in it, how it was filtered, how to load it.
import type { DatasetStats } from './datasetWriter.ts';
import type { Thresholds } from './examples.ts';

export function datasetCard(options: { dir: string; judgeVersion: string; stats: DatasetStats; thresholds: Thresholds; shards: string[] }): string {
  const { stats } = options;
  const bins = Array.from({ length: 10 }, () => 0);
  for (const s of stats.successByTrajectory.values()) bins[Math.min(9, Math.floor(s * 10))]! += 1;
  const histogram = bins.map((n, i) => `| ${(i / 10).toFixed(1)}–${((i + 1) / 10).toFixed(1)} | ${n} |`).join('\n');
  return `# webtrail dataset — judge ${options.judgeVersion}

Chat-format SFT data for web agents, made by webtrail: one example per agent step of every judged
trajectory that passed the filters. Each line of \`part-*.jsonl.gz\` holds \`messages\` (system, user with the task,
the page and recent history, assistant with the agent's response) and where it came from.

| | |
|---|---|
| examples | ${stats.examples} |
| trajectories | ${stats.trajectories.size} |
| shards | ${options.shards.length} |
| judge version | ${options.judgeVersion} |
| agent versions | ${[...stats.agentVersions].join(', ') || '–'} |
| generator versions | ${[...stats.generatorVersions].join(', ') || '–'} |
| filters | success ≥ ${options.thresholds.minSuccess}, efficiency ≥ ${options.thresholds.minEfficiency}, self-correction ≥ ${options.thresholds.minSelfCorrection} |

Success score of the included trajectories:

| success | trajectories |
|---|---|
${histogram}

Load it:

\`\`\`python
from datasets import load_dataset; ds = load_dataset("json", data_files="${options.dir}/part-*.jsonl.gz", split="train")
\`\`\`
`;
}
