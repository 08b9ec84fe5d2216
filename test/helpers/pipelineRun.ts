// The e2e tests' pipeline runs: started on a shared broker (reading only what the run wrote), waited on
// until drained, and a service armed with a crash hook waited for and started again. Import it after
// setting WEBTRAIL_TOPIC_PREFIX: the topic names are read when the declarations load.
import type { Admin } from 'kafkajs';
import { expect } from 'vitest';
import { drained, startPipeline, topicEnds, type Pipeline, type PipelineOptions } from '../../scripts/pipeline.ts';
import { ensureTopics } from '../../bus/client.ts';
import type { ServiceName } from '../../platform/config.ts';
import { readTopic, testKafka, waitFor } from './kafka.ts';

/** Until every service has read its input to the end; a service that exits fails the wait at once. */
export async function waitDrained(admin: Admin, pipeline: Pipeline, timeoutMs: number, what: string): Promise<void> {
  await waitFor(
    async () => {
      for (const [name, service] of pipeline.services)
        if (service.child.exitCode !== null)
          throw new Error(`${name} exited with ${service.child.exitCode}; see ${pipeline.env.WEBTRAIL_HOME}/logs`);
      return (await drained(admin, pipeline)) || undefined;
    },
    timeoutMs,
    what,
  );
}

/** Waits for a service armed with WEBTRAIL_CRASH_*_COMMIT to SIGKILL itself; `then` runs before it is started again. */
export async function restartAfterCrashHook(
  pipeline: Pipeline,
  name: ServiceName,
  timeoutMs: number,
  then?: () => Promise<void>,
): Promise<void> {
  const service = pipeline.services.get(name)!;
  const exit = await Promise.race([
    service.exited.then((code) => ({ code, signal: service.child.signalCode })),
    new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error(`the ${name} did not reach its crash hook in ${timeoutMs / 1000} s`)),
        timeoutMs,
      ),
    ),
  ]);
  expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
  await then?.();
  await pipeline.start(name);
}

export interface TestRun {
  admin: Admin;
  pipeline: Pipeline;
  /** Each topic's end per partition before the run: what the run wrote is at or after it. */
  startEnds: Record<string, Map<number, bigint>>;
  /** The values the run wrote to a topic. */
  since<T>(topic: string): Promise<T[]>;
  stop(): Promise<void>;
}

/** A pipeline on a broker other runs share: topics ensured, their ends noted, the pipeline started. */
export async function startTestRun(options: PipelineOptions): Promise<TestRun> {
  const admin = testKafka().admin();
  await admin.connect();
  await ensureTopics(admin);
  const startEnds = await topicEnds(admin);
  const pipeline = await startPipeline(options);
  return {
    admin,
    pipeline,
    startEnds,
    async since<T>(topic: string) {
      const records = await readTopic(topic);
      return records
        .filter((r) => BigInt(r.offset) >= (startEnds[topic]?.get(r.partition) ?? 0n))
        .map((r) => r.value as T);
    },
    async stop() {
      await pipeline.stop();
      await admin.disconnect();
      delete process.env.WEBTRAIL_TOPIC_PREFIX;
    },
  };
}
