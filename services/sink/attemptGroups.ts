// Best-of-n in the sink. A task given n attempts (WEBTRAIL_ROLLOUT_ATTEMPTS) is n trajectories, judged
// apart; their verdicts are held, per judge version, until all n are in or the wait runs out, and then only
// the best judged attempt's examples go to the dataset and the topic, as InSTA's merge keeps one.
// The state is files in the datasets folder's .attempts/ (the sink owns the folder, under its lock; not in
// the dataset's own folder, which is uploaded as it is), written before the
// verdict's offset is committed: a crash loses no attempt and never decides a task twice.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { TrainingExample, Verdict } from '../../schemas/index.ts';
import { KeyedLimiter } from '../../platform/index.ts';
import { appendDurably, writeFileDurably } from '../../dataset/index.ts';

/** An attempt as the judge scored it. */
export interface AttemptScore {
  attempt: number;
  trajectoryId: string;
  runId: string;
  success: number;
  efficiency: number;
  selfCorrection: number;
}

/** A task's attempts so far: their scores, and the best one's examples. */
interface Group {
  taskId: string;
  judgeVersion: string;
  attempts: number;
  /** When the sink first saw one of its verdicts (wall clock): the wait for the rest runs from here. */
  firstAtMs: number;
  seen: AttemptScore[];
  best: { score: AttemptScore; examples: TrainingExample[] } | null;
}

/** A decided task: which attempt was kept, and what decided it. */
export interface Decision {
  taskId: string;
  /** The kept trajectory (its examples may still be none, when the filter refused it). */
  trajectoryId: string;
  attempt: number;
  /** The attempt whose verdict completed the group, or -1 when the wait ran out. */
  by: number;
  /** How many of the attempts were judged when it was decided. */
  judged: number;
  attempts: number;
  atMs: number;
}

/** What became of a verdict offered to the groups. */
export type Offer =
  | { kind: 'held'; judged: number; attempts: number }
  /** Every attempt is in: write these examples (the best's), then call decided(). */
  | { kind: 'complete'; decision: Decision; examples: TrainingExample[] }
  /** The deciding verdict again (a redelivery): its examples, written already, to send again. */
  | { kind: 'decided-again'; examples: TrainingExample[] }
  /** An attempt of a task decided already (late, or another run): nothing to write. */
  | { kind: 'late'; decision: Decision }
  /** This attempt is held already: the first run of it counts. */
  | { kind: 'repeat'; keptRunId: string };

/** Higher success first, then efficiency, then self-correction; a tie goes to the earlier attempt. */
export function betterAttempt(a: AttemptScore, b: AttemptScore): boolean {
  for (const key of ['success', 'efficiency', 'selfCorrection'] as const) if (a[key] !== b[key]) return a[key] > b[key];
  return a.attempt < b.attempt;
}

export function scoreOf(verdict: Verdict): AttemptScore {
  const t = verdict.trajectory;
  return {
    attempt: t.attempt,
    trajectoryId: t.trajectoryId,
    runId: t.runId,
    success: verdict.success,
    efficiency: verdict.efficiency,
    selfCorrection: verdict.selfCorrection,
  };
}

const fileName = (taskId: string) => `${createHash('sha256').update(taskId).digest('hex').slice(0, 32)}.json`;

export interface AttemptGroupOptions {
  /** How long a task's attempts are waited for, from the first verdict, before the best of those in is kept. */
  waitMs: number;
  /** How long a decided task's kept examples stay on disk to be sent again when its deciding verdict is redelivered. */
  keepDecidedMs?: number;
  now?: () => number;
}

/** The judge versions with attempts held in a datasets folder's .attempts/ (a restarted sink settles them). */
export function heldJudgeVersions(attemptsRoot: string): string[] {
  if (!existsSync(attemptsRoot)) return [];
  const versions = new Set<string>();
  for (const dir of readdirSync(attemptsRoot, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    const pending = path.join(attemptsRoot, dir.name, 'pending');
    const first = existsSync(pending) ? readdirSync(pending).find((f) => f.endsWith('.json')) : undefined;
    if (first) versions.add((JSON.parse(readFileSync(path.join(pending, first), 'utf8')) as Group).judgeVersion);
  }
  return [...versions];
}

/** The held attempts of one dataset (one judge version), in stateDir. */
export class AttemptGroups {
  private readonly pendingDir: string;
  private readonly recentDir: string;
  private readonly decisionsFile: string;
  private readonly pending = new Map<string, Group>();
  private readonly decisions = new Map<string, Decision>();
  private readonly oneAtATime = new KeyedLimiter(1);
  private readonly now: () => number;

  constructor(
    stateDir: string,
    private readonly options: AttemptGroupOptions,
  ) {
    const root = stateDir;
    this.pendingDir = path.join(root, 'pending');
    this.recentDir = path.join(root, 'decided');
    this.decisionsFile = path.join(root, 'decisions.jsonl');
    this.now = options.now ?? Date.now;
    mkdirSync(this.pendingDir, { recursive: true });
    mkdirSync(this.recentDir, { recursive: true });
    if (existsSync(this.decisionsFile)) {
      for (const line of readFileSync(this.decisionsFile, 'utf8').split('\n')) {
        // A line cut by a crash was never acknowledged: its group is still pending and decides again.
        if (!line) continue;
        try {
          const decision = JSON.parse(line) as Decision;
          this.decisions.set(decision.taskId, decision);
        } catch {
          // the torn last line
        }
      }
    }
    for (const file of readdirSync(this.pendingDir).filter((f) => f.endsWith('.json'))) {
      const group = JSON.parse(readFileSync(path.join(this.pendingDir, file), 'utf8')) as Group;
      if (!this.decisions.has(group.taskId)) this.pending.set(group.taskId, group);
      else rmSync(path.join(this.pendingDir, file), { force: true });
    }
  }

  /** Runs fn with no other verdict of the task in progress (the stage handles several verdicts at once). */
  exclusive<T>(taskId: string, fn: () => Promise<T>): Promise<T> {
    return this.oneAtATime.run(taskId, fn);
  }

  /** Tasks with attempts still awaited. */
  get waiting(): number {
    return this.pending.size;
  }

  /**
   * A judged attempt. examples() makes its examples; it is called only when the attempt is the best so far.
   * Call inside exclusive(taskId).
   */
  async offer(verdict: Verdict, examples: () => Promise<TrainingExample[]>): Promise<Offer> {
    const t = verdict.trajectory;
    const taskId = t.task.taskId;
    const score = scoreOf(verdict);
    const decision = this.decisions.get(taskId);
    if (decision) {
      if (decision.by === score.attempt && decision.trajectoryId !== '') {
        const kept = this.readRecent(taskId);
        if (kept) return { kind: 'decided-again', examples: kept };
      }
      return { kind: 'late', decision };
    }
    let group = this.pending.get(taskId);
    if (!group) {
      group = {
        taskId,
        judgeVersion: verdict.judgeVersion,
        attempts: t.attempts,
        firstAtMs: this.now(),
        seen: [],
        best: null,
      };
    }
    const held = group.seen.find((s) => s.attempt === score.attempt);
    if (held && held.runId !== score.runId) return { kind: 'repeat', keptRunId: held.runId };
    if (!held) {
      group.seen.push(score);
      if (!group.best || betterAttempt(score, group.best.score)) group.best = { score, examples: await examples() };
      // Held before the offset is committed: a restarted sink finds the attempt here.
      writeFileDurably(path.join(this.pendingDir, fileName(taskId)), JSON.stringify(group));
      this.pending.set(taskId, group);
    }
    if (group.seen.length < group.attempts)
      return { kind: 'held', judged: group.seen.length, attempts: group.attempts };
    return { kind: 'complete', decision: this.decisionOf(group, score.attempt), examples: group.best!.examples };
  }

  private decisionOf(group: Group, by: number): Decision {
    const best = group.best!.score;
    return {
      taskId: group.taskId,
      trajectoryId: best.trajectoryId,
      attempt: best.attempt,
      by,
      judged: group.seen.length,
      attempts: group.attempts,
      atMs: this.now(),
    };
  }

  /** Records a decision once its examples are durable in the dataset. */
  decided(decision: Decision): void {
    const group = this.pending.get(decision.taskId);
    const file = fileName(decision.taskId);
    // Kept a while, so a redelivered deciding verdict (a crash before its commit) sends the examples again.
    if (group) writeFileDurably(path.join(this.recentDir, file), JSON.stringify({ ...group, decision }));
    appendDurably(this.decisionsFile, `${JSON.stringify(decision)}\n`);
    this.decisions.set(decision.taskId, decision);
    this.pending.delete(decision.taskId);
    rmSync(path.join(this.pendingDir, file), { force: true });
  }

  private readRecent(taskId: string): TrainingExample[] | null {
    const file = path.join(this.recentDir, fileName(taskId));
    if (!existsSync(file)) return null;
    return (JSON.parse(readFileSync(file, 'utf8')) as Group).best?.examples ?? null;
  }

  /** The tasks whose wait has run out, with at least one attempt in. */
  overdueTasks(): string[] {
    return [...this.pending.values()].filter((g) => this.isOverdue(g)).map((g) => g.taskId);
  }

  /** An overdue task's decision with the best attempt's examples (write them, then call decided()), or null if no longer overdue. */
  settle(taskId: string): { decision: Decision; examples: TrainingExample[] } | null {
    const group = this.pending.get(taskId);
    if (!group || !this.isOverdue(group)) return null;
    return { decision: this.decisionOf(group, -1), examples: group.best!.examples };
  }

  private isOverdue(group: Group): boolean {
    return group.best !== null && this.now() - group.firstAtMs >= this.options.waitMs;
  }

  /** Forgets decided tasks' kept examples once they are older than keepDecidedMs (their decision stays). */
  prune(): void {
    const keep = this.options.keepDecidedMs ?? 3_600_000;
    const now = this.now();
    for (const file of readdirSync(this.recentDir)) {
      const full = path.join(this.recentDir, file);
      if (now - statSync(full).mtimeMs >= keep) rmSync(full, { force: true });
    }
  }
}
