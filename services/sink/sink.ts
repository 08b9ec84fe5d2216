// The sink's state: one dataset (writer and card) per judge version, so a re-judging run lands beside
// the first dataset and never touches it.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TrainingExample, Verdict } from '../../schemas/types.ts';
import { loadPrompt, type Prompt } from '../../llm/prompts.ts';
import type { SinkConfig } from './config.ts';
import { datasetCard } from './datasetCard.ts';
import { DatasetWriter } from './datasetWriter.ts';
import { examplesFor } from './examples.ts';

export function datasetDirName(judgeVersion: string): string {
  return judgeVersion.replace(/[^\w.@+-]+/g, '_');
}

export class Sink {
  private readonly writers = new Map<string, DatasetWriter>();
  private readonly prompts = new Map<string, Prompt>();
  private cardTimer: NodeJS.Timeout | undefined;
  private readonly dirtyCards = new Set<string>();

  constructor(private readonly config: SinkConfig) {}

  writer(judgeVersion: string): DatasetWriter {
    let writer = this.writers.get(judgeVersion);
    if (!writer) {
      writer = new DatasetWriter(path.join(this.config.datasetsDir, datasetDirName(judgeVersion)), { maxShardBytes: this.config.maxShardBytes, maxShardAgeMs: this.config.maxShardAgeMs, flushIntervalMs: this.config.flushIntervalMs });
      this.writers.set(judgeVersion, writer);
    }
    return writer;
  }

  /** Makes the verdict's examples durable in its dataset; returns them all (for the topic). */
  async accept(verdict: Verdict): Promise<TrainingExample[]> {
    const examples = examplesFor(verdict, {
      thresholds: this.config.thresholds, historySteps: this.config.historySteps, maxSteps: this.config.maxSteps, now: () => verdict.judgedAtMs,
      agentPrompt: (id) => {
        let prompt = this.prompts.get(id);
        if (!prompt) {
          const [name, version] = id.split('.') as [string, string];
          this.prompts.set(id, (prompt = loadPrompt(name, version)));
        }
        return prompt;
      },
    });
    const writer = this.writer(verdict.judgeVersion);
    if (await writer.append(examples)) this.markCard(verdict.judgeVersion);
    return examples;
  }

  private markCard(judgeVersion: string): void {
    this.dirtyCards.add(judgeVersion);
    this.cardTimer ??= setTimeout(() => {
      this.cardTimer = undefined;
      this.writeCards();
    }, 1000);
  }

  writeCards(): void {
    for (const version of this.dirtyCards) {
      const writer = this.writers.get(version)!;
      writeFileSync(path.join(writer.dir, 'README.md'), datasetCard({ dir: writer.dir, judgeVersion: version, stats: writer.stats, thresholds: this.config.thresholds, shards: writer.shardFiles() }));
    }
    this.dirtyCards.clear();
  }

  async close(): Promise<void> {
    if (this.cardTimer) clearTimeout(this.cardTimer);
    for (const [version, writer] of this.writers) {
      await writer.close();
      this.dirtyCards.add(version);
    }
    this.writeCards();
  }
}
