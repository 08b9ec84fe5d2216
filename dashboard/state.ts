// What the dashboard knows, built from decoded records and nothing else: plain data in, plain data out.
// Big records are cut down as they arrive (a verdict to its scores, an example to its answer, a
// trajectory to a list row, the whole of it spilled to disk), redeliveries are folded by id, and records
// that cannot be decoded are counted per topic with the latest reason, never fatal.
import type { DeadLetter, TrainingExample, Trajectory, Verdict } from '../schemas/index.ts';
import type { TappedRecord } from '../bus/index.ts';
import { exampleRow, verdictRow } from './records.ts';
import type { RecordSpill, SpillLocation } from './recordSpill.ts';
import { StatsCollector, type Prices, type StatsReport } from './statsReport.ts';
import type { ExampleRow, VerdictRow } from './trajectoryPage.ts';

export interface RunEntry {
  runId: string;
  status: Trajectory['status'];
  statusReason: string | null;
  steps: number;
  startedAtMs: number;
  endedAtMs: number;
  traceId?: string;
  location: SpillLocation;
}

export interface TrajectoryEntry {
  trajectoryId: string;
  taskId: string;
  domain: string;
  instruction: string;
  agentVersion: string;
  /** In the order they were recorded; the first is the one shown unless another is asked for. */
  runs: RunEntry[];
}

export interface TrajectoryFilter {
  site?: string;
  status?: string;
  judge?: string;
  /** yes: judged a success (≥ 0.5) by the judge version asked for, or by the latest one; no; unjudged. */
  success?: 'yes' | 'no' | 'unjudged';
  minSteps?: number;
  maxSteps?: number;
}

export interface TrajectoryListRow {
  entry: TrajectoryEntry;
  run: RunEntry;
  /** The verdict the filter went by: the judge version asked for, else the latest. */
  verdict: VerdictRow | undefined;
}

export interface DeadLetterNote {
  service: string;
  topic: string;
  stage: string;
  error: string;
  failedAtMs: number;
}

export interface Undecodable {
  count: number;
  lastError: string;
  lastOffset: string;
  lastPartition: number;
}

/** Series drawn over time, counted per minute of the records' Kafka timestamps. */
export const SERIES = ['sites', 'rejected', 'tasks', 'trajectories', 'verdicts', 'examples'] as const;
export type Series = (typeof SERIES)[number];

const MINUTE_MS = 60_000;
const LATEST_DEAD_LETTERS = 5;
const RECENT_RUNS = 8;

const SERIES_OF_SCHEMA: Record<string, Series> = {
  Site: 'sites',
  SiteRejection: 'rejected',
  Task: 'tasks',
  Trajectory: 'trajectories',
  Verdict: 'verdicts',
  TrainingExample: 'examples',
};

export class DashboardState {
  private readonly stats = new StatsCollector();
  private readonly trajectories = new Map<string, TrajectoryEntry>();
  private readonly verdicts = new Map<string, Map<string, VerdictRow>>();
  private readonly examples = new Map<string, Map<string, ExampleRow>>();
  /** The last few runs read back from disk: a page's screenshot requests each need its steps. */
  private readonly recentRuns = new Map<SpillLocation, Trajectory>();
  private readonly deadLetterCounts = new Map<string, number>();
  private readonly latestDeadLetters: DeadLetterNote[] = [];
  private readonly undecodable = new Map<string, Undecodable>();
  private readonly perMinute = new Map<Series, Map<number, number>>(SERIES.map((s) => [s, new Map()]));
  private readonly recordsRead = new Map<string, number>();
  /** One copy of each string many rows repeat (judge versions, run ids, domains): decoding makes a new one each time. */
  private readonly strings = new Map<string, string>();
  /** Bumped on every change, so a live page knows when to render again. */
  version = 0;
  lastRecordAtMs = 0;

  constructor(private readonly spill: RecordSpill) {}

  add(record: TappedRecord): void {
    this.version += 1;
    this.recordsRead.set(record.topic, (this.recordsRead.get(record.topic) ?? 0) + 1);
    const atMs = Date.parse(record.timestamp);
    this.lastRecordAtMs = Math.max(this.lastRecordAtMs, atMs);
    if (record.error !== undefined || record.value === undefined) {
      const seen = this.undecodable.get(record.topic);
      this.undecodable.set(record.topic, {
        count: (seen?.count ?? 0) + 1,
        lastError: record.error ?? 'no value (a tombstone?)',
        lastOffset: record.offset,
        lastPartition: record.partition,
      });
      return;
    }
    const series = record.schema ? SERIES_OF_SCHEMA[record.schema] : undefined;
    if (series) {
      const minutes = this.perMinute.get(series)!;
      const minute = Math.floor(atMs / MINUTE_MS);
      minutes.set(minute, (minutes.get(minute) ?? 0) + 1);
    }
    this.stats.add(record.schema, record.value);
    switch (record.schema) {
      case 'Trajectory':
        this.addTrajectory(record.value as Trajectory, record.traceId);
        break;
      case 'Verdict': {
        const v = record.value as Verdict;
        this.addRow(this.verdicts, v.trajectoryId, v.verdictId, verdictRow(v));
        break;
      }
      case 'TrainingExample': {
        const x = record.value as TrainingExample;
        this.addRow(this.examples, x.trajectoryId, x.exampleId, exampleRow(x));
        break;
      }
      case 'DeadLetter': {
        const d = record.value as DeadLetter;
        this.deadLetterCounts.set(d.service, (this.deadLetterCounts.get(d.service) ?? 0) + 1);
        this.latestDeadLetters.unshift({
          service: d.service,
          topic: d.topic,
          stage: d.stage,
          error: d.error,
          failedAtMs: d.failedAtMs,
        });
        this.latestDeadLetters.sort((a, b) => b.failedAtMs - a.failedAtMs).splice(LATEST_DEAD_LETTERS);
        break;
      }
      default:
        break;
    }
  }

  /** A verdict's or an example's row under its trajectory, one per id (a redelivery replaces it). */
  private addRow<R extends { judgeVersion: string; runId: string }>(
    byTrajectory: Map<string, Map<string, R>>,
    trajectoryId: string,
    id: string,
    row: R,
  ): void {
    let rows = byTrajectory.get(trajectoryId);
    if (!rows) byTrajectory.set(trajectoryId, (rows = new Map()));
    rows.set(id, { ...row, judgeVersion: this.intern(row.judgeVersion), runId: this.intern(row.runId) });
  }

  private intern(text: string): string {
    const known = this.strings.get(text);
    if (known !== undefined) return known;
    this.strings.set(text, text);
    return text;
  }

  private addTrajectory(t: Trajectory, traceId: string | undefined): void {
    let entry = this.trajectories.get(t.trajectoryId);
    if (!entry) {
      entry = {
        trajectoryId: t.trajectoryId,
        taskId: t.task.taskId,
        domain: this.intern(t.task.domain),
        instruction: t.task.instruction,
        agentVersion: this.intern(t.agentVersion),
        runs: [],
      };
      this.trajectories.set(t.trajectoryId, entry);
    }
    // A redelivered record of the same run is the same run.
    if (entry.runs.some((r) => r.runId === t.runId)) return;
    // Prompts are what the examples are built from, not what a person looks at; they are most of the bytes.
    const shown: Trajectory = { ...t, steps: t.steps.map((s) => ({ ...s, prompt: null })) };
    entry.runs.push({
      runId: this.intern(t.runId),
      status: t.status,
      statusReason: t.statusReason,
      steps: t.steps.length,
      startedAtMs: t.startedAtMs,
      endedAtMs: t.endedAtMs,
      ...(traceId ? { traceId } : {}),
      location: this.spill.put(shown),
    });
  }

  get trajectoryCount(): number {
    return this.trajectories.size;
  }

  trajectory(trajectoryId: string): TrajectoryEntry | undefined {
    return this.trajectories.get(trajectoryId);
  }

  /** The whole recorded run, read back from disk. */
  run(run: RunEntry): Trajectory {
    let trajectory = this.recentRuns.get(run.location);
    if (!trajectory) {
      trajectory = this.spill.get<Trajectory>(run.location);
      this.recentRuns.set(run.location, trajectory);
      if (this.recentRuns.size > RECENT_RUNS) this.recentRuns.delete(this.recentRuns.keys().next().value!);
    }
    return trajectory;
  }

  verdictsOf(trajectoryId: string): VerdictRow[] {
    return [...(this.verdicts.get(trajectoryId)?.values() ?? [])].sort(
      (a, b) => a.judgeVersion.localeCompare(b.judgeVersion) || a.judgedAtMs - b.judgedAtMs,
    );
  }

  examplesOf(trajectoryId: string): ExampleRow[] {
    return [...(this.examples.get(trajectoryId)?.values() ?? [])];
  }

  judgeVersions(): string[] {
    const versions = new Set<string>();
    for (const rows of this.verdicts.values()) for (const v of rows.values()) versions.add(v.judgeVersion);
    return [...versions].sort();
  }

  /** Trajectories matching the filter, newest first. */
  listTrajectories(filter: TrajectoryFilter): TrajectoryListRow[] {
    const rows: TrajectoryListRow[] = [];
    const site = filter.site?.trim().toLowerCase();
    for (const entry of this.trajectories.values()) {
      const run = entry.runs[0]!;
      if (site && !entry.domain.toLowerCase().includes(site)) continue;
      if (filter.status && run.status !== filter.status) continue;
      if (filter.minSteps !== undefined && run.steps < filter.minSteps) continue;
      if (filter.maxSteps !== undefined && run.steps > filter.maxSteps) continue;
      const ofRun = [...(this.verdicts.get(entry.trajectoryId)?.values() ?? [])].filter(
        (v) => v.runId === run.runId || v.runId === '',
      );
      const judged = filter.judge ? ofRun.filter((v) => v.judgeVersion === filter.judge) : ofRun;
      if (filter.judge && judged.length === 0) continue;
      const verdict = judged.reduce<VerdictRow | undefined>(
        (latest, v) => (!latest || v.judgedAtMs > latest.judgedAtMs ? v : latest),
        undefined,
      );
      if (filter.success === 'unjudged' && verdict) continue;
      if (filter.success === 'yes' && !(verdict && verdict.success >= 0.5)) continue;
      if (filter.success === 'no' && !(verdict && verdict.success < 0.5)) continue;
      rows.push({ entry, run, verdict });
    }
    return rows.sort(
      (a, b) => b.run.endedAtMs - a.run.endedAtMs || a.entry.trajectoryId.localeCompare(b.entry.trajectoryId),
    );
  }

  report(topics: Array<{ topic: string; records: number }>, prices: Prices): StatsReport {
    return this.stats.report({ topics, prices });
  }

  /** Tasks on the topic that have no trajectory yet: waiting for a rollout or in one. */
  tasksWithoutTrajectory(): number {
    return this.stats.tasksWithoutTrajectory();
  }

  deadLetters(): { counts: Record<string, number>; latest: DeadLetterNote[] } {
    return { counts: Object.fromEntries(this.deadLetterCounts), latest: [...this.latestDeadLetters] };
  }

  undecodableRecords(): Array<{ topic: string } & Undecodable> {
    return [...this.undecodable].map(([topic, u]) => ({ topic, ...u })).sort((a, b) => a.topic.localeCompare(b.topic));
  }

  /** Records read per topic since the dashboard started reading. */
  read(): Map<string, number> {
    return new Map(this.recordsRead);
  }

  /**
   * Counts over time in at most `maxBars` buckets of whole minutes, from the first record's minute to
   * the last one's (or `nowMs`), per series.
   */
  overTime(nowMs: number, maxBars = 60): { bucketMinutes: number; startMs: number; series: Record<Series, number[]> } {
    let first = Infinity;
    for (const minutes of this.perMinute.values()) for (const m of minutes.keys()) first = Math.min(first, m);
    const last = Math.floor(nowMs / MINUTE_MS);
    if (!Number.isFinite(first)) first = last;
    const span = Math.max(1, last - first + 1);
    const bucketMinutes = Math.ceil(span / maxBars);
    const bars = Math.ceil(span / bucketMinutes);
    const series = {} as Record<Series, number[]>;
    for (const name of SERIES) {
      const counts = new Array<number>(bars).fill(0);
      for (const [minute, n] of this.perMinute.get(name)!) {
        const bar = Math.floor((minute - first) / bucketMinutes);
        if (bar >= 0 && bar < bars) counts[bar]! += n;
      }
      series[name] = counts;
    }
    return { bucketMinutes, startMs: first * MINUTE_MS, series };
  }
}
