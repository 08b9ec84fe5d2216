// The sink stage: verdict → examples → best-of-n → the dataset of the verdict's judge version
// (dataset/datasetFolder.ts owns the folder, its lock, recovery and cards).
import { z } from 'zod';
import { judgeVersionFolder, judgeVersionProblem, type TrainingExample, type Verdict } from '../../schemas/index.ts';
import { loadPrompt, type Prompt } from '../../llm/index.ts';
import type { SinkConfig } from './config.ts';
import { DatasetFolder, scrubPii } from '../../dataset/index.ts';
import {
  BlobMismatchError,
  KeyedLimiter,
  loadTokenizer,
  readCheckedBlob,
  WebtrailError,
} from '../../platform/index.ts';
import { examplesFor } from './examples.ts';
import { AttemptGroups, heldJudgeVersions, type Decision } from './attemptGroups.ts';
import path from 'node:path';

/** A step's prompt as the rollout moved it to the blob store. */
const ChatMessages = z.array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() }));

export interface SinkOptions {
  onMigrated?(from: string, to: string): void;
  /** A dataset write outside an append failed (a card, closing a shard): it is tried again later. */
  onDatasetError?(what: string, error: unknown): void;
  /** A verdict on another run of a trajectory whose run the dataset already holds (a redelivered rollout). */
  onOtherRun?(verdict: Verdict, keptRunId: string): void;
  /** Why an example cannot go to the examples topic (its size), or null. */
  exampleProblem?(example: TrainingExample): string | null;
  /** How often the datasets folder's lock is refreshed (tests shorten it; at least 1000). */
  lockRefreshMs?: number;
  /** Best-of-n: an attempt held until its task's other attempts are judged. */
  onAttemptHeld?(verdict: Verdict, judged: number, attempts: number): void;
  /** Best-of-n: a task decided, one attempt kept. */
  onAttemptsDecided?(decision: Decision): void;
  /** Best-of-n: an attempt of a task decided already (it came late, or ran again): not added. */
  onLateAttempt?(verdict: Verdict, decision: Decision): void;
}

export class Sink {
  private readonly datasets: DatasetFolder;
  private readonly attemptGroups = new Map<string, AttemptGroups>();
  private readonly prompts = new Map<string, Prompt>();
  private readonly scrub = (text: string) => scrubPii(text, this.config.piiCountry);
  private readonly countTokens: (text: string) => number;
  /** One verdict of a trajectory at a time: the run check and the append must not interleave. */
  private readonly oneRunAtATime = new KeyedLimiter(1);

  private readonly onOtherRun: (verdict: Verdict, keptRunId: string) => void;
  private readonly exampleProblem: (example: TrainingExample) => string | null;
  private readonly options: SinkOptions;

  constructor(
    private readonly config: SinkConfig,
    options: SinkOptions = {},
  ) {
    this.onOtherRun = options.onOtherRun ?? (() => undefined);
    this.exampleProblem = options.exampleProblem ?? (() => null);
    this.options = options;
    this.countTokens = loadTokenizer(config.tokenizer).count;
    this.datasets = new DatasetFolder(config, {
      ...(options.onMigrated ? { onMigrated: options.onMigrated } : {}),
      ...(options.lockRefreshMs ? { lockRefreshMs: options.lockRefreshMs } : {}),
      ...(options.onDatasetError ? { onError: options.onDatasetError } : {}),
    });
    try {
      // Attempts held when the sink stopped: their tasks are settled by the wait even if no verdict of that
      // judge version ever comes again.
      for (const version of heldJudgeVersions(this.attemptsRoot)) this.groupsOf(version);
    } catch (error) {
      this.datasets.release();
      throw error;
    }
  }

  /** What start-up recovered in the datasets folder (shards a crash left open, temporary files). */
  get recovered(): { shards: string[]; temporaryFiles: string[] } {
    return this.datasets.recovered;
  }

  /** Datasets renamed from an earlier webtrail's folder name, as [from, to]. */
  get migrated(): Array<[string, string]> {
    return this.datasets.migrated;
  }

  private get attemptsRoot(): string {
    return path.join(this.config.datasetsDir, '.attempts');
  }

  /** A judge version's held attempts (best-of-n), beside its dataset. */
  private groupsOf(judgeVersion: string): AttemptGroups {
    let groups = this.attemptGroups.get(judgeVersion);
    if (!groups) {
      groups = new AttemptGroups(path.join(this.attemptsRoot, judgeVersionFolder(judgeVersion)), {
        waitMs: this.config.attemptsWaitMs,
      });
      this.attemptGroups.set(judgeVersion, groups);
    }
    return groups;
  }

  /** Tasks whose attempts are still awaited, over every judge version. */
  get attemptsWaiting(): number {
    return [...this.attemptGroups.values()].reduce((n, g) => n + g.waiting, 0);
  }

  /**
   * Settles the tasks whose attempts were waited for WEBTRAIL_SINK_ATTEMPTS_WAIT_MS: the best of those judged
   * is written and handed to publish (the examples topic) before the task is marked decided, so a crash in
   * between settles it again rather than losing it.
   */
  async settleOverdue(publish: (examples: TrainingExample[]) => Promise<void>): Promise<Decision[]> {
    const settled: Decision[] = [];
    for (const [version, groups] of this.attemptGroups) {
      groups.prune();
      for (const taskId of groups.overdueTasks()) {
        await groups.exclusive(taskId, async () => {
          // Taken again inside: a verdict may have completed it meanwhile.
          const still = groups.settle(taskId);
          if (!still) return;
          await this.datasets.append(version, still.examples);
          await publish(still.examples);
          groups.decided(still.decision);
          this.options.onAttemptsDecided?.(still.decision);
          settled.push(still.decision);
        });
      }
    }
    return settled;
  }

  /**
   * Makes the verdict's examples durable in its dataset; returns them all (for the topic). Verdicts of one
   * trajectory are taken one at a time: two runs' verdicts handled together (a redelivered rollout, its
   * verdicts in one partition) would both find no run in the dataset and both be written.
   */
  accept(verdict: Verdict): Promise<TrainingExample[]> {
    return this.oneRunAtATime.run(`${verdict.judgeVersion}\n${verdict.trajectoryId}`, () => this.acceptNow(verdict));
  }

  private async acceptNow(verdict: Verdict): Promise<TrainingExample[]> {
    const problem = judgeVersionProblem(verdict.judgeVersion);
    if (problem)
      throw new WebtrailError(
        `verdict for ${verdict.trajectoryId} has judge version ${JSON.stringify(verdict.judgeVersion.slice(0, 120))}: ${problem}`,
      );
    // NaN passes no threshold, so such a verdict would vanish without a word: dead-letter it instead.
    for (const [name, score] of [
      ['success', verdict.success],
      ['efficiency', verdict.efficiency],
      ['selfCorrection', verdict.selfCorrection],
    ] as const) {
      if (!Number.isFinite(score) || score < 0 || score > 1)
        throw new WebtrailError(
          `verdict for ${verdict.trajectoryId} has ${name} ${score}: scores are numbers from 0 to 1`,
        );
    }
    // One run per trajectory: a task redelivered after its trajectory was produced ran again under the
    // same trajectory id; its steps must not join the first run's in the dataset. The first run written wins.
    const keptRun = this.datasets.runOf(verdict.judgeVersion, verdict.trajectoryId);
    if (keptRun !== undefined && keptRun !== verdict.trajectory.runId) {
      this.onOtherRun(verdict, keptRun);
      return [];
    }
    if (verdict.trajectory.attempts > 1) return this.acceptAttempt(verdict);
    const examples = await this.examplesOf(verdict);
    await this.datasets.append(verdict.judgeVersion, examples);
    return examples;
  }

  /**
   * Best-of-n: one attempt of a task given several. Held until the task's attempts are all judged, then the
   * best's examples are written and returned; nothing for the others.
   */
  private acceptAttempt(verdict: Verdict): Promise<TrainingExample[]> {
    const groups = this.groupsOf(verdict.judgeVersion);
    return groups.exclusive(verdict.trajectory.task.taskId, async () => {
      const offer = await groups.offer(verdict, () => this.examplesOf(verdict));
      switch (offer.kind) {
        case 'held':
          this.options.onAttemptHeld?.(verdict, offer.judged, offer.attempts);
          return [];
        case 'repeat':
          this.onOtherRun(verdict, offer.keptRunId);
          return [];
        case 'late':
          this.options.onLateAttempt?.(verdict, offer.decision);
          return [];
        case 'decided-again':
          await this.datasets.append(verdict.judgeVersion, offer.examples);
          return offer.examples;
        case 'complete':
          await this.datasets.append(verdict.judgeVersion, offer.examples);
          groups.decided(offer.decision);
          this.options.onAttemptsDecided?.(offer.decision);
          return offer.examples;
      }
    });
  }

  /** The verdict's examples, each checked for size. */
  private async examplesOf(verdict: Verdict): Promise<TrainingExample[]> {
    const examples = examplesFor(await this.withPrompts(verdict), {
      filter: this.config.filter,
      keepExploration: this.config.keepExploration,
      ...(this.config.scrubPii ? { scrub: this.scrub } : {}),
      historySteps: this.config.historySteps,
      maxSteps: this.config.maxSteps,
      now: () => verdict.judgedAtMs,
      countTokens: this.countTokens,
      agentPrompt: (id) => {
        let prompt = this.prompts.get(id);
        if (!prompt) {
          const [name, version] = id.split('.') as [string, string];
          this.prompts.set(id, (prompt = loadPrompt(name, version)));
        }
        return prompt;
      },
    });
    // Sized before anything is written: a dataset must not hold an example its topic refuses, and the
    // verdict is dead-lettered whole rather than half its examples kept.
    for (const example of examples) {
      const tooBig = this.exampleProblem(example);
      if (tooBig)
        throw new WebtrailError(
          `verdict for ${verdict.trajectoryId}: step ${example.step}'s example ${example.exampleId}: ${tooBig}; none of its ${examples.length} examples written`,
        );
    }
    return examples;
  }

  /** The verdict with every step's prompt in place: those the rollout moved to the blob store fetched and checked. */
  private async withPrompts(verdict: Verdict): Promise<Verdict> {
    if (!verdict.trajectory.steps.some((s) => s.promptRef && !s.prompt)) return verdict;
    const steps = await Promise.all(
      verdict.trajectory.steps.map(async (step) => {
        if (!step.promptRef || step.prompt) return step;
        const bytes = await readCheckedBlob(step.promptRef).catch((error: unknown) => {
          if (error instanceof BlobMismatchError)
            throw new WebtrailError(
              `verdict for ${verdict.trajectoryId}: step ${step.index}'s prompt at ${step.promptRef} does not match the hash in its name`,
            );
          throw error;
        });
        const messages = ChatMessages.safeParse(JSON.parse(bytes.toString('utf8')));
        if (!messages.success)
          throw new WebtrailError(
            `verdict for ${verdict.trajectoryId}: step ${step.index}'s prompt at ${step.promptRef} is not a list of chat messages`,
          );
        return { ...step, prompt: messages.data };
      }),
    );
    return { ...verdict, trajectory: { ...verdict.trajectory, steps } };
  }

  async close(): Promise<void> {
    await this.datasets.close();
  }
}
