// The stage runtime against the real broker: crash recovery, long handlers, dead letters, draining.
import { Kafka as KafkaJS, logLevel, type Consumer, type Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { dlqTopic } from '../schemas/topics.ts';
import type { DeadLetter, Site } from '../schemas/types.ts';
import { loadRuntimeConfig } from '../platform/config.ts';
import { DependencyError, WebtrailError } from '../platform/errors.ts';
import { RecordProducer } from '../bus/recordProducer.ts';
import { silentLogger } from '../platform/logger.ts';
import { createStageMetrics } from '../platform/metrics.ts';
import { sleep } from '../platform/retry.ts';
import { StageRunner, type StageHandler } from '../bus/stageRunner.ts';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import avro from 'avsc';
import { AvroCodec } from '../schemas/codec.ts';
import { readSchemaJson } from '../schemas/schemaFiles.ts';
import { createCodec, loadRegistryConfig, RestSchemaRegistry } from '../bus/registry/registryClient.ts';
import {
  committedOffsets,
  createTopic,
  produce,
  readTopic,
  testCodec,
  testKafka,
  uniqueName,
  waitFor,
} from './helpers/kafka.ts';
import { ChildRunner } from './helpers/processes.ts';
import { site } from './helpers/samples.ts';

const kafka = testKafka();

function sites(prefix: string, n: number): Site[] {
  return Array.from({ length: n }, (_, i) => site(`${prefix}-${i}.example.com`));
}

async function produceSites(topic: string, list: Site[]): Promise<void> {
  await produce(
    kafka,
    list.map((s) => ({ topic, key: s.domain, schema: 'Site' as const, value: s })),
  );
}

/** After a pause: every input message reached the output, the stage is ready again, and nothing was dead-lettered. */
async function expectEveryMessageHandledOnce(
  { input, output, list, runner }: { input: string; output: string; list: Site[]; runner: { ready: boolean } },
  what: string,
): Promise<void> {
  const handled = await waitFor(
    async () => {
      const out = await readTopic(output);
      return out.length >= list.length ? out.map((r) => r.key) : undefined;
    },
    60_000,
    what,
  );
  expect(handled.sort()).toEqual(list.map((s) => s.domain).sort());
  expect(runner.ready).toBe(true);
  const letters = (await readTopic(dlqTopic('judge').name)).filter((r) => (r.value as DeadLetter).topic === input);
  expect(letters).toEqual([]);
}

async function startRunner(
  topic: string,
  groupId: string,
  handler: StageHandler<Site>,
  overrides: Record<string, string> = {},
) {
  const producer = kafka.producer();
  await producer.connect();
  const codec = testCodec(kafka);
  const config = {
    ...loadRuntimeConfig('judge', {
      WEBTRAIL_JUDGE_SESSION_TIMEOUT_MS: '6000',
      WEBTRAIL_JUDGE_HEARTBEAT_INTERVAL_MS: '1000',
      WEBTRAIL_JUDGE_RETRY_BACKOFF_MS: '50',
      ...overrides,
    }),
    groupId,
    commitIntervalMs: 100,
  };
  const runner = new StageRunner({
    config,
    kafka,
    codec,
    producer: new RecordProducer(producer, codec),
    input: { topic, schema: 'Site' },
    handler,
    log: silentLogger,
    metrics: createStageMetrics('test', false),
  });
  await runner.start();
  return { runner, stop: async () => (await runner.stop(), await producer.disconnect()) };
}

/** An input topic holding `count` sites, an empty output topic and a fresh group name. */
async function scenario(
  name: string,
  inputPartitions: number,
  count: number,
): Promise<{ input: string; output: string; groupId: string; list: Site[] }> {
  const input = uniqueName(`test.${name}.in`);
  const output = uniqueName(`test.${name}.out`);
  await createTopic(kafka, input, inputPartitions);
  await createTopic(kafka, output, 1);
  const list = sites(name, count);
  await produceSites(input, list);
  return { input, output, groupId: uniqueName(`test-${name}`), list };
}

/** The test's Kafka client, whose consumers are altered by `patch` (to misbehave as kafkajs does at times). */
function withConsumer(patch: (consumer: Consumer) => void): Kafka {
  const altered = Object.create(kafka) as Kafka;
  altered.consumer = (config) => {
    const consumer = kafka.consumer(config);
    patch(consumer);
    return consumer;
  };
  return altered;
}

/** How many handlers run at once, in all and per key, at most. */
class Overlap {
  private readonly running = new Map<string, number>();
  private together = 0;
  mostTogether = 0;
  mostPerKey = 0;

  enter(key: string): void {
    this.running.set(key, (this.running.get(key) ?? 0) + 1);
    this.together += 1;
    this.mostPerKey = Math.max(this.mostPerKey, this.running.get(key)!);
    this.mostTogether = Math.max(this.mostTogether, this.together);
  }

  leave(key: string): void {
    this.running.set(key, this.running.get(key)! - 1);
    this.together -= 1;
  }
}

/** Waits until the group's committed offsets of the topic add up to `count` (every message committed). */
async function waitCommitted(groupId: string, topic: string, count: number): Promise<void> {
  await waitFor(
    async () =>
      [...(await committedOffsets(kafka, groupId, topic)).values()].reduce((a, b) => a + b, 0) === count
        ? true
        : undefined,
    30_000,
    'every offset committed',
  );
}

function echoTo(output: string): StageHandler<Site> {
  return async (s) => [{ topic: output, key: s.domain, schema: 'Site', value: s }];
}

describe('stage runtime', () => {
  it("with oneAtATimePerKey, handles a key's messages one at a time in order, other keys beside them; afterOthers records go last", async () => {
    const { input, output } = await scenario('keyed', 1, 0);
    const keys = ['a', 'b', 'a', 'c', 'a', 'b'];
    await produce(
      kafka,
      keys.map((key, i) => ({ topic: input, key, schema: 'Site' as const, value: site(`${key}-${i}.example.com`) })),
    );
    const events: string[] = [];
    const overlap = new Overlap();
    // Sees each send the runtime makes: which message's records, and whether they are the "last" ones.
    class Recording extends RecordProducer {
      override send(records: Parameters<RecordProducer['send']>[0]): Promise<void> {
        for (const r of records) events.push(`sent ${r.topic === output ? 'output' : 'marker'} ${String(r.key)}`);
        return super.send(records);
      }
    }
    const producer = kafka.producer();
    await producer.connect();
    const codec = testCodec(kafka);
    const config = {
      ...loadRuntimeConfig('judge', { WEBTRAIL_JUDGE_CONCURRENCY: '4' }),
      groupId: uniqueName('test-keyed'),
      commitIntervalMs: 100,
    };
    const runner = new StageRunner({
      config,
      kafka,
      codec,
      producer: new Recording(producer, codec),
      input: { topic: input, schema: 'Site' },
      log: silentLogger,
      metrics: createStageMetrics('test', false),
      oneAtATimePerKey: true,
      handler: async (s, ctx) => {
        const key = ctx.key!;
        events.push(`start ${s.domain}`);
        overlap.enter(key);
        await sleep(150);
        overlap.leave(key);
        ctx.afterSent(() => events.push(`after ${s.domain}`));
        return [
          { topic: output, key: s.domain, schema: 'Site', value: s },
          { topic: output.replace('.out', '.marker'), key: s.domain, schema: 'Site', value: s, afterOthers: true },
        ];
      },
    });
    await createTopic(kafka, output.replace('.out', '.marker'), 1);
    await runner.start();
    try {
      await waitFor(
        () => (events.filter((e) => e.startsWith('after')).length === keys.length ? true : undefined),
        30_000,
        'every message handled',
      );
      expect(overlap.mostPerKey).toBe(1);
      expect(overlap.mostTogether).toBeGreaterThan(1);
      // Key a's messages started in offset order, each after the previous one's records were sent.
      const a = ['a-0', 'a-2', 'a-4'].map((d) => `${d}.example.com`);
      expect(events.filter((e) => a.some((d) => e === `start ${d}`))).toEqual(a.map((d) => `start ${d}`));
      expect(events.indexOf(`start ${a[1]}`)).toBeGreaterThan(events.indexOf(`after ${a[0]}`));
      for (const domain of keys.map((k, i) => `${k}-${i}.example.com`)) {
        const at = (e: string) => events.indexOf(`${e} ${domain}`);
        expect(at('sent output')).toBeGreaterThan(at('start'));
        expect(at('sent marker')).toBeGreaterThan(at('sent output'));
        expect(at('after')).toBeGreaterThan(at('sent marker'));
      }
    } finally {
      await runner.stop();
      await producer.disconnect();
    }
  }, 60_000);

  it('with maxInFlightPerKey, keeps a key under its limit by holding its partition, while other keys take the slots', async () => {
    const { input, output } = await scenario('perkey', 1, 0);
    const keys = ['a', 'b', 'a', 'b', 'a', 'c'];
    await produce(
      kafka,
      keys.map((key, i) => ({ topic: input, key, schema: 'Site' as const, value: site(`${key}-${i}.example.com`) })),
    );
    const overlap = new Overlap();
    const handled: string[] = [];
    const producer = kafka.producer();
    await producer.connect();
    const codec = testCodec(kafka);
    const config = {
      ...loadRuntimeConfig('rollout', { WEBTRAIL_ROLLOUT_CONCURRENCY: '4' }),
      groupId: uniqueName('test-perkey'),
      commitIntervalMs: 100,
    };
    const runner = new StageRunner({
      config,
      kafka,
      codec,
      producer: new RecordProducer(producer, codec),
      input: { topic: input, schema: 'Site' },
      log: silentLogger,
      metrics: createStageMetrics('test', false),
      maxInFlightPerKey: 1,
      handler: async (s, ctx) => {
        overlap.enter(ctx.key!);
        await sleep(150);
        overlap.leave(ctx.key!);
        handled.push(s.domain);
        return [{ topic: output, key: s.domain, schema: 'Site', value: s }];
      },
    });
    await runner.start();
    try {
      await waitFor(() => (handled.length === keys.length ? true : undefined), 30_000, 'every message handled');
      // Four slots, but never two of one key at once; a and b (the first two) ran side by side.
      expect(overlap.mostPerKey).toBe(1);
      expect(overlap.mostTogether).toBe(2);
      await waitCommitted(config.groupId, input, keys.length);
    } finally {
      await runner.stop();
      await producer.disconnect();
    }
  }, 60_000);

  it('holds at most its slots in flight, pausing partitions meanwhile, and handles every message once', async () => {
    const { input, output, list } = await scenario('slots', 2, 40);
    let inFlight = 0;
    let most = 0;
    const handled: string[] = [];
    const metrics = createStageMetrics('test', false);
    let pausedSeen = 0;
    const producer = kafka.producer();
    await producer.connect();
    const codec = testCodec(kafka);
    const config = {
      ...loadRuntimeConfig('judge', { WEBTRAIL_JUDGE_CONCURRENCY: '3' }),
      groupId: uniqueName('test-slots'),
      commitIntervalMs: 100,
    };
    const runner = new StageRunner({
      config,
      kafka,
      codec,
      producer: new RecordProducer(producer, codec),
      input: { topic: input, schema: 'Site' },
      log: silentLogger,
      metrics,
      handler: async (s) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        pausedSeen = Math.max(pausedSeen, (await metrics.pausedPartitions.get()).values[0]?.value ?? 0);
        await sleep(40);
        inFlight -= 1;
        handled.push(s.domain);
        return [{ topic: output, key: s.domain, schema: 'Site', value: s }];
      },
    });
    await runner.start();
    try {
      await waitFor(() => (handled.length >= list.length ? true : undefined), 60_000, 'every message to be handled');
      expect(most).toBe(3);
      expect(pausedSeen).toBeGreaterThan(0);
      expect([...handled].sort()).toEqual(list.map((s) => s.domain).sort());
      await waitCommitted(config.groupId, input, list.length);
    } finally {
      await runner.stop();
      await producer.disconnect();
    }
  }, 90_000);

  it('loses nothing when the consumer is killed with SIGKILL mid-batch and restarted', async () => {
    const { input, output, groupId, list } = await scenario('crash', 3, 60);
    const env = {
      INPUT_TOPIC: input,
      OUTPUT_TOPIC: output,
      GROUP_ID: groupId,
      HANDLER_DELAY_MS: '150',
      WEBTRAIL_SINK_CONCURRENCY: '4',
      WEBTRAIL_SINK_SESSION_TIMEOUT_MS: '6000',
      WEBTRAIL_SINK_HEARTBEAT_INTERVAL_MS: '1000',
    };

    const first = new ChildRunner('test/fixtures/echoStage.ts', env);
    await waitFor(
      () => (first.count('done') >= 8 ? true : undefined),
      60_000,
      'the first consumer to handle some messages',
    );
    first.child.kill('SIGKILL');
    const killed = await first.exited;
    expect(killed.signal).toBe('SIGKILL');
    const handledBeforeKill = new Set(first.keys('done'));
    expect(handledBeforeKill.size).toBeLessThan(list.length);

    const second = new ChildRunner('test/fixtures/echoStage.ts', { ...env, HANDLER_DELAY_MS: '10' });
    try {
      const expected = new Set(list.map((s) => s.domain));
      const seen = await waitFor(
        async () => {
          const keys = new Set((await readTopic(output)).map((r) => r.key!));
          return [...expected].every((k) => keys.has(k)) ? keys : undefined;
        },
        90_000,
        'every input to reach the output topic',
      );
      expect([...seen].sort()).toEqual([...expected].sort());
      await waitFor(
        async () => {
          const offsets = await committedOffsets(kafka, groupId, input);
          return [...offsets.values()].reduce((a, b) => a + b, 0) === list.length ? true : undefined;
        },
        30_000,
        'the group to commit every offset',
      );
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  }, 180_000);

  it('commits again what the broker did not record (a commit returning while the consumer restarts), and counts lag from the broker', async () => {
    const { input, output, groupId, list } = await scenario('unrecorded', 2, 10);
    // What kafkajs does while its consumer restarts after a broker outage: commitOffsets resolves and
    // records nothing. Here for the first 2 s of the run.
    const until = Date.now() + 2000;
    let dropped = 0;
    const faulty = withConsumer((consumer) => {
      const commit = consumer.commitOffsets.bind(consumer);
      consumer.commitOffsets = async (offsets) => {
        if (Date.now() < until) return void (dropped += 1);
        return commit(offsets);
      };
    });
    const producer = kafka.producer();
    await producer.connect();
    const codec = testCodec(kafka);
    const metrics = createStageMetrics('test', false);
    const handled: string[] = [];
    const runner = new StageRunner({
      config: { ...loadRuntimeConfig('judge', {}), groupId, commitIntervalMs: 100 },
      kafka: faulty,
      codec,
      producer: new RecordProducer(producer, codec),
      input: { topic: input, schema: 'Site' },
      log: silentLogger,
      metrics,
      handler: async (s) => (handled.push(s.domain), [{ topic: output, key: s.domain, schema: 'Site', value: s }]),
    });
    await runner.start();
    try {
      await waitFor(
        () => (handled.length === list.length && dropped > 0 ? true : undefined),
        30_000,
        'every message handled and a commit dropped',
      );
      const total = async () =>
        [...(await committedOffsets(kafka, groupId, input)).values()].reduce((a, b) => a + Math.max(0, b), 0);
      if (Date.now() < until - 300) {
        expect(await total()).toBe(0);
        // Nothing is committed yet, so the lag the runtime reports is not zero.
        const lag = (await metrics.lag.get()).values.reduce((a, v) => a + v.value, 0);
        expect(lag).toBeGreaterThan(0);
      }
      await waitFor(
        async () => ((await total()) === list.length ? true : undefined),
        20_000,
        'every offset committed once the broker records commits again',
      );
      await waitFor(
        async () => ((await metrics.lag.get()).values.every((v) => v.value === 0) ? true : undefined),
        5_000,
        'the lag metric to reach 0',
      );
    } finally {
      await runner.stop();
      await producer.disconnect();
    }
  }, 60_000);

  it('rides out a consumer that cannot resume partitions for a while (kafkajs restarting it), handling every message', async () => {
    const { input, output, groupId, list } = await scenario('resume', 1, 12);
    // While kafkajs restarts its consumer after a broker outage, resume() throws; here the first two times.
    let refused = 0;
    const faulty = withConsumer((consumer) => {
      const resume = consumer.resume.bind(consumer);
      consumer.resume = (topics) => {
        if (refused < 2) {
          refused += 1;
          throw new Error('Consumer group was not initialized, consumer#run must be called first');
        }
        return resume(topics);
      };
    });
    const producer = kafka.producer();
    await producer.connect();
    const codec = testCodec(kafka);
    const handled: string[] = [];
    const crashes: unknown[] = [];
    const onCrash = (error: unknown) => crashes.push(error);
    process.on('uncaughtException', onCrash);
    process.on('unhandledRejection', onCrash);
    // One slot: the rest of each fetch waits in the backlog, its partition paused, and is resumed as it drains.
    const runner = new StageRunner({
      config: { ...loadRuntimeConfig('judge', { WEBTRAIL_JUDGE_CONCURRENCY: '1' }), groupId, commitIntervalMs: 100 },
      kafka: faulty,
      codec,
      producer: new RecordProducer(producer, codec),
      input: { topic: input, schema: 'Site' },
      log: silentLogger,
      metrics: createStageMetrics('test', false),
      handler: async (s) => (
        await sleep(150),
        handled.push(s.domain),
        [{ topic: output, key: s.domain, schema: 'Site', value: s }]
      ),
    });
    await runner.start();
    try {
      await waitFor(() => (handled.length === list.length ? true : undefined), 30_000, 'every message handled');
      expect(refused).toBeGreaterThan(0);
      expect(crashes).toEqual([]);
      await produceSites(input, sites('resume-late', 3));
      await waitFor(
        () => (handled.length === list.length + 3 ? true : undefined),
        20_000,
        'messages produced later handled too (the partition was resumed)',
      );
    } finally {
      process.off('uncaughtException', onCrash);
      process.off('unhandledRejection', onCrash);
      await runner.stop();
      await producer.disconnect();
    }
  }, 60_000);

  it('keeps a handler that outlives the session timeout to itself: no second consumer gets its message', async () => {
    const topic = uniqueName('test.long.in');
    const output = uniqueName('test.long.out');
    const groupId = uniqueName('test-long');
    await createTopic(kafka, topic, 1);
    await createTopic(kafka, output, 1);
    const calls: string[] = [];
    const handler =
      (name: string): StageHandler<Site> =>
      async (s, ctx) => {
        calls.push(`${name}:${s.domain}`);
        if (s.domain.startsWith('slow')) await sleep(10_000, ctx.signal); // session timeout is 6 s
        return echoTo(output)(s, ctx);
      };
    const a = await startRunner(topic, groupId, handler('a'));
    const b = await startRunner(topic, groupId, handler('b'));
    try {
      await waitFor(() => (a.runner.ready && b.runner.ready ? true : undefined), 30_000, 'both consumers to join');
      await sleep(2000); // let the join of the second member settle
      await produceSites(topic, [site('slow.example.com')]);
      await waitFor(
        async () => ((await readTopic(output)).length >= 1 ? true : undefined),
        40_000,
        'the slow message to be handled',
      );
      await produceSites(topic, [site('after.example.com')]);
      await waitFor(async () => ((await readTopic(output)).length >= 2 ? true : undefined), 30_000, 'the next message');
      expect(calls.filter((c) => c.endsWith('slow.example.com'))).toHaveLength(1);
      expect(calls.filter((c) => c.endsWith('after.example.com'))).toHaveLength(1);
      expect(calls[0]!.split(':')[0]).toBe(calls[1]!.split(':')[0]); // the same member still owns the partition
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  }, 120_000);

  it('waits out a schema registry that does not answer: nothing dead-lettered, every record handled once it is back', async () => {
    // The test run's registry behind a door this test opens and shuts (connections cut, port refused).
    const target = new URL(loadRegistryConfig().url);
    const sockets = new Set<Socket>();
    const door = (port: number) =>
      new Promise<Server>((resolve, reject) => {
        const server = createServer((client) => {
          const upstream = connect(Number(target.port), target.hostname);
          for (const s of [client, upstream]) {
            sockets.add(s);
            s.on('close', () => sockets.delete(s)).on('error', () => (client.destroy(), upstream.destroy()));
          }
          client.pipe(upstream).pipe(client);
        });
        server.once('error', reject).listen(port, '127.0.0.1', () => resolve(server));
      });
    const shut = (server: Server) =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    let open = await door(0);
    const port = (open.address() as AddressInfo).port;
    const env = { SCHEMA_REGISTRY_URL: `http://127.0.0.1:${port}` };
    const topic = uniqueName('test.away.in');
    const output = uniqueName('test.away.out');
    await createTopic(kafka, topic, 1);
    await createTopic(kafka, output, 1);
    // Written by a newer release (Site with one more field): an id the stage has not met.
    const list = sites('away', 5);
    const schema = readSchemaJson('Site') as { fields: unknown[] };
    const newer = avro.Type.forSchema({
      ...schema,
      fields: [...schema.fields, { name: 'priority', type: 'int', default: 0 }],
    } as avro.Schema);
    const newerCodec = new AvroCodec({
      registry: new RestSchemaRegistry(loadRegistryConfig()),
      types: new Map([['Site', newer]]) as never,
    });
    const writer = kafka.producer();
    await writer.connect();
    await writer.send({
      topic,
      messages: await Promise.all(
        list.map(async (s) => ({
          key: s.domain,
          value: (await newerCodec.encode(topic, 'Site', { ...s, priority: 3 } as never)).value,
        })),
      ),
    });
    await writer.disconnect();
    // A stage whose codec has registered its outputs (as at start-up).
    const codec = createCodec(env, kafka);
    await codec.register(output, 'Site');
    await shut(open);
    const producer = kafka.producer();
    await producer.connect();
    const config = {
      ...loadRuntimeConfig('judge', { WEBTRAIL_JUDGE_RETRY_BACKOFF_MS: '50' }),
      groupId: uniqueName('test-away'),
      commitIntervalMs: 100,
    };
    const runner = new StageRunner({
      config,
      kafka,
      codec,
      producer: new RecordProducer(producer, codec),
      input: { topic, schema: 'Site' },
      handler: echoTo(output),
      log: silentLogger,
      metrics: createStageMetrics('test', false),
    });
    await runner.start();
    const letters = async () =>
      (await readTopic(dlqTopic('judge').name)).filter((r) => (r.value as DeadLetter).topic === topic);
    try {
      await new Promise((r) => setTimeout(r, 4000));
      expect(await letters()).toEqual([]);
      expect(await readTopic(output)).toEqual([]);
      open = await door(port);
      const handled = await waitFor(
        async () => {
          const out = await readTopic(output);
          return out.length >= list.length ? out : undefined;
        },
        60_000,
        'every record handled once the registry is back',
      );
      // Read into the stage's own Site (the newer field left out), each once.
      expect(handled.map((r) => r.value as Site).sort((x, y) => x.domain.localeCompare(y.domain))).toEqual(list);
      expect(await letters()).toEqual([]);
    } finally {
      await runner.stop();
      await producer.disconnect();
      await shut(open);
    }
  }, 120_000);

  it('dead-letters what cannot be decoded or keeps failing, retries what is retriable, and goes on', async () => {
    const topic = uniqueName('test.dlq.in');
    const output = uniqueName('test.dlq.out');
    await createTopic(kafka, topic, 1);
    await createTopic(kafka, output, 1);
    const raw = kafka.producer();
    await raw.connect();
    await raw.send({ topic, messages: [{ key: 'garbage', value: Buffer.from('not avro at all') }] });
    await raw.disconnect();
    await produceSites(topic, [site('fatal.example.com'), site('flaky.example.com'), site('fine.example.com')]);
    const attempts = new Map<string, number>();
    const { stop } = await startRunner(topic, uniqueName('test-dlq'), async (s, ctx) => {
      attempts.set(s.domain, (attempts.get(s.domain) ?? 0) + 1);
      if (s.domain === 'fatal.example.com')
        throw new WebtrailError('this site cannot be handled', { retriable: false });
      if (s.domain === 'flaky.example.com' && ctx.attempt < 2) throw new DependencyError('upstream 503');
      return echoTo(output)(s, ctx);
    });
    try {
      const handled = await waitFor(
        async () => {
          const out = await readTopic(output);
          return out.length >= 2 ? out.map((r) => r.key) : undefined;
        },
        30_000,
        'the good messages to be handled',
      );
      expect(handled.sort()).toEqual(['fine.example.com', 'flaky.example.com']);
      expect(attempts.get('flaky.example.com')).toBe(2);
      expect(attempts.get('fatal.example.com')).toBe(1);
      const letters = await waitFor(
        async () => {
          const mine = (await readTopic(dlqTopic('judge').name))
            .map((r) => r.value as DeadLetter)
            .filter((d) => d.topic === topic);
          return mine.length >= 2 ? mine : undefined;
        },
        30_000,
        'two dead letters',
      );
      const decode = letters.find((l) => l.stage === 'decode')!;
      expect(decode.error).toMatch(/not in the schema registry's wire format/);
      expect(Buffer.from(decode.value as unknown as string, 'base64').toString()).toBe('not avro at all');
      const handle = letters.find((l) => l.stage === 'handle')!;
      expect(handle).toMatchObject({ error: 'this site cannot be handled', retriable: false, attempts: 1, offset: 1 });
    } finally {
      await stop();
    }
  }, 90_000);

  it('pauses on a full disk instead of dead-lettering: not ready with the reason, nothing new taken, every message handled once room is back', async () => {
    const { input, output, groupId, list } = await scenario('enospc', 1, 6);
    let full = true;
    const started = new Set<string>();
    const { runner, stop } = await startRunner(
      input,
      groupId,
      async (s, ctx) => {
        started.add(s.domain);
        if (full)
          throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: 'ENOSPC', errno: -28 });
        return echoTo(output)(s, ctx);
      },
      { WEBTRAIL_JUDGE_CONCURRENCY: '2' },
    );
    try {
      await waitFor(() => (runner.notReadyReason ? true : undefined), 20_000, 'the stage to pause');
      expect(runner.ready).toBe(false);
      expect(runner.notReadyReason).toMatch(/^paused for \d+ s: ENOSPC: no space left on the device$/);
      // Held while full: only what was in flight when the disk filled was tried, nothing new was taken.
      await sleep(2500);
      expect(started.size).toBeLessThanOrEqual(2);
      full = false;
      await expectEveryMessageHandledOnce({ input, output, list, runner }, 'every message once the disk has room');
    } finally {
      await stop();
    }
  }, 120_000);

  it('waits out a Kafka cluster away for longer than kafkajs retries instead of dead-lettering what it was handling', async () => {
    // The very error kafkajs gives up with when no broker answers: a client's connect to a closed loopback port.
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const away = new KafkaJS({
      brokers: [`127.0.0.1:${closed}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 1, initialRetryTime: 50 },
    }).producer();
    const given = await away.connect().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect((given as Error).name).toBe('KafkaJSNumberOfRetriesExceeded');
    const { input, output, groupId, list } = await scenario('kafka-away', 1, 4);
    let awayFor = 3;
    const { runner, stop } = await startRunner(
      input,
      groupId,
      async (s, ctx) => {
        if (awayFor > 0) {
          awayFor -= 1;
          throw given;
        }
        return echoTo(output)(s, ctx);
      },
      { WEBTRAIL_JUDGE_CONCURRENCY: '1', WEBTRAIL_JUDGE_MAX_ATTEMPTS: '1' },
    );
    try {
      await waitFor(() => (runner.notReadyReason ? true : undefined), 20_000, 'the stage to pause');
      expect(runner.notReadyReason).toMatch(
        /: the Kafka cluster did not answer: Connection error: connect ECONNREFUSED/,
      );
      await expectEveryMessageHandledOnce({ input, output, list, runner }, 'every message once the cluster answers');
    } finally {
      await stop();
    }
  }, 120_000);

  it('on SIGTERM finishes the work in flight, commits it, takes nothing new and exits 0', async () => {
    const input = uniqueName('test.term.in');
    const output = uniqueName('test.term.out');
    const groupId = uniqueName('test-term');
    await createTopic(kafka, input, 1);
    await createTopic(kafka, output, 1);
    await produceSites(input, sites('term', 10));
    const child = new ChildRunner('test/fixtures/echoStage.ts', {
      INPUT_TOPIC: input,
      OUTPUT_TOPIC: output,
      GROUP_ID: groupId,
      HANDLER_DELAY_MS: '3000',
      WEBTRAIL_SINK_CONCURRENCY: '4',
    });
    const ready = await waitFor(() => child.events.find((e) => e.event === 'ready'), 30_000, 'the stage to start');
    const health = await fetch(`http://127.0.0.1:${String(ready.port)}/healthz`);
    expect(health.status).toBe(200);
    await waitFor(() => (child.count('start') >= 4 ? true : undefined), 30_000, 'four messages in flight');
    const metrics = await (await fetch(`http://127.0.0.1:${String(ready.port)}/metrics`)).text();
    expect(metrics).toMatch(/webtrail_in_flight\{service="sink"\} 4/);
    expect(metrics).toMatch(/webtrail_paused_partitions\{service="sink"\} 1/);
    child.child.kill('SIGTERM');
    const exit = await child.exited;
    expect(exit.code).toBe(0);
    const started = child.keys('start');
    expect(started).toHaveLength(4);
    expect(child.keys('done').sort()).toEqual([...started].sort());
    expect((await readTopic(output)).map((r) => r.key).sort()).toEqual([...started].sort());
    expect((await committedOffsets(kafka, groupId, input)).get(0)).toBe(4);
  }, 90_000);
});
