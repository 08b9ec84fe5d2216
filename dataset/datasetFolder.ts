// The datasets folder: one dataset per judge version (datasets/<judge-version>/), so a re-judging run lands
// beside the first dataset and never touches it. This module owns the folder's naming, the lock that keeps
// one writer per folder, the rename of folders an earlier webtrail named lossily, the recovery of every
// dataset a crash left open, and the card beside each dataset's shards.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { judgeVersionFolder, legacyJudgeVersionFolder, type TrainingExample } from '../schemas/index.ts';
import { UserInputError, WebtrailError } from '../platform/index.ts';
import type { DatasetConfig } from './datasetConfig.ts';
import { datasetCard } from './datasetCard.ts';
import { DatasetWriter, finishOpenShards, readShards, removeLeftoverTemps, SHARD_GLOB } from './datasetWriter.ts';
import { describeFilter } from './exampleFilter.ts';
import { writeFileDurably } from './durableFiles.ts';

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

export interface DatasetFolderOptions {
  onMigrated?(from: string, to: string): void;
  /** A write that happens outside an append failed (a card, closing a shard); it is tried again later. */
  onError?(what: string, error: unknown): void;
  /** How often the folder's lock is refreshed (tests shorten it; at least 1000). */
  lockRefreshMs?: number;
}

export class DatasetFolder {
  private readonly writers = new Map<string, DatasetWriter>();
  private cardTimer: NodeJS.Timeout | undefined;
  private readonly dirtyCards = new Set<string>();
  /** Datasets renamed from an earlier webtrail's folder name, as [from, to]. */
  readonly migrated: Array<[string, string]> = [];
  /** What start-up found left by a crash or a full disk: shards finished and temporary files removed, by path. */
  readonly recovered: { shards: string[]; temporaryFiles: string[] } = { shards: [], temporaryFiles: [] };
  /** Releases the folder's lock. */
  readonly release: () => void;

  constructor(
    private readonly config: DatasetConfig,
    private readonly options: DatasetFolderOptions = {},
  ) {
    this.release = lockDatasets(config.datasetsDir, options.lockRefreshMs ?? 10_000);
    try {
      this.recoverAll();
    } catch (error) {
      this.release();
      throw error;
    }
  }

  get dir(): string {
    return this.config.datasetsDir;
  }

  /**
   * A crash leaves a shard open in whichever dataset was being written; its examples are committed on
   * the topic, so they must become readable now, not when that judge version's next verdict arrives
   * (which, for a finished re-judging run, is never).
   */
  private recoverAll(): void {
    for (const entry of readdirSync(this.dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = path.join(this.dir, entry.name);
      this.recovered.temporaryFiles.push(...removeLeftoverTemps(dir).map((f) => path.join(entry.name, f)));
      const finished = finishOpenShards(dir);
      this.recovered.shards.push(...finished.map((f) => path.join(entry.name, f)));
      if (finished.length === 0) continue;
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
    const dir = path.join(this.dir, datasetDirName(judgeVersion));
    const legacy = path.join(this.dir, legacyJudgeVersionFolder(judgeVersion));
    if (legacy !== dir && !existsSync(dir) && existsSync(legacy)) {
      finishOpenShards(legacy);
      if (soleJudgeVersion(legacy) === judgeVersion) {
        renameSync(legacy, dir);
        this.migrated.push([legacy, dir]);
        this.options.onMigrated?.(legacy, dir);
      }
    }
    return dir;
  }

  writer(judgeVersion: string): DatasetWriter {
    let writer = this.writers.get(judgeVersion);
    if (!writer) {
      const { maxShardBytes, maxShardAgeMs, flushIntervalMs } = this.config;
      writer = new DatasetWriter(this.folderFor(judgeVersion), { maxShardBytes, maxShardAgeMs, flushIntervalMs });
      this.writers.set(judgeVersion, writer);
    }
    return writer;
  }

  /** The run of a trajectory a version's dataset holds, if it holds any of its examples. */
  runOf(judgeVersion: string, trajectoryId: string): string | undefined {
    return this.writer(judgeVersion).runOf(trajectoryId);
  }

  /** Makes the examples durable in their version's dataset (those it holds already are skipped); its card follows. */
  async append(judgeVersion: string, examples: TrainingExample[]): Promise<number> {
    const added = await this.writer(judgeVersion).append(examples);
    if (added > 0) this.markCard(judgeVersion);
    return added;
  }

  private markCard(judgeVersion: string): void {
    this.dirtyCards.add(judgeVersion);
    this.armCardTimer(1000);
  }

  private armCardTimer(delayMs: number): void {
    this.cardTimer ??= setTimeout(() => {
      this.cardTimer = undefined;
      try {
        this.writeCards();
      } catch (error) {
        // A full disk: the old card stays whole, and this one is written once there is room.
        this.options.onError?.('writing a dataset card', error);
        this.armCardTimer(5000);
      }
    }, delayMs);
    this.cardTimer.unref();
  }

  /** Writes the cards of the datasets that changed; each card is replaced whole, never left cut. */
  writeCards(): void {
    for (const version of [...this.dirtyCards]) {
      const writer = this.writers.get(version)!;
      const card = datasetCard({
        dir: writer.dir,
        judgeVersion: version,
        stats: writer.stats,
        filter: describeFilter(this.config.filter),
        scrubPii: this.config.scrubPii,
        files: writer.shardFiles(),
        glob: SHARD_GLOB,
        form: 'messages',
        metadata: this.config.card,
      });
      writeFileDurably(path.join(writer.dir, 'README.md'), card);
      this.dirtyCards.delete(version);
    }
  }

  async close(): Promise<void> {
    if (this.cardTimer) clearTimeout(this.cardTimer);
    try {
      for (const [version, writer] of this.writers) {
        // A shard that cannot be finished now (a full disk) stays open with its durable length recorded:
        // the next start finishes it. Nothing acknowledged is in what fails here.
        await writer.close().catch((error: unknown) => this.options.onError?.('closing a dataset shard', error));
        this.dirtyCards.add(version);
      }
      try {
        this.writeCards();
      } catch (error) {
        this.options.onError?.('writing a dataset card', error);
      }
    } finally {
      this.release();
    }
  }
}

/** Folders this process has locked (a second writer in the same process must be refused too). */
const lockedHere = new Set<string>();

/**
 * One writer per datasets folder: two would cut each other's open shards. The lock is a directory beside the
 * folder (proper-lockfile), refreshed every 10 s and taken over when not refreshed for 2 minutes, so it holds
 * between pods sharing a volume. It names its owner, so a sink restarted on the same host after a crash
 * (SIGKILL, OOM) takes it over at once instead of waiting for it to go stale.
 */
function lockDatasets(dir: string, refreshMs: number): () => void {
  mkdirSync(dir, { recursive: true });
  // Beside the lock, not in it: a file written into the lock directory changes its mtime, which the lock
  // library then reads as the lock having been taken by someone else.
  const ownerFile = `${dir}.lock.owner.json`;
  const take = () =>
    lockfile.lockSync(dir, {
      // Generous: a sink starved of CPU for a while must not think its lock taken (it then stops for good).
      stale: 120_000,
      update: refreshMs,
      onCompromised: (error) => {
        throw new WebtrailError(`the lock on ${dir} was lost (${error.message}): another sink may be writing there`, {
          retriable: false,
        });
      },
    });
  let release: () => void;
  try {
    release = take();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    if (!ownerIsGone(ownerFile, dir)) {
      throw new UserInputError(
        `another sink is writing ${dir} (it holds ${dir}.lock): run one sink per datasets folder, or give this one its own with WEBTRAIL_SINK_DATASETS_DIR`,
      );
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
