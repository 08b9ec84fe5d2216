// Runs the whole pipeline locally: the sandbox web, the scripted LLM (unless OPENAI_BASE_URL points at a
// real endpoint) and the five services as separate processes, against a Kafka broker that is up.
// The demo and the end-to-end tests drive it.
import { freePort } from './freePort.ts';
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Admin } from 'kafkajs';
import { createKafka, fetchGroupPosition } from '../bus/index.ts';
import {
  createLogger,
  loadKafkaConfig,
  loadRuntimeConfig,
  SERVICE_NAMES,
  type ServiceName,
  spawnTs,
  stageEntry,
  treeCpuSeconds,
} from '../platform/index.ts';
import {
  type Sandbox,
  type ScriptedLlm,
  type ScriptedLlmOptions,
  startSandbox,
  startScriptedLlm,
} from '../sandbox/index.ts';
import { STAGE_INPUTS, allTopics } from '../schemas/index.ts';
import { chromiumSandboxProblem, defaultChromium } from '../browser/index.ts';

export interface PipelineOptions {
  home: string;
  /** Extra environment for every service. */
  env?: Record<string, string>;
  /** Per service extra environment. */
  serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  /** Per service, a command that runs it in its place (e.g. nsenter into a mount namespace); it must exec node. */
  wrap?: Partial<Record<ServiceName, string[]>>;
  sandboxPort?: number;
  scripted?: ScriptedLlmOptions | false;
  /** Suffix for the consumer groups, so a run does not share offsets with another. */
  groupSuffix?: string;
  /**
   * Point every service's group at the current end of its input topic before the services start, so
   * the run handles only what is submitted after it (tests and the demo share a broker with older
   * runs). Committed offsets, unlike a "latest" reset, also hold when a service is killed and restarted.
   */
  startAtEnd?: boolean;
  /** The services to start (default: all five). */
  only?: ServiceName[];
  /** Processes per service where more than one (replicas of one consumer group, as on Kubernetes). */
  replicas?: Partial<Record<ServiceName, number>>;
  /**
   * Health ports near each service's usual one (18081…, as the demo prints them). Off, the system picks
   * free ones: two pipelines started at once (test files side by side) would race for the same port.
   */
  usualPorts?: boolean;
}

export interface ServiceProcess {
  name: ServiceName;
  child: ChildProcess;
  port: number;
  groupId: string;
  exited: Promise<number | null>;
}

export interface Pipeline {
  sandbox: Sandbox;
  llm: ScriptedLlm | undefined;
  services: Map<ServiceName, ServiceProcess>;
  env: Record<string, string>;
  /** `on`, or `off: why` (the machine cannot sandbox, or the opt-out was set). */
  browserSandbox: string;
  start(name: ServiceName): Promise<ServiceProcess>;
  stopService(name: ServiceName, signal?: NodeJS.Signals): Promise<number | null>;
  stop(): Promise<void>;
}

const BASE_PORT: Record<ServiceName, number> = {
  generator: 18081,
  rollout: 18082,
  judge: 18083,
  sink: 18084,
  refiner: 18085,
};

export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const sandbox = await startSandbox({ port: options.sandboxPort ?? 0 });
  const useScripted = options.scripted !== false && !process.env.OPENAI_BASE_URL;
  const llm = useScripted ? await startScriptedLlm(options.scripted || undefined) : undefined;
  const logs = path.join(options.home, 'logs');
  mkdirSync(logs, { recursive: true });
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    WEBTRAIL_HOME: options.home,
    WEBTRAIL_BROWSER_ALLOW_HOSTS: [process.env.WEBTRAIL_BROWSER_ALLOW_HOSTS, sandbox.allowHost]
      .filter(Boolean)
      .join(','),
    // The scripted proposer offers every sandbox task of a site (up to 10), not the default 5.
    ...(llm
      ? {
          OPENAI_BASE_URL: llm.url,
          OPENAI_MODEL: 'scripted',
          OPENAI_API_KEY: 'not-needed',
          WEBTRAIL_GENERATOR_TASKS_PER_SITE: process.env.WEBTRAIL_GENERATOR_TASKS_PER_SITE ?? '12',
        }
      : {}),
    ...options.env,
  };
  // Chromium runs sandboxed wherever this machine allows it; where it does not, the run says so and the
  // browsers run without it (the explicit opt-out, never a deployment's default).
  let browserSandbox = env.WEBTRAIL_BROWSER_NO_SANDBOX ? 'off (WEBTRAIL_BROWSER_NO_SANDBOX is set)' : 'on';
  if (!env.WEBTRAIL_BROWSER_NO_SANDBOX) {
    const problem = chromiumSandboxProblem(env.WEBTRAIL_CHROMIUM ?? defaultChromium());
    if (problem) {
      env.WEBTRAIL_BROWSER_NO_SANDBOX = '1';
      browserSandbox = `off: this machine cannot run Chromium's sandbox (${problem})`;
      process.stderr.write(`pipeline: Chromium runs WITHOUT its renderer sandbox: ${problem}\n`);
    }
  }
  const services = new Map<ServiceName, ServiceProcess>();

  /** A service's environment: the run's, its own, and its group under the run's suffix unless set. */
  function serviceEnvOf(name: ServiceName): Record<string, string> {
    const serviceEnv: Record<string, string> = { ...env, ...options.serviceEnv?.[name] };
    const group = `WEBTRAIL_${name.toUpperCase()}_GROUP_ID`;
    if (options.groupSuffix && !serviceEnv[group]) serviceEnv[group] = `webtrail-${name}-${options.groupSuffix}`;
    return serviceEnv;
  }

  /** The replicas beyond the first of a service (options.replicas), stopped with the run. */
  const extraReplicas: ServiceProcess[] = [];

  async function start(name: ServiceName, replica = 0): Promise<ServiceProcess> {
    const upper = name.toUpperCase();
    const serviceEnv = serviceEnvOf(name);
    const port =
      Number(serviceEnv[`WEBTRAIL_${upper}_HTTP_PORT`] ?? 0) ||
      (await freePort(options.usualPorts ? BASE_PORT[name] : 0));
    serviceEnv[`WEBTRAIL_${upper}_HTTP_PORT`] = String(port);
    const groupId = loadRuntimeConfig(name, serviceEnv).groupId;
    const logFile = path.join(logs, replica ? `${name}-${replica}.log` : `${name}.log`);
    const log = openSync(logFile, 'a');
    const child = spawnTs(stageEntry(name), {
      env: serviceEnv,
      stdio: ['ignore', log, log],
      ...(options.wrap?.[name] ? { prefix: options.wrap[name] } : {}),
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const service: ServiceProcess = { name, child, port, groupId, exited };
    if (replica) extraReplicas.push(service);
    else services.set(name, service);
    await waitReady(service, logFile);
    return service;
  }

  function stopProcess(service: ServiceProcess, signal: NodeJS.Signals): Promise<number | null> {
    if (service.child.exitCode === null) service.child.kill(signal);
    return service.exited;
  }

  async function stopReplicas(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await Promise.all(extraReplicas.splice(0).map((service) => stopProcess(service, signal)));
  }

  async function stopService(name: ServiceName, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const service = services.get(name);
    if (!service) return null;
    services.delete(name);
    return stopProcess(service, signal);
  }

  try {
    if (options.startAtEnd) {
      await commitAtEnd(
        SERVICE_NAMES.map((name) => ({
          groupId: loadRuntimeConfig(name, serviceEnvOf(name)).groupId,
          topic: STAGE_INPUTS[name],
        })),
      );
    }
    await Promise.all(
      (options.only ?? SERVICE_NAMES).flatMap((name) =>
        Array.from({ length: Math.max(1, options.replicas?.[name] ?? 1) }, (_, replica) => start(name, replica)),
      ),
    );
  } catch (error) {
    await Promise.all([...services.keys()].map((n) => stopService(n, 'SIGKILL')));
    await stopReplicas('SIGKILL');
    await llm?.close();
    await sandbox.close();
    throw error;
  }

  return {
    sandbox,
    llm,
    services,
    env,
    browserSandbox,
    start,
    stopService,
    stop: async () => {
      await Promise.all([...services.keys()].map((n) => stopService(n)));
      await stopReplicas();
      await llm?.close();
      await sandbox.close();
    },
  };
}

/** Commits each group's offsets at the end of its topic (groups must have no live members). */
async function commitAtEnd(groups: Array<{ groupId: string; topic: string }>): Promise<void> {
  const kafka = createKafka(loadKafkaConfig('webtrail-pipeline'), createLogger('pipeline', 'error'));
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const { groupId, topic } of groups) {
      const ends = await admin.fetchTopicOffsets(topic);
      await admin.setOffsets({
        groupId,
        topic,
        partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * Waits for a service to answer /readyz, for as long as it makes progress: a service still importing,
 * connecting and joining its group (it uses CPU, its log grows, its health endpoint comes up) is given time on a loaded
 * machine; one that exited or logged a fatal line fails at once, and one that shows no progress for
 * `stallMs` fails with what its log said last.
 */
export async function waitReady(
  service: Pick<ServiceProcess, 'name' | 'child' | 'port'>,
  logFile: string,
  { stallMs = 60_000, capMs = 600_000 } = {},
): Promise<void> {
  const started = Date.now();
  let lastProgress = started;
  // What the log held when the wait began (a restarted service appends to its old log).
  let logSize = existsSync(logFile) ? statSync(logFile).size : 0;
  let live = false;
  const cpuSeconds = () => {
    if (service.child.pid === undefined) return 0;
    const { own, descendants } = treeCpuSeconds(service.child.pid);
    return own + descendants;
  };
  let lastCpu = cpuSeconds();
  /** The log's lines written since the last look (only those are read, not the whole log again). */
  const newLines = (from: number, to: number): string => {
    const fd = openSync(logFile, 'r');
    try {
      const bytes = Buffer.alloc(to - from);
      readSync(fd, bytes, 0, bytes.length, from);
      return bytes.toString('utf8');
    } finally {
      closeSync(fd);
    }
  };
  while (Date.now() - started < capMs) {
    if (service.child.exitCode !== null || service.child.signalCode !== null)
      throw new Error(
        `${service.name} exited with ${service.child.exitCode ?? service.child.signalCode} during start-up; see ${logFile}`,
      );
    const size = existsSync(logFile) ? statSync(logFile).size : 0;
    if (size > logSize) {
      lastProgress = Date.now();
      const fatal = /"level":60[^\n]*"msg":"([^"]*)"/.exec(newLines(logSize, size));
      if (fatal) throw new Error(`${service.name} logged a fatal error during start-up: ${fatal[1]}; see ${logFile}`);
      logSize = size;
    }
    // Busy is progress: importing the tree under tsx on a machine at load 25 writes nothing for a minute.
    const cpu = cpuSeconds();
    if (cpu > lastCpu + 0.05) {
      lastProgress = Date.now();
      lastCpu = cpu;
    }
    try {
      const ready = await fetch(`http://127.0.0.1:${service.port}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (ready.ok) return;
      if (!live) lastProgress = Date.now();
      live = true;
    } catch {
      // not listening yet
    }
    if (Date.now() - lastProgress > stallMs)
      throw new Error(
        `${service.name} made no progress towards ready for ${stallMs / 1000} s (after ${Math.round((Date.now() - started) / 1000)} s); see ${logFile}`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${service.name} was not ready within ${capMs / 1000} s; see ${logFile}`);
}

/** Records written to each pipeline topic since `since` (high watermarks summed). */
export async function topicEnds(admin: Admin): Promise<Record<string, Map<number, bigint>>> {
  // Every topic of records (the dead-letter topics too), not the registry's own; asked all at once.
  const topics = allTopics().filter((t) => t.valueSchema !== null);
  const offsets = await Promise.all(topics.map((t) => admin.fetchTopicOffsets(t.name)));
  return Object.fromEntries(
    topics.map((t, i) => [t.name, new Map(offsets[i]!.map((p) => [p.partition, BigInt(p.high)]))]),
  );
}

export function countSince(
  now: Record<string, Map<number, bigint>>,
  start: Record<string, Map<number, bigint>>,
  topic: string,
): number {
  let total = 0n;
  for (const [partition, high] of now[topic] ?? []) total += high - (start[topic]?.get(partition) ?? 0n);
  return Number(total);
}

/** Whether every service's group has committed everything on its input topic. */
export async function drained(admin: Admin, pipeline: Pipeline): Promise<boolean> {
  // Twice, a commit interval apart: the refiner feeds tasks back upstream, so a follow-up it wrote (and
  // committed) after the rollout's lag was read would otherwise pass unseen in a single pass.
  for (const pass of [0, 1]) {
    if (pass) await new Promise((r) => setTimeout(r, 700));
    for (const [name, service] of pipeline.services) {
      if ((await fetchGroupPosition(admin, service.groupId, STAGE_INPUTS[name])).lag > 0) return false;
    }
  }
  return true;
}
