// Gzip JSONL shards under <root>/<judge-version>/, durable before offsets are committed.
//
// Appends are group-committed: what arrives together (at most one write per flushIntervalMs) is written as one gzip member to
// the open shard (part-NNNNN.jsonl.gz.tmp), fsynced, and its length recorded in a sidecar (written to a
// temp file, fsynced, renamed); only then do the appends resolve. At maxShardBytes, or maxShardAgeMs
// after its first write (so a long, slow run's examples become readable), the shard is renamed to
// part-NNNNN.jsonl.gz. After a crash the open shard is cut back to its recorded length and finished.
// Example ids already in the dataset are skipped, across restarts.
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { TrainingExample } from '../schemas/index.ts';
import { fromRow, rowLine } from './columns.ts';
import { fsyncDir, NODE_FS, writeAll, writeFileDurably, type FileSystem } from './durableFiles.ts';

export interface DatasetWriterOptions {
  maxShardBytes: number;
  /** A shard is finished this long after its first write, so readers see examples while a run goes on. */
  maxShardAgeMs: number;
  flushIntervalMs: number;
  /** node:fs unless a test puts a fault layer under the writer. */
  fs?: FileSystem;
}

interface Pending {
  examples: TrainingExample[];
  /** Trajectories whose run this batch made the dataset's: forgotten again if it is not written. */
  newRuns: string[];
  lines: string[];
  resolve: () => void;
  reject: (error: Error) => void;
}

export interface DatasetStats {
  examples: number;
  trajectories: Set<string>;
  /** The judge's scores of each trajectory in the dataset. */
  scoresByTrajectory: Map<string, Pick<TrainingExample, 'success' | 'efficiency' | 'selfCorrection'>>;
  agentVersions: Set<string>;
  generatorVersions: Set<string>;
  /** Examples per size in tokens, in steps of TOKEN_STEP (rounded up), and the largest: for the card. */
  tokenSteps: Map<number, number>;
  maxTokens: number;
  /** Examples and trajectories per refinement round of their task. */
  rounds: Map<number, { examples: number; trajectories: number }>;
  /** Examples and trajectories by how many attempts their task was given (best-of-n). */
  attempts: Map<number, { examples: number; trajectories: number }>;
}

export const TOKEN_STEP = 64;

/**
 * Finishes the shards a crash left open in a dataset folder: each is cut back to the length its sidecar
 * recorded as durable and renamed, or removed when nothing in it was durable. Returns the shards finished.
 */
export function finishOpenShards(dir: string, fs: FileSystem = NODE_FS): string[] {
  const finished: string[] = [];
  for (const file of fs.readdirSync(dir)) {
    if (!file.endsWith('.jsonl.gz.tmp')) continue;
    const temp = path.join(dir, file);
    const sidecar = `${temp}.len`;
    const durable = fs.existsSync(sidecar) ? Number(fs.readFileSync(sidecar, 'utf8')) : 0;
    if (durable > 0 && fs.statSync(temp).size >= durable) {
      fs.truncateSync(temp, durable);
      fs.renameSync(temp, temp.replace(/\.tmp$/, ''));
      finished.push(file.replace(/\.tmp$/, ''));
    } else {
      fs.rmSync(temp);
    }
    fs.rmSync(sidecar, { force: true });
  }
  if (finished.length) fsyncDir(dir, fs);
  return finished;
}

/** Temporary files a write was cut short in (a card or a sidecar replaced whole, `*.<pid>.new`): removed. */
export function removeLeftoverTemps(dir: string, fs: FileSystem = NODE_FS): string[] {
  const left = fs.readdirSync(dir).filter((f) => /\.\d+\.new$/.test(f));
  for (const file of left) fs.rmSync(path.join(dir, file), { force: true });
  return left;
}

/** The examples of a dataset folder's finished shards, in shard order. */
export function* readShards(dir: string, fs: FileSystem = NODE_FS): Generator<TrainingExample> {
  for (const file of shardFilesOf(dir, fs)) {
    const text = gunzipSync(fs.readFileSync(path.join(dir, file))).toString('utf8');
    for (const line of text.split('\n')) if (line) yield fromRow(JSON.parse(line) as Record<string, unknown>);
  }
}

export function emptyStats(): DatasetStats {
  return {
    examples: 0,
    trajectories: new Set(),
    scoresByTrajectory: new Map(),
    agentVersions: new Set(),
    generatorVersions: new Set(),
    tokenSteps: new Map(),
    maxTokens: 0,
    rounds: new Map(),
    attempts: new Map(),
  };
}

/** Adds an example to a dataset's counts (for its card). */
export function countExample(stats: DatasetStats, example: TrainingExample): void {
  if (example.agentVersion) stats.agentVersions.add(example.agentVersion);
  if (example.generatorVersion) stats.generatorVersions.add(example.generatorVersion);
  stats.examples += 1;
  const newTrajectory = !stats.trajectories.has(example.trajectoryId);
  for (const [by, key] of [
    [stats.rounds, example.round],
    [stats.attempts, example.attempts],
  ] as const) {
    const counts = by.get(key) ?? { examples: 0, trajectories: 0 };
    counts.examples += 1;
    if (newTrajectory) counts.trajectories += 1;
    by.set(key, counts);
  }
  stats.trajectories.add(example.trajectoryId);
  stats.scoresByTrajectory.set(example.trajectoryId, {
    success: example.success,
    efficiency: example.efficiency,
    selfCorrection: example.selfCorrection,
  });
  if (example.tokens > 0) {
    const step = Math.ceil(example.tokens / TOKEN_STEP) * TOKEN_STEP;
    stats.tokenSteps.set(step, (stats.tokenSteps.get(step) ?? 0) + 1);
    stats.maxTokens = Math.max(stats.maxTokens, example.tokens);
  }
}

/** The finished shards of a dataset folder, as a glob relative to it. */
export const SHARD_GLOB = 'part-*.jsonl.gz';

/** The finished shards of a dataset folder, in order. */
export function shardFilesOf(dir: string, fs: FileSystem = NODE_FS): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^part-\d+\.jsonl\.gz$/.test(f))
    .sort();
}

export class DatasetWriter {
  /** Example ids in the dataset or on their way into it (a concurrent append of the same id is skipped). */
  readonly ids = new Set<string>();
  /** The one run of each trajectory in the dataset, or on its way into it. */
  private readonly runs = new Map<string, string>();
  /** The card's figures: of what is durable only, so a failed write is never counted. */
  readonly stats: DatasetStats = emptyStats();
  private readonly fs: FileSystem;
  private shardIndex = 0;
  private fd: number | undefined;
  /** A shard closed whose rename into place failed (a full disk, say): finished before a new one opens. */
  private closedShard: string | undefined;
  private shardBytes = 0;
  private shardOpenedAt = 0;
  private ageTimer: NodeJS.Timeout | undefined;
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastFlushAt = 0;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    readonly dir: string,
    private readonly options: DatasetWriterOptions,
  ) {
    this.fs = options.fs ?? NODE_FS;
    this.fs.mkdirSync(dir, { recursive: true });
    this.recover();
  }

  private shardName(index: number): string {
    return path.join(this.dir, `part-${String(index).padStart(5, '0')}.jsonl.gz`);
  }

  /** Finishes a shard left open by a crash and indexes every example already written. */
  private recover(): void {
    removeLeftoverTemps(this.dir, this.fs);
    finishOpenShards(this.dir, this.fs);
    // An empty finished shard holds nothing (an earlier webtrail finished one whose every write had failed).
    for (const file of this.shardFiles())
      if (this.fs.statSync(path.join(this.dir, file)).size === 0) this.fs.rmSync(path.join(this.dir, file));
    for (const file of this.shardFiles()) this.shardIndex = Math.max(this.shardIndex, Number(file.slice(5, 10)) + 1);
    for (const example of readShards(this.dir, this.fs)) {
      this.reserve(example);
      countExample(this.stats, example);
    }
    fsyncDir(this.dir, this.fs);
  }

  /** The run of a trajectory this dataset holds, if it holds any of its examples. */
  runOf(trajectoryId: string): string | undefined {
    return this.runs.get(trajectoryId);
  }

  private reserve(example: TrainingExample): void {
    this.ids.add(example.exampleId);
    if (!this.runs.has(example.trajectoryId)) this.runs.set(example.trajectoryId, example.runId);
  }

  /** Resolves once the examples not yet in the dataset are durable on disk. Returns how many were new. */
  append(examples: TrainingExample[]): Promise<number> {
    if (this.closed) return Promise.reject(new Error('dataset writer is closed'));
    const fresh = examples.filter((e) => !this.ids.has(e.exampleId));
    if (fresh.length === 0) return Promise.resolve(0);
    const newRuns = [...new Set(fresh.map((e) => e.trajectoryId))].filter((id) => !this.runs.has(id));
    for (const e of fresh) this.reserve(e);
    return new Promise<number>((resolve, reject) => {
      this.queue.push({
        examples: fresh,
        newRuns,
        lines: fresh.map(rowLine),
        resolve: () => resolve(fresh.length),
        reject,
      });
      // What arrived together is written together; an idle writer writes at the next turn of the event
      // loop, a busy one at most once per flushIntervalMs, so a trickle waits for no timer and a flood
      // still shares each fsync.
      this.timer ??= setTimeout(
        () => {
          this.timer = undefined;
          this.writing = this.writing.then(() => this.flush());
        },
        Math.max(0, this.lastFlushAt + this.options.flushIntervalMs - Date.now()),
      );
    });
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    this.lastFlushAt = Date.now();
    const fs = this.fs;
    try {
      if (this.fd === undefined) {
        this.finishClosedShard();
        this.fd = fs.openSync(`${this.shardName(this.shardIndex)}.tmp`, 'w');
        // A new file is in its directory for good only once the directory is synced.
        fsyncDir(this.dir, fs);
        this.shardBytes = 0;
        this.shardOpenedAt = Date.now();
        this.ageTimer = setTimeout(() => {
          this.ageTimer = undefined;
          // A failed rename leaves the shard open; the next size or age check tries again.
          this.writing = this.writing.then(() => this.rotate()).catch(() => undefined);
        }, this.options.maxShardAgeMs);
        this.ageTimer.unref();
      }
      const member = gzipSync(`${batch.flatMap((p) => p.lines).join('\n')}\n`);
      // At the durable length, not the file's position: a write cut short (a full disk) left bytes past it.
      writeAll(this.fd, member, this.shardBytes, fs);
      fs.fsyncSync(this.fd);
      // The member counts once its length is recorded; until then the next batch writes over it.
      writeFileDurably(`${this.shardName(this.shardIndex)}.tmp.len`, String(this.shardBytes + member.length), fs);
      this.shardBytes += member.length;
    } catch (error) {
      // Not written: forget them, so the redelivered verdict writes them again; nothing of them was counted.
      for (const p of batch) {
        for (const e of p.examples) this.ids.delete(e.exampleId);
        for (const id of p.newRuns) this.runs.delete(id);
        p.reject(error as Error);
      }
      return;
    }
    for (const p of batch) for (const e of p.examples) countExample(this.stats, e);
    for (const p of batch) p.resolve();
    // Durable already: a shard that cannot be finished now stays open and is finished by the next check.
    if (
      this.shardBytes >= this.options.maxShardBytes ||
      Date.now() - this.shardOpenedAt >= this.options.maxShardAgeMs
    ) {
      try {
        this.rotate();
      } catch {
        // tried again at the next flush, the age timer or close
      }
    }
  }

  private rotate(): void {
    if (this.ageTimer) clearTimeout(this.ageTimer);
    this.ageTimer = undefined;
    if (this.fd !== undefined && this.shardBytes === 0) {
      // Opened, but nothing in it was ever written (its first write failed, a full disk): no shard at all.
      this.fs.closeSync(this.fd);
      this.fd = undefined;
      const temp = `${this.shardName(this.shardIndex)}.tmp`;
      this.fs.rmSync(temp, { force: true });
      this.fs.rmSync(`${temp}.len`, { force: true });
    } else if (this.fd !== undefined) {
      // Whatever a failed write left past the durable length is not part of the shard.
      this.fs.ftruncateSync(this.fd, this.shardBytes);
      this.fs.fsyncSync(this.fd);
      this.fs.closeSync(this.fd);
      this.fd = undefined;
      this.closedShard = this.shardName(this.shardIndex);
    }
    this.finishClosedShard();
  }

  /** Renames the closed shard into place; until that succeeds its index is not reused, so nothing durable is overwritten. */
  private finishClosedShard(): void {
    const final = this.closedShard;
    if (final === undefined) return;
    this.fs.renameSync(`${final}.tmp`, final);
    this.fs.rmSync(`${final}.tmp.len`, { force: true });
    fsyncDir(this.dir, this.fs);
    this.closedShard = undefined;
    this.shardIndex += 1;
  }

  /** Writes what is queued and finishes the open shard. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.writing = this.writing.then(() => this.flush());
    await this.writing;
    this.rotate();
    this.closed = true;
  }

  shardFiles(): string[] {
    return shardFilesOf(this.dir, this.fs);
  }
}
