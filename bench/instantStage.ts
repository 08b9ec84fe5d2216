// A stage with an instant handler, wired exactly like the services (runStageMain): the bus benchmark
// chains four of these, sites → tasks → trajectories → verdicts → training examples.
import { type Site, type Task, TOPICS, type Trajectory, type Verdict } from '../schemas/index.ts';
import { runStageMain } from '../bus/index.ts';
import { toExample, toTask, toTrajectory, toVerdict } from './benchRecords.ts';

const hop = process.env.BENCH_HOP;
const common = { runtime: { httpPort: 0, commitIntervalMs: 100 } };

if (hop === 'generator') {
  await runStageMain({
    ...common,
    service: 'generator',
    input: { topic: TOPICS.sites.name, schema: 'Site' },
    setup: async () => ({
      handler: async (site: Site) => {
        const t = toTask(site);
        return [{ topic: TOPICS.tasks.name, key: t.taskId, schema: 'Task' as const, value: t }];
      },
    }),
  });
} else if (hop === 'rollout') {
  await runStageMain({
    ...common,
    service: 'rollout',
    input: { topic: TOPICS.tasks.name, schema: 'Task' },
    setup: async () => ({
      handler: async (task: Task) => {
        const t = toTrajectory(task);
        return [{ topic: TOPICS.trajectories.name, key: task.taskId, schema: 'Trajectory' as const, value: t }];
      },
    }),
  });
} else if (hop === 'judge') {
  await runStageMain({
    ...common,
    service: 'judge',
    input: { topic: TOPICS.trajectories.name, schema: 'Trajectory' },
    setup: async () => ({
      handler: async (t: Trajectory) => {
        const v = toVerdict(t);
        return [{ topic: TOPICS.verdicts.name, key: v.trajectoryId, schema: 'Verdict' as const, value: v }];
      },
    }),
  });
} else if (hop === 'sink') {
  await runStageMain({
    ...common,
    service: 'sink',
    input: { topic: TOPICS.verdicts.name, schema: 'Verdict' },
    setup: async () => ({
      handler: async (v: Verdict) => {
        const e = toExample(v);
        return [
          { topic: TOPICS.trainingExamples.name, key: e.exampleId, schema: 'TrainingExample' as const, value: e },
        ];
      },
    }),
  });
} else {
  console.error(`BENCH_HOP must be generator, rollout, judge or sink, not '${hop}'`);
  process.exit(2);
}
process.stdout.write('ready\n');
