// npm run bench [-- --quick] [--corpus DIR] [--latency-ms N] [--levels 1,2,4,8,16] [--tasks-per-context N] [--rounds N] [--only bus,observation,rollout,blobs,dashboard,tokens]
// Puts everything the benchmark writes under its own topic prefix (deleted afterwards), so a pipeline
// running on the same broker is not disturbed, then runs the benchmark.
import { randomUUID } from 'node:crypto';

process.env.WEBTRAIL_TOPIC_PREFIX = `bench-${randomUUID().slice(0, 8)}.`;
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
await import('./runBench.ts');
