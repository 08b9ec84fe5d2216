// How the records flow, from offsets alone: every couple of seconds the topics' end offsets and each
// stage's committed group offsets are sampled. Records out per second are the growth of a stage's output
// topics, records in per second the growth of its group's commits, lag the distance between its commits
// and its input's end. Sampling offsets reads no record and joins no group, so it disturbs nothing.
import type { Admin } from 'kafkajs';
import { groupPosition, recordCount } from '../bus/index.ts';
import { allTopics, STAGE_INPUTS, TOPICS, dlqTopic } from '../schemas/index.ts';
import { SERVICE_NAMES, type ServiceName } from '../platform/index.ts';

export const STAGE_OUTPUTS: Record<ServiceName, string[]> = {
  generator: [TOPICS.tasks.name, TOPICS.sitesRejected.name],
  rollout: [TOPICS.trajectories.name],
  judge: [TOPICS.verdicts.name],
  sink: [TOPICS.trainingExamples.name],
  // Follow-up tasks land on the generator's topic: the tasks topic's growth counts for both.
  refiner: [TOPICS.tasks.name],
};

export interface Sample {
  atMs: number;
  /** Records on each topic (end minus start offsets). */
  records: Map<string, number>;
  /** Per stage: records its group has committed on its input, and how far behind the end it is. */
  stages: Map<ServiceName, { handled: number; lag: number; committed: boolean }>;
}

export interface StageFlow {
  stage: ServiceName;
  groupId: string;
  input: string;
  outputs: string[];
  inPerSecond: number;
  outPerSecond: number;
  lag: number;
  /** Lag at each sample, oldest first (the trend). */
  lagTrend: number[];
  /** The group has committed nothing yet (not started, or on another cluster). */
  idle: boolean;
  deadLetters: number;
}

/** Reads one sample: end offsets of every topic, and each stage group's commits on its input. */
export async function sampleOffsets(admin: Admin, groups: Record<ServiceName, string>, nowMs: number): Promise<Sample> {
  const existing = new Set(await admin.listTopics());
  const records = new Map<string, number>();
  const ends = new Map<string, Array<{ partition: number; high: string; low: string }>>();
  for (const spec of allTopics()) {
    if (!existing.has(spec.name)) continue;
    const offsets = await admin.fetchTopicOffsets(spec.name);
    ends.set(spec.name, offsets);
    records.set(spec.name, recordCount(offsets));
  }
  const stages = new Map<ServiceName, { handled: number; lag: number; committed: boolean }>();
  for (const stage of SERVICE_NAMES) {
    const input = STAGE_INPUTS[stage];
    const inputEnds = ends.get(input);
    if (!inputEnds) continue;
    const [committed] = await admin.fetchOffsets({ groupId: groups[stage], topics: [input] });
    const partitions = committed?.partitions ?? [];
    stages.set(stage, {
      ...groupPosition(inputEnds, partitions),
      committed: partitions.some((p) => Number(p.offset) >= 0),
    });
  }
  return { atMs: nowMs, records, stages };
}

/** Keeps the recent samples and turns them into rates and trends. */
export class FlowHistory {
  private readonly samples: Sample[] = [];

  constructor(
    private readonly groups: Record<ServiceName, string>,
    /** How many samples are kept for the trend. */
    private readonly keep = 150,
    /** Rates are averaged over about this long. */
    private readonly rateWindowMs = 10_000,
  ) {}

  add(sample: Sample): void {
    this.samples.push(sample);
    if (this.samples.length > this.keep) this.samples.shift();
  }

  latest(): Sample | undefined {
    return this.samples.at(-1);
  }

  stages(): StageFlow[] {
    const now = this.samples.at(-1);
    // The newest sample at least the window older than now, else the oldest there is.
    const before =
      now && ([...this.samples].reverse().find((s) => now.atMs - s.atMs >= this.rateWindowMs) ?? this.samples[0]);
    const seconds = now && before && now !== before ? (now.atMs - before.atMs) / 1000 : 0;
    const perSecond = (a: number, b: number) => (seconds > 0 ? Math.max(0, (a - b) / seconds) : 0);
    return SERVICE_NAMES.map((stage) => {
      const current = now?.stages.get(stage);
      const earlier = before?.stages.get(stage);
      const outputs = STAGE_OUTPUTS[stage];
      const out = (s: Sample | undefined) => outputs.reduce((n, t) => n + (s?.records.get(t) ?? 0), 0);
      return {
        stage,
        groupId: this.groups[stage],
        input: STAGE_INPUTS[stage],
        outputs,
        inPerSecond: perSecond(current?.handled ?? 0, earlier?.handled ?? 0),
        outPerSecond: perSecond(out(now), out(before)),
        lag: current?.lag ?? 0,
        lagTrend: this.samples.map((s) => s.stages.get(stage)?.lag ?? 0),
        idle: !current?.committed,
        deadLetters: now?.records.get(dlqTopic(stage).name) ?? 0,
      };
    });
  }
}
