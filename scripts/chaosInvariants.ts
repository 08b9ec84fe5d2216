// What a chaos run must still hold after its faults, checked on what the topics and the dataset hold.
// Plain data in, plain verdicts out (the chaos command gathers the data; a unit test feeds it by hand).
import type { DeadLetter, Site, SiteRejection, Task, TrainingExample, Trajectory, Verdict } from '../schemas/index.ts';

export interface ChaosData {
  sites: Site[];
  rejections: SiteRejection[];
  tasks: Task[];
  trajectories: Trajectory[];
  verdicts: Verdict[];
  deadLetters: DeadLetter[];
  /** Example ids on webtrail.training-examples (redelivery may repeat one). */
  topicExampleIds: string[];
  /** Examples read from the dataset's finished shards, every judge version's folder. */
  datasetExamples: Array<Pick<TrainingExample, 'exampleId' | 'trajectoryId' | 'runId' | 'judgeVersion'>>;
  /** Shards left unfinished (.tmp) after the clean shutdown. */
  openShards: string[];
  /** How long the pipeline took to drain after the last fault, or null when it did not within the bound. */
  drainedAfterMs: number | null;
  drainBoundMs: number;
  /** The refiner's WEBTRAIL_REFINER_MAX_TASKS_PER_SITE in the run. */
  maxTasksPerSite: number;
}

export interface Invariant {
  name: string;
  ok: boolean;
  detail: string;
}

const sample = (items: Iterable<string>, n = 5) => {
  const list = [...items];
  return list.length > n ? `${list.slice(0, n).join(', ')} … (${list.length})` : list.join(', ');
};

export function checkInvariants(data: ChaosData): Invariant[] {
  const judgeVersions = new Set(data.verdicts.map((v) => v.judgeVersion));
  const judged = new Set(data.verdicts.map((v) => v.trajectoryId));
  const trajectoriesOfTask = new Map<string, string[]>();
  for (const t of data.trajectories)
    trajectoriesOfTask.set(t.task.taskId, [...(trajectoriesOfTask.get(t.task.taskId) ?? []), t.trajectoryId]);
  const tasksOfDomain = new Map<string, Set<string>>();
  for (const t of data.tasks) tasksOfDomain.set(t.domain, (tasksOfDomain.get(t.domain) ?? new Set()).add(t.taskId));
  const rejected = new Set(data.rejections.map((r) => r.domain));

  // Every submitted site: rejected, or every one of its tasks carried to a verdict.
  const unaccounted: string[] = [];
  for (const domain of new Set(data.sites.map((s) => s.domain))) {
    if (rejected.has(domain)) continue;
    const tasks = tasksOfDomain.get(domain);
    if (!tasks || tasks.size === 0) {
      unaccounted.push(`${domain} (no tasks, not rejected)`);
      continue;
    }
    const open = [...tasks].filter((id) => !(trajectoriesOfTask.get(id) ?? []).some((t) => judged.has(t)));
    if (open.length) unaccounted.push(`${domain} (${open.length} of ${tasks.size} tasks not judged)`);
  }

  // Exactly one verdict per run and judge version (the same verdict redelivered is one verdict). A rollout
  // redelivered after producing its trajectory makes another run of it, judged on its own.
  const verdictIds = new Map<string, Set<string>>();
  for (const v of data.verdicts) {
    const key = `${v.trajectoryId}/${v.trajectory.runId} @ ${v.judgeVersion}`;
    verdictIds.set(key, (verdictIds.get(key) ?? new Set()).add(v.verdictId));
  }
  const trajectoryIds = new Set(data.trajectories.map((t) => t.trajectoryId));
  const runIds = new Set(data.trajectories.map((t) => `${t.trajectoryId}/${t.runId}`));
  const verdictProblems: string[] = [];
  for (const id of runIds) {
    for (const version of judgeVersions) {
      const n = verdictIds.get(`${id} @ ${version}`)?.size ?? 0;
      if (n !== 1) verdictProblems.push(`${id} has ${n} verdicts by ${version}`);
    }
  }
  if (judgeVersions.size === 0 && trajectoryIds.size > 0)
    verdictProblems.push(`${trajectoryIds.size} trajectories and no verdict`);

  // One run per trajectory in each dataset: another run's steps never join the first's.
  const runsInDataset = new Map<string, Set<string>>();
  for (const e of data.datasetExamples) {
    const key = `${e.trajectoryId} @ ${e.judgeVersion}`;
    runsInDataset.set(key, (runsInDataset.get(key) ?? new Set()).add(e.runId));
  }
  const mixed = [...runsInDataset]
    .filter(([, runs]) => runs.size > 1)
    .map(([key, runs]) => `${key}: ${runs.size} runs`);

  const inDataset = new Map<string, number>();
  for (const e of data.datasetExamples) inDataset.set(e.exampleId, (inDataset.get(e.exampleId) ?? 0) + 1);
  const missing = new Set(data.topicExampleIds.filter((id) => !inDataset.has(id)));
  const duplicated = [...inDataset].filter(([, n]) => n > 1).map(([id, n]) => `${id} ×${n}`);
  const deadLetteredVerdicts = new Set(
    data.deadLetters.filter((d) => d.service === 'sink' && d.key).map((d) => Buffer.from(d.key!).toString('utf8')),
  );
  const ofDeadLettered = data.datasetExamples
    .filter((e) => deadLetteredVerdicts.has(e.trajectoryId))
    .map((e) => e.exampleId);

  // The refinement loop never amplifies: each follow-up written once (a redelivered verdict, a killed
  // refiner, a second run of the parent make no second), and a site with follow-ups within the cap.
  const followUpRecords = new Map<string, number>();
  for (const t of data.tasks) if (t.lineage) followUpRecords.set(t.taskId, (followUpRecords.get(t.taskId) ?? 0) + 1);
  const twice = [...followUpRecords].filter(([, n]) => n > 1).map(([id, n]) => `${id} ×${n}`);
  const followedDomains = new Set(data.tasks.filter((t) => t.lineage).map((t) => t.domain));
  const overCap = [...followedDomains]
    .filter((d) => (tasksOfDomain.get(d)?.size ?? 0) > data.maxTasksPerSite)
    .map((d) => `${d}: ${tasksOfDomain.get(d)!.size} tasks`);

  return [
    {
      name: 'each follow-up task written once, no site over the cap',
      ok: twice.length === 0 && overCap.length === 0,
      detail:
        twice.length || overCap.length
          ? sample([...twice, ...overCap])
          : `${followUpRecords.size} follow-up task(s) on ${followedDomains.size} site(s), cap ${data.maxTasksPerSite}`,
    },
    {
      name: 'every submitted site accounted for (rejected, or all its tasks judged)',
      ok: unaccounted.length === 0,
      detail: unaccounted.length
        ? sample(unaccounted)
        : `${new Set(data.sites.map((s) => s.domain)).size} sites: ${rejected.size} rejected, ${tasksOfDomain.size} with ${data.tasks.length ? new Set(data.tasks.map((t) => t.taskId)).size : 0} tasks`,
    },
    {
      name: 'exactly one verdict per run and judge version',
      ok: verdictProblems.length === 0,
      detail: verdictProblems.length
        ? sample(verdictProblems)
        : `${trajectoryIds.size} trajectories (${runIds.size} runs) × ${judgeVersions.size} judge version(s)`,
    },
    {
      name: 'one run per trajectory in each dataset',
      ok: mixed.length === 0,
      detail: mixed.length ? sample(mixed) : `${runsInDataset.size} trajectory datasets, one run each`,
    },
    {
      name: 'every committed example in a finished shard',
      ok: missing.size === 0 && data.openShards.length === 0,
      detail:
        missing.size || data.openShards.length
          ? `${missing.size} example(s) on the topic not in a finished shard${missing.size ? ` (${sample(missing)})` : ''}; ${data.openShards.length} open shard(s)${data.openShards.length ? ` (${sample(data.openShards)})` : ''}`
          : `${new Set(data.topicExampleIds).size} examples, all in finished shards`,
    },
    {
      name: 'no duplicate example ids in the dataset',
      ok: duplicated.length === 0,
      detail: duplicated.length ? sample(duplicated) : `${inDataset.size} distinct examples`,
    },
    {
      name: 'no example of a dead-lettered verdict',
      ok: ofDeadLettered.length === 0,
      detail: ofDeadLettered.length
        ? sample(ofDeadLettered)
        : `${deadLetteredVerdicts.size} verdict(s) dead-lettered by the sink`,
    },
    {
      name: "drained (every group's committed lag 0) within the bound",
      ok: data.drainedAfterMs !== null,
      detail:
        data.drainedAfterMs === null
          ? `not drained within ${data.drainBoundMs / 1000} s of the last fault`
          : `${(data.drainedAfterMs / 1000).toFixed(1)} s after the last fault (bound ${data.drainBoundMs / 1000} s)`,
    },
  ];
}
