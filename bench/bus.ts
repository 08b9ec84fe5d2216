// Bus benchmarks, under the benchmark's own topic prefix: one-hop round trip, a no-op stage's
// throughput, the end-to-end latency of four instant stages, and the real sink's examples per second.
import type { ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import path from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { createCodec, RecordProducer } from '../bus/index.ts';
import { type Site, TOPICS } from '../schemas/index.ts';
import { toTask, toTrajectory, toVerdict } from './benchRecords.ts';
import { percentile, spawnTs, stageEntry } from '../platform/index.ts';

export interface BusFigures {
  round_trip_p50_ms: number;
  round_trip_p99_ms: number;
  noop_stage_records_per_s: number;
  p50_ms: number;
  p99_ms: number;
  records: number;
  sink_examples_per_s: number;
}

/** A service or stage as a child process; its log goes to a file (the benchmark's home is kept on failure). */
export function spawnService(
  script: string,
  env: Record<string, string>,
  logFile: string,
  args: string[] = [],
): ChildProcess {
  const log = openSync(logFile, 'a');
  // WEBTRAIL_BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", to profile the services.
  const extra = (process.env.WEBTRAIL_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  return spawnTs(script, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', log], nodeArgs: extra, args });
}

/**
 * Waits for a child's output to match `pattern` (a ready line), then lets the rest of its output drain;
 * rejects if the child exits first or stays silent past the time limit.
 */
export function waitForOutput(
  child: ChildProcess,
  pattern: RegExp,
  what: string,
  timeoutMs = 60_000,
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${timeoutMs / 1000} s`)), timeoutMs);
    const read = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = pattern.exec(seen);
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.off('data', read);
      child.stdout!.resume();
      resolve(match);
    };
    child.stdout!.on('data', read);
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code} before it started`)));
  });
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

async function topicCount(admin: Admin, topic: string): Promise<number> {
  return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
}

const site = (i: number, run: string): Site => ({
  domain: `b${i}-${run}.bench.example`,
  url: `https://b${i}-${run}.bench.example/`,
  submittedAtMs: Date.now(),
  source: 'bench',
  again: false,
});

/** produce → consume of one record at a time through one topic, as a stage sees it. */
async function roundTrip(kafka: Kafka, samples: number): Promise<number[]> {
  const codec = createCodec(process.env, kafka);
  // The id is registered once, before timing, as a service does at start-up.
  await codec.register(TOPICS.sites.name, 'Site');
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: `${TOPICS.sites.name}-roundtrip-${Date.now()}`, maxWaitTimeInMs: 100 });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic: TOPICS.sites.name, fromBeginning: false });
  const waiting = new Map<string, (at: number) => void>();
  await consumer.run({
    eachMessage: async ({ message }) => {
      const decoded = await codec.decodeAs('Site', message.headers, message.value);
      waiting.get(decoded.domain)?.(performance.now());
    },
  });
  await new Promise((r) => setTimeout(r, 4000)); // group join
  const out = new RecordProducer(producer, codec, { lingerMs: 0, maxBatchRecords: 1 });
  const times: number[] = [];
  for (let i = 0; i < samples; i += 1) {
    const s = site(i, `rt${Date.now()}`);
    const arrived = new Promise<number>((resolve) => waiting.set(s.domain, resolve));
    const sentAt = performance.now();
    await out.send([await out.encode({ topic: TOPICS.sites.name, key: s.domain, schema: 'Site', value: s })]);
    const at = await Promise.race([arrived, new Promise<number>((r) => setTimeout(() => r(Number.NaN), 5000))]);
    waiting.delete(s.domain);
    if (Number.isFinite(at) && i >= 5) times.push(at - sentAt);
  }
  await consumer.disconnect();
  await producer.disconnect();
  return times;
}

export async function benchBus(
  kafka: Kafka,
  admin: Admin,
  options: { quick: boolean; home: string; say: (line: string) => void },
): Promise<BusFigures> {
  const run = Date.now().toString(36);
  const codec = createCodec(process.env, kafka);
  const producer = kafka.producer();
  await producer.connect();
  const out = new RecordProducer(producer, codec, { lingerMs: 2, maxBatchRecords: 500 });
  const stages: ChildProcess[] = [];
  try {
    options.say('bus: produce → consume round trip');
    const rt = await roundTrip(kafka, options.quick ? 60 : 300);

    options.say('bus: no-op stage throughput');
    const generator = spawnService(
      'bench/instantStage.ts',
      { BENCH_HOP: 'generator', LOG_LEVEL: 'warn', WEBTRAIL_GENERATOR_CONCURRENCY: '256' },
      path.join(options.home, 'generator.log'),
    );
    stages.push(generator);
    await waitForOutput(generator, /^ready$/m, 'the generator stage');
    const burst = options.quick ? 5000 : 20_000;
    const tasksBefore = await topicCount(admin, TOPICS.tasks.name);
    const started = performance.now();
    const sends: Array<Promise<void>> = [];
    for (let i = 0; i < burst; i += 500) {
      sends.push(
        out.send(
          await Promise.all(
            Array.from({ length: Math.min(500, burst - i) }, (_, j) => site(i + j, `tp${run}`)).map((s) =>
              out.encode({ topic: TOPICS.sites.name, key: s.domain, schema: 'Site', value: s }),
            ),
          ),
        ),
      );
    }
    await Promise.all(sends);
    while ((await topicCount(admin, TOPICS.tasks.name)) - tasksBefore < burst)
      await new Promise((r) => setTimeout(r, 50));
    const noopPerS = burst / ((performance.now() - started) / 1000);

    options.say('bus: end-to-end latency through four instant stages');
    for (const hop of ['rollout', 'judge', 'sink']) {
      const stage = spawnService(
        'bench/instantStage.ts',
        { BENCH_HOP: hop, LOG_LEVEL: 'warn', [`WEBTRAIL_${hop.toUpperCase()}_CONCURRENCY`]: '256' },
        path.join(options.home, `${hop}.log`),
      );
      stages.push(stage);
      await waitForOutput(stage, /^ready$/m, `the ${hop} stage`);
    }
    const latencies: number[] = [];
    const consumer = kafka.consumer({ groupId: `${TOPICS.trainingExamples.name}-bench-${run}`, maxWaitTimeInMs: 50 });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPICS.trainingExamples.name, fromBeginning: false });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const example = await codec.decodeAs('TrainingExample', message.headers, message.value);
        if (example.domain.includes(`lat${run}`)) latencies.push(Date.now() - example.createdAtMs);
      },
    });
    await new Promise((r) => setTimeout(r, 4000));
    const records = options.quick ? 300 : 1500;
    const perSecond = 100;
    for (let i = 0; i < records; i += 1) {
      const s = site(i, `lat${run}`);
      void out.send([await out.encode({ topic: TOPICS.sites.name, key: s.domain, schema: 'Site', value: s })]);
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, (10 * 1000) / perSecond));
    }
    const deadline = Date.now() + 60_000;
    while (latencies.length < records && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await consumer.disconnect();
    for (const s of stages.splice(0)) await stopChild(s);

    options.say('bus: the sink writing examples');
    const stepsPerVerdict = 10;
    const verdicts = options.quick ? 300 : 2000;
    const sinkEnv = { LOG_LEVEL: 'warn', WEBTRAIL_HOME: options.home, WEBTRAIL_SINK_HTTP_PORT: '0' };
    const sink = spawnService(stageEntry('sink'), sinkEnv, path.join(options.home, 'sink.log'));
    stages.push(sink);
    const examplesBefore = await topicCount(admin, TOPICS.trainingExamples.name);
    // A first verdict, so the sink has joined its group before the clock starts.
    const verdictOf = (i: number, tag: string) => toVerdict(toTrajectory(toTask(site(i, tag)), stepsPerVerdict));
    const warm = verdictOf(0, `warm${run}`);
    await out.send([
      await out.encode({ topic: TOPICS.verdicts.name, key: warm.trajectoryId, schema: 'Verdict', value: warm }),
    ]);
    const warmDeadline = Date.now() + 60_000;
    while ((await topicCount(admin, TOPICS.trainingExamples.name)) - examplesBefore < stepsPerVerdict) {
      if (Date.now() > warmDeadline || sink.exitCode !== null)
        throw new Error('the sink did not start writing examples');
      await new Promise((r) => setTimeout(r, 100));
    }
    // The verdicts are built and encoded before the clock starts: the figure is the sink's, not the bench's
    // own CPU (on two cores, encoding 300 verdicts of ten pages beside the sink took a fifth of the window).
    const encoded = [];
    for (let i = 0; i < verdicts; i += 100)
      encoded.push(
        await Promise.all(
          Array.from({ length: Math.min(100, verdicts - i) }, (_, j) => verdictOf(i + j, `sink${run}`)).map((v) =>
            out.encode({ topic: TOPICS.verdicts.name, key: v.trajectoryId, schema: 'Verdict', value: v }),
          ),
        ),
      );
    const sinkStart = performance.now();
    const batch = encoded.map((records) => out.send(records));
    await Promise.all(batch);
    const target = stepsPerVerdict * (verdicts + 1);
    const sinkDeadline = Date.now() + 300_000;
    while (
      (await topicCount(admin, TOPICS.trainingExamples.name)) - examplesBefore < target &&
      Date.now() < sinkDeadline
    )
      await new Promise((r) => setTimeout(r, 50));
    const sinkPerS = (stepsPerVerdict * verdicts) / ((performance.now() - sinkStart) / 1000);

    return {
      round_trip_p50_ms: percentile(rt, 50),
      round_trip_p99_ms: percentile(rt, 99),
      noop_stage_records_per_s: Math.round(noopPerS),
      p50_ms: percentile(latencies, 50),
      p99_ms: percentile(latencies, 99),
      records: latencies.length,
      sink_examples_per_s: Math.round(sinkPerS),
    };
  } finally {
    for (const s of stages) await stopChild(s);
    await producer.disconnect();
  }
}
