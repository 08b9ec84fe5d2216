// The sink's state: one dataset (writer and card) per judge version, so a re-judging run lands beside
// the first dataset and never touches it.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import lockfile from 'proper-lockfile';
import path from 'node:path';
import type { TrainingExample, Verdict } from '../../schemas/types.ts';
import { loadPrompt, type Prompt } from '../../llm/prompts.ts';
import type { SinkConfig } from './config.ts';
import { datasetCard } from './datasetCard.ts';
import { DatasetWriter, finishOpenShards, readShards, SHARD_GLOB } from './datasetWriter.ts';
import { loadTokenizer } from '../../platform/tokenizer.ts';
import { examplesFor } from './examples.ts';
import { scrubPii } from './scrubPii.ts';
import { describeFilter } from './exampleFilter.ts';
import { judgeVersionFolder, judgeVersionProblem, legacyJudgeVersionFolder } from '../../schemas/judgeVersion.ts';
import { UserInputError, WebtrailError } from '../../platform/errors.ts';
import { BlobMismatchError, readCheckedBlob } from '../../platform/blobStore.ts';
import { z } from 'zod';
import { AttemptGroups, heldJudgeVersions, type Decision } from './attemptGroups.ts';
import { KeyedLimiter } from '../../platform/keyedLimiter.ts';

/** A step's prompt as the rollout moved it to the blob store. */
const ChatMessages = z.array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() }));

/** The folder under datasets/ of a judge version's dataset. */
export const datasetDirName = judgeVersionFolder;

/** The one judge version of a folder's finished shards, or null when it holds none or several. */
function soleJudgeVersion(dir: string): string | null {
  let version: string | null = null;
  for (const example of readShards(dir)) {
    if (version !== null && example.judgeVersion !== version) return null;
    version = example.judgeVersion;
  }
  return version;
}

export interface SinkOptions {
  onMigrated?(from: string, to: string): void;
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
  private readonly writers = new Map<string, DatasetWriter>();
  private readonly attemptGroups = new Map<string, AttemptGroups>();
  private readonly prompts = new Map<string, Prompt>();
  private readonly scrub = (text: string) => scrubPii(text, this.config.piiCountry);
  private readonly countTokens: (text: string) => number;
  private cardTimer: NodeJS.Timeout | undefined;
  private readonly dirtyCards = new Set<string>();
  /** One verdict of a trajectory at a time: the run check and the append must not interleave. */
  private readonly oneRunAtATime = new KeyedLimiter(1);

  /** Datasets renamed from an earlier webtrail's folder name, as [from, to]. */
  readonly migrated: Array<[string, string]> = [];

  private readonly onMigrated: (from: string, to: string) => void;
  private readonly onOtherRun: (verdict: Verdict, keptRunId: string) => void;
  private readonly exampleProblem: (example: TrainingExample) => string | null;
  private readonly options: SinkOptions;

  /** Releases the datasets folder's lock. */
  private readonly unlock: () => void;

  constructor(private readonly config: SinkConfig, options: SinkOptions = {}) {
    this.onMigrated = options.onMigrated ?? (() => undefined);
    this.onOtherRun = options.onOtherRun ?? (() => undefined);
    this.exampleProblem = options.exampleProblem ?? (() => null);
    this.options = options;
    this.countTokens = loadTokenizer(config.tokenizer).count;
    this.unlock = lockDatasets(config.datasetsDir, options.lockRefreshMs ?? 10_000);
    try {
      this.recoverAll();
      // Attempts held when the sink stopped: their tasks are settled by the wait even if no verdict of that
      // judge version ever comes again.
      for (const version of heldJudgeVersions(this.attemptsRoot)) this.groupsOf(version);
    } catch (error) {
      this.unlock();
      throw error;
    }
  }

  /**
   * A crash leaves a shard open in whichever dataset was being written; its examples are committed on
   * the topic, so they must become readable now, not when that judge version's next verdict arrives
   * (which, for a finished re-judging run, is never).
   */
  private recoverAll(): void {
    if (!existsSync(this.config.datasetsDir)) return;
    for (const entry of readdirSync(this.config.datasetsDir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = path.join(this.config.datasetsDir, entry.name);
      if (finishOpenShards(dir).length === 0) continue;
      const version = soleJudgeVersion(dir);
      // The card lists the shards: rewrite it for the folder's version.
      if (version !== null && datasetDirName(version) === entry.name) {
        this.writer(version);
        this.markCard(version);
      }
    }
  }

  /**
   * The folder of a version; one an earlier webtrail named lossily (a:b as a_b) is renamed, when every
   * example in it is this version's, so its examples still count against duplicates.
   */
  private folderFor(judgeVersion: string): string {
    const dir = path.join(this.config.datasetsDir, datasetDirName(judgeVersion));
    const legacy = path.join(this.config.datasetsDir, legacyJudgeVersionFolder(judgeVersion));
    if (legacy !== dir && !existsSync(dir) && existsSync(legacy)) {
      finishOpenShards(legacy);
      if (soleJudgeVersion(legacy) === judgeVersion) {
        renameSync(legacy, dir);
        this.migrated.push([legacy, dir]);
        this.onMigrated(legacy, dir);
      }
    }
    return dir;
  }

  writer(judgeVersion: string): DatasetWriter {
    let writer = this.writers.get(judgeVersion);
    if (!writer) {
      writer = new DatasetWriter(this.folderFor(judgeVersion), { maxShardBytes: this.config.maxShardBytes, maxShardAgeMs: this.config.maxShardAgeMs, flushIntervalMs: this.config.flushIntervalMs });
      this.writers.set(judgeVersion, writer);
    }
    return writer;
  }

  private get attemptsRoot(): string {
    return path.join(this.config.datasetsDir, '.attempts');
  }

  /** A judge version's held attempts (best-of-n), beside its dataset. */
  private groupsOf(judgeVersion: string): AttemptGroups {
    let groups = this.attemptGroups.get(judgeVersion);
    if (!groups) {
      groups = new AttemptGroups(path.join(this.attemptsRoot, datasetDirName(judgeVersion)), { waitMs: this.config.attemptsWaitMs });
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
          if (await this.writer(version).append(still.examples)) this.markCard(version);
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
    if (problem) throw new WebtrailError(`verdict for ${verdict.trajectoryId} has judge version ${JSON.stringify(verdict.judgeVersion.slice(0, 120))}: ${problem}`);
    // NaN passes no threshold, so such a verdict would vanish without a word: dead-letter it instead.
    for (const [name, score] of [['success', verdict.success], ['efficiency', verdict.efficiency], ['selfCorrection', verdict.selfCorrection]] as const) {
      if (!Number.isFinite(score) || score < 0 || score > 1) throw new WebtrailError(`verdict for ${verdict.trajectoryId} has ${name} ${score}: scores are numbers from 0 to 1`);
    }
    // One run per trajectory: a task redelivered after its trajectory was produced ran again under the
    // same trajectory id; its steps must not join the first run's in the dataset. The first run written wins.
    const writer = this.writer(verdict.judgeVersion);
    const keptRun = writer.runOf(verdict.trajectoryId);
    if (keptRun !== undefined && keptRun !== verdict.trajectory.runId) {
      this.onOtherRun(verdict, keptRun);
      return [];
    }
    if (verdict.trajectory.attempts > 1) return this.acceptAttempt(verdict, writer);
    const examples = await this.examplesOf(verdict);
    if (await writer.append(examples)) this.markCard(verdict.judgeVersion);
    return examples;
  }

  /**
   * Best-of-n: one attempt of a task given several. Held until the task's attempts are all judged, then the
   * best's examples are written and returned; nothing for the others.
   */
  private acceptAttempt(verdict: Verdict, writer: DatasetWriter): Promise<TrainingExample[]> {
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
          await writer.append(offer.examples);
          return offer.examples;
        case 'complete':
          if (await writer.append(offer.examples)) this.markCard(verdict.judgeVersion);
          groups.decided(offer.decision);
          this.options.onAttemptsDecided?.(offer.decision);
          return offer.examples;
      }
    });
  }

  /** The verdict's examples, each checked for size. */
  private async examplesOf(verdict: Verdict): Promise<TrainingExample[]> {
    const examples = examplesFor(await this.withPrompts(verdict), {
      filter: this.config.filter, keepExploration: this.config.keepExploration, ...(this.config.scrubPii ? { scrub: this.scrub } : {}), historySteps: this.config.historySteps, maxSteps: this.config.maxSteps, now: () => verdict.judgedAtMs,
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
      if (tooBig) throw new WebtrailError(`verdict for ${verdict.trajectoryId}: step ${example.step}'s example ${example.exampleId}: ${tooBig}; none of its ${examples.length} examples written`);
    }
    return examples;
  }

  /** The verdict with every step's prompt in place: those the rollout moved to the blob store fetched and checked. */
  private async withPrompts(verdict: Verdict): Promise<Verdict> {
    if (!verdict.trajectory.steps.some((s) => s.promptRef && !s.prompt)) return verdict;
    const steps = await Promise.all(verdict.trajectory.steps.map(async (step) => {
      if (!step.promptRef || step.prompt) return step;
      const bytes = await readCheckedBlob(step.promptRef).catch((error: unknown) => {
        if (error instanceof BlobMismatchError) throw new WebtrailError(`verdict for ${verdict.trajectoryId}: step ${step.index}'s prompt at ${step.promptRef} does not match the hash in its name`);
        throw error;
      });
      const messages = ChatMessages.safeParse(JSON.parse(bytes.toString('utf8')));
      if (!messages.success) throw new WebtrailError(`verdict for ${verdict.trajectoryId}: step ${step.index}'s prompt at ${step.promptRef} is not a list of chat messages`);
      return { ...step, prompt: messages.data };
    }));
    return { ...verdict, trajectory: { ...verdict.trajectory, steps } };
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
      writeFileSync(path.join(writer.dir, 'README.md'), datasetCard({ dir: writer.dir, judgeVersion: version, stats: writer.stats, filter: describeFilter(this.config.filter), scrubPii: this.config.scrubPii, files: writer.shardFiles(), glob: SHARD_GLOB, form: 'messages', metadata: this.config.card }));
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
    this.unlock();
  }
}

/** Folders this process has locked (a second Sink in the same process must be refused too). */
const lockedHere = new Set<string>();

/**
 * One sink per datasets folder: two would cut each other's open shards. The lock is a directory beside the
 * folder (proper-lockfile), refreshed every 10 s and taken over when not refreshed for 2 minutes, so it holds
 * between pods sharing a volume. It names its owner, so a sink restarted on the same host after a crash
 * (SIGKILL, OOM) takes it over at once instead of waiting for it to go stale.
 */
function lockDatasets(dir: string, refreshMs: number): () => void {
  mkdirSync(dir, { recursive: true });
  // Beside the lock, not in it: a file written into the lock directory changes its mtime, which the lock
  // library then reads as the lock having been taken by someone else.
  const ownerFile = `${dir}.lock.owner.json`;
  const take = () => lockfile.lockSync(dir, {
    // Generous: a sink starved of CPU for a while must not think its lock taken (it then stops for good).
    stale: 120_000, update: refreshMs,
    onCompromised: (error) => {
      throw new WebtrailError(`the lock on ${dir} was lost (${error.message}): another sink may be writing there`, { retriable: false });
    },
  });
  let release: () => void;
  try {
    release = take();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    if (!ownerIsGone(ownerFile, dir)) {
      throw new UserInputError(`another sink is writing ${dir} (it holds ${dir}.lock): run one sink per datasets folder, or give this one its own with WEBTRAIL_SINK_DATASETS_DIR`);
    }
    rmSync(`${dir}.lock`, { recursive: true, force: true });
    release = take();
  }
  writeFileSync(ownerFile, JSON.stringify({ host: hostname(), pid: process.pid, since: new Date().toISOString() }));
  lockedHere.add(dir);
  return () => {
    lockedHere.delete(dir);
    try {
      rmSync(ownerFile, { force: true });
      release();
    } catch {
      // already released or taken over
    }
  };
}

/** Whether the lock's owner was a process on this host that no longer runs. */
function ownerIsGone(ownerFile: string, dir: string): boolean {
  let owner: { host?: string; pid?: number };
  try {
    owner = JSON.parse(readFileSync(ownerFile, 'utf8')) as { host?: string; pid?: number };
  } catch {
    return false;
  }
  if (owner.host !== hostname() || typeof owner.pid !== 'number') return false;
  // Our own pid: a previous life of this container (pids repeat there), unless this process holds it.
  if (owner.pid === process.pid) return !lockedHere.has(dir);
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
