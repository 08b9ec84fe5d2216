// The local single-broker Kafka (KRaft) that the demo, the tests and the benchmarks use: Apache Kafka's
// own jars, resolved from Maven Central by kafka/pom.xml, run on Java 17. State lives in
// $WEBTRAIL_HOME/kafka. With KAFKA_BROKERS set nothing is started: that cluster is used.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { type Env, loadKafkaConfig, UserInputError, webtrailHome } from '../platform/index.ts';
import { runningPid, stopByPidFile } from './pidFile.ts';
import { startLocalRegistry, stopLocalRegistry, type RegistryStartResult } from './localRegistry.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const POM = path.join(ROOT, 'kafka', 'pom.xml');

export interface KafkaPaths {
  dir: string;
  libs: string;
  data: string;
  properties: string;
  pidFile: string;
  logFile: string;
}

export function kafkaPaths(env: Env = process.env): KafkaPaths {
  const dir = path.join(webtrailHome(env), 'kafka');
  return {
    dir,
    // Another home (the chaos run's own broker) can use jars already resolved elsewhere.
    libs: env.WEBTRAIL_KAFKA_LIBS || path.join(dir, 'libs'),
    data: path.join(dir, 'data'),
    properties: path.join(dir, 'server.properties'),
    pidFile: path.join(dir, 'kafka.pid'),
    logFile: path.join(dir, 'kafka.log'),
  };
}

export function pinnedVersion(): string {
  const match = /<artifactId>kafka_2\.13<\/artifactId>\s*<version>([^<]+)<\/version>/.exec(readFileSync(POM, 'utf8'));
  if (!match?.[1]) throw new Error('kafka/pom.xml does not pin kafka_2.13');
  return match[1];
}

function requireTool(command: string, args: string[], hint: string): void {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  if (result.error || result.status !== 0) throw new UserInputError(`${command} is not available: ${hint}`);
}

/** Resolves the pinned broker jars into $WEBTRAIL_HOME/kafka/libs once. */
export function resolveJars(paths: KafkaPaths): string {
  const version = pinnedVersion();
  // Named after the pom's content too, so adding a jar to it resolves again.
  const marker = path.join(
    paths.libs,
    `.kafka-${version}-${createHash('sha256').update(readFileSync(POM)).digest('hex').slice(0, 12)}`,
  );
  if (existsSync(marker)) return version;
  requireTool('mvn', ['-v'], 'install Maven (apt-get install -y maven) to fetch the Kafka jars');
  rmSync(paths.libs, { recursive: true, force: true });
  mkdirSync(paths.libs, { recursive: true });
  const result = spawnSync(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      POM,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${paths.libs}`,
      '-DincludeScope=runtime',
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (result.status !== 0)
    throw new Error(`could not resolve the Kafka ${version} jars with Maven (exit ${result.status})`);
  writeFileSync(marker, `${new Date().toISOString()}\n`);
  return version;
}

function writeProperties(paths: KafkaPaths, port: number): void {
  const controllerPort = port + 1;
  writeFileSync(
    paths.properties,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name=PLAINTEXT',
      `log.dirs=${paths.data}`,
      'num.partitions=3',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=10',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=false',
      'message.max.bytes=16777216',
      'replica.fetch.max.bytes=16777216',
      '',
    ].join('\n'),
  );
}

function java(paths: KafkaPaths, args: string[], options: { detached?: boolean; logFd?: number } = {}) {
  const classpath = `${paths.libs}/*`;
  return spawn('java', ['-Xms256m', '-Xmx1g', '-XX:+UseG1GC', '-Djava.awt.headless=true', '-cp', classpath, ...args], {
    detached: options.detached,
    stdio: options.logFd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', options.logFd, options.logFd],
  });
}

function formatStorage(paths: KafkaPaths): void {
  if (existsSync(path.join(paths.data, 'meta.properties'))) return;
  mkdirSync(paths.data, { recursive: true });
  // As Kafka's own Uuid.randomUuid: an id starting with '-' would be read as an option by the storage tool.
  let clusterId: string;
  do clusterId = Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url').slice(0, 22);
  while (clusterId.startsWith('-'));
  const result = spawnSync(
    'java',
    ['-cp', `${paths.libs}/*`, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', paths.properties],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`formatting Kafka storage failed: ${result.stderr || result.stdout}`);
}

const readPid = (paths: KafkaPaths) => runningPid(paths.pidFile);

/** Whether a broker answers a metadata request at these addresses. */
export async function brokerAnswers(brokers: string[], timeoutMs = 2000): Promise<boolean> {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, connectionTimeout: timeoutMs, retry: { retries: 0 } });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export interface KafkaStartResult {
  brokers: string[];
  started: boolean;
  external: boolean;
  startMs: number;
  version?: string;
  /** The schema registry beside it: the user's (SCHEMA_REGISTRY_URL) or the local one. */
  registry: RegistryStartResult;
}

/**
 * Starts the local broker unless one already answers (or KAFKA_BROKERS points elsewhere), then the local
 * schema registry beside it unless one answers (or SCHEMA_REGISTRY_URL points elsewhere): every record is
 * framed with a registry id, so nothing runs without one.
 */
export async function startKafka(
  env: Env = process.env,
  log: (line: string) => void = () => undefined,
): Promise<KafkaStartResult> {
  const broker = await startBroker(env, log);
  return { ...broker, registry: await startLocalRegistry(env, log) };
}

async function startBroker(env: Env, log: (line: string) => void): Promise<Omit<KafkaStartResult, 'registry'>> {
  const config = loadKafkaConfig('webtrail-kafka-script', env);
  if (config.external) return { brokers: config.brokers, started: false, external: true, startMs: 0 };
  if (await brokerAnswers(config.brokers))
    return { brokers: config.brokers, started: false, external: false, startMs: 0 };

  requireTool('java', ['-version'], 'install Java 17 (apt-get install -y openjdk-17-jre-headless)');
  const paths = kafkaPaths(env);
  mkdirSync(paths.dir, { recursive: true });
  const version = resolveJars(paths);
  const port = Number(config.brokers[0]!.split(':')[1]);
  writeProperties(paths, port);
  formatStorage(paths);

  const started = Date.now();
  const logFd = openSync(paths.logFile, 'a');
  const logging = [
    '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
    '-Dorg.slf4j.simpleLogger.log.kafka.server.BrokerServer=info',
    '-Dorg.slf4j.simpleLogger.showDateTime=true',
  ];
  const child = java(paths, [...logging, 'kafka.Kafka', paths.properties], { detached: true, logFd });
  writeFileSync(paths.pidFile, String(child.pid));
  child.unref();
  log(`starting Kafka ${version} on ${config.brokers.join(',')} (log: ${paths.logFile})`);

  const deadline = started + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || readPid(paths) === null) {
      throw new Error(`Kafka exited during start-up; see ${paths.logFile}:\n${tail(paths.logFile)}`);
    }
    if (await brokerAnswers(config.brokers, 1000))
      return { brokers: config.brokers, started: true, external: false, startMs: Date.now() - started, version };
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Kafka did not answer within 90 s; see ${paths.logFile}`);
}

/** Stops the local registry, then the broker this project started (by their pid files); returns whether a broker was running. */
export async function stopKafka(env: Env = process.env): Promise<boolean> {
  await stopLocalRegistry(env);
  return stopByPidFile(kafkaPaths(env).pidFile, { graceMs: 30_000 });
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Jars present, for diagnostics. */
export function installedJars(env: Env = process.env): string[] {
  try {
    return readdirSync(kafkaPaths(env).libs).filter((f) => f.endsWith('.jar'));
  } catch {
    return [];
  }
}
