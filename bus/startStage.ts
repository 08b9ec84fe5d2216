// Wiring shared by every stage's main.ts: config, Kafka, topics, schemas, telemetry, health, signals.
// The stage brings its input topic and handler; this runs them until SIGTERM and drains.
import { Partitioners, type Kafka } from 'kafkajs';
import type { AvroCodec, SchemaName, SchemaTypes } from '../schemas/index.ts';
import {
  createLogger,
  createStageMetrics,
  type Env,
  errorMessage,
  type HealthServer,
  loadKafkaConfig,
  loadRuntimeConfig,
  type Logger,
  refuseUnknownSettings,
  type RuntimeConfig,
  type ServiceName,
  type StageMetrics,
  startHealthServer,
  UserInputError,
} from '../platform/index.ts';
import { createKafka, describeConnectionError, ensureTopics } from './client.ts';
import { RecordProducer } from './recordProducer.ts';
import { createCodec, registerTopicSchemas } from './registry/registryClient.ts';
import { StageRunner, type StageHandler } from './stageRunner.ts';
import { startTelemetry } from '../platform/telemetrySdk.ts';
import { crashHook } from './crashHook.ts';

export interface StageDefinition<N extends SchemaName> {
  service: ServiceName;
  input: { topic: string; schema: N };
  /** Messages with the same key are handled one at a time, in order (see StageRunnerOptions). */
  oneAtATimePerKey?: boolean;
  /** Builds the handler once Kafka is up; returns it with a close function for its own resources. */
  setup(ctx: { log: Logger; runtime: RuntimeConfig; metrics: StageMetrics; kafka: Kafka; codec: AvroCodec }): Promise<{
    handler: StageHandler<SchemaTypes[N]>;
    close?: () => Promise<void>;
    /** At most this many messages of one key in flight (see StageRunnerOptions.maxInFlightPerKey). */
    maxInFlightPerKey?: number;
  }>;
  env?: Env;
  /** Overrides parts of the runtime config (re-judging uses its own group). */
  runtime?: Partial<RuntimeConfig>;
}

export interface RunningStage {
  runner: StageRunner<SchemaName>;
  health: HealthServer;
  stop(): Promise<void>;
}

export async function startStage<N extends SchemaName>(def: StageDefinition<N>): Promise<RunningStage> {
  const env = def.env ?? process.env;
  // A misspelt setting would be ignored silently: stop before doing anything, naming the right one.
  refuseUnknownSettings(env);
  const log = createLogger(def.service);
  const runtime = { ...loadRuntimeConfig(def.service, env), ...def.runtime };
  const kafkaConfig = loadKafkaConfig(`webtrail-${def.service}`, env);
  const telemetry = startTelemetry(def.service, env);
  const metrics = createStageMetrics(def.service);
  const kafka = createKafka(kafkaConfig, log);

  const admin = kafka.admin();
  try {
    await admin.connect();
    const created = await ensureTopics(admin);
    if (created.length) log.info({ created }, 'created topics');
  } catch (error) {
    throw new UserInputError(describeConnectionError(error, kafkaConfig.brokers), { cause: error });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }

  // Schemas first: a registry that refuses one (incompatible, unauthorized) stops the stage before any work.
  const codec = createCodec(env, kafka);
  await registerTopicSchemas(codec);
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const records = new RecordProducer(producer, codec);

  const stage = await def.setup({ log, runtime, metrics, kafka, codec });
  const { handler, close } = stage;
  const crashBefore = crashHook('before', env, metrics, log);
  const crashAfter = crashHook('after', env, metrics, log);
  const runner = new StageRunner<N>({
    config: runtime,
    kafka,
    codec,
    producer: records,
    input: def.input,
    oneAtATimePerKey: def.oneAtATimePerKey,
    maxInFlightPerKey: stage.maxInFlightPerKey,
    handler,
    log,
    metrics,
    beforeCommit: async () => {
      await telemetry.flush();
      await crashBefore?.();
    },
    afterCommit: async () => crashAfter?.(),
  });
  const health = await startHealthServer(
    runtime.httpPort,
    { live: () => runner.live, ready: () => runner.ready, notReadyReason: () => runner.notReadyReason },
    metrics.registry,
  );

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await runner.stop();
      await records.drain();
      await producer.disconnect();
      await close?.();
      await telemetry.shutdown();
      await health.close();
    })();
    return stopping;
  };
  await runner.start((error) => {
    log.fatal({ err: errorMessage(error) }, 'consumer cannot go on; exiting so the orchestrator restarts it');
    void stop().finally(() => process.exit(1));
  });
  log.info({ port: health.port }, 'started');
  return { runner: runner as unknown as StageRunner<SchemaName>, health, stop };
}

/** Runs a stage as the process's main job: SIGTERM / SIGINT drain it and exit 0. */
export async function runStageMain<N extends SchemaName>(def: StageDefinition<N>): Promise<RunningStage> {
  let stage: RunningStage;
  try {
    stage = await startStage(def);
  } catch (error) {
    console.error(`webtrail ${def.service}: ${errorMessage(error)}`);
    process.exit(error instanceof UserInputError ? 2 : 1);
  }
  const log = createLogger(def.service);
  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    stage.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: errorMessage(error) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  return stage;
}
