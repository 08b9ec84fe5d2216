// Rollout throughput: the real rollout service (Kafka in and out, guards, screenshots, settling) at a
// given number of concurrent browser contexts, against a bare Playwright loop doing the same page
// loads, observations and actions with the same LLM latency, and no Kafka and no services.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import pLimit from 'p-limit';
import { chromium, type Page } from 'playwright-core';
import { allTasks, findTask, planAction, type Sandbox, sandboxSites } from '../sandbox/index.ts';
import { createCodec, RecordProducer } from '../bus/index.ts';
import { type Action, type Task, taskRecordKey, TOPICS, type Trajectory } from '../schemas/index.ts';
import {
  BASE_ARGS,
  loadBrowserConfig,
  OBSERVE_SOURCE,
  type RawObservation,
  renderObservation,
} from '../browser/index.ts';
import { spawnService, stopChild, waitForOutput } from './bus.ts';
import { sleep, stageEntry } from '../platform/index.ts';
import { steadyStepsPerSecond } from './steadyState.ts';
import { childPids, commandLine, treeCpuSeconds, treePssMb } from '../platform/index.ts';

export interface ThroughputRow {
  contexts: number;
  trajectories: number;
  /** Steps per second while every context had work (bench/steadyState.ts); the ratio the targets use. */
  steps_per_s: number;
  trajectories_per_min: number;
  baseline_steps_per_s: number;
  ratio: number;
  /** Steps over the whole run, the tail in which contexts fall idle included. */
  whole_run_steps_per_s: number;
  baseline_whole_run_steps_per_s: number;
  whole_run_ratio: number;
  /** The same tasks done per minute, pipeline / bare (the bare loop counts its extra wait steps too). */
  baseline_trajectories_per_min: number;
  trajectory_ratio: number;
  steps_per_trajectory: number;
  baseline_steps_per_trajectory: number;
  cpu_percent: number;
  baseline_cpu_percent: number;
  /** Machine CPU-seconds spent per step (all processes): what a step costs, whatever the concurrency. */
  cpu_s_per_step: number;
  baseline_cpu_s_per_step: number;
  /** Of those, Chromium's (all its processes), per step: the pipeline's browsers, the bare loop's. */
  chromium_cpu_s_per_step: number;
  baseline_chromium_cpu_s_per_step: number;
  /** The rollout service's own Node process per step (its driver, proxy, LLM client, Kafka). */
  service_cpu_s_per_step: number;
  /** This bench process per step: the trajectory consumer (pipeline), or the bare loop itself. */
  harness_cpu_s_per_step: number;
  baseline_harness_cpu_s_per_step: number;
  /** The sandbox web's process per step, serving the pipeline's browsers, then the bare loop's. */
  sandbox_cpu_s_per_step: number;
  baseline_sandbox_cpu_s_per_step: number;
  peak_rss_mb: number;
  rss_mb_per_context: number;
  /** The bare loop's Chromium (all its processes) at its peak, for comparison. */
  baseline_peak_rss_mb: number;
  /** Mean milliseconds per step spent observing, waiting for the LLM, and acting (settling included). */
  step_ms: StepSplit;
  baseline_step_ms: StepSplit;
  /** The share of the run's context-time spent inside a trajectory (the rest: waiting for work, delivery). */
  context_busy_share: number;
  baseline_context_busy_share: number;
  /** Rounds measured at this level (pipeline then bare loop, in turn); every figure above is their median. */
  rounds: number;
  /** Each round's pipeline/bare ratio, in order: the spread the median is taken over. */
  round_ratios: number[];
}

/** Per step: observe, LLM, act; per trajectory: the time outside its steps (opening, the start page, closing). */
export interface StepSplit {
  observe: number;
  llm: number;
  act: number;
  outside_steps_per_trajectory: number;
}

class SplitTotals {
  private sum = { observe: 0, llm: 0, act: 0, outside: 0 };
  private steps = 0;
  private trajectories = 0;
  add(observe: number, llm: number, act: number): void {
    this.sum.observe += observe;
    this.sum.llm += llm;
    this.sum.act += act;
    this.steps += 1;
  }
  /** A whole trajectory's wall time, less the time of its steps. */
  addOutside(ms: number): void {
    this.sum.outside += ms;
    this.trajectories += 1;
  }
  mean(): StepSplit {
    const n = Math.max(1, this.steps);
    return {
      observe: Math.round(this.sum.observe / n),
      llm: Math.round(this.sum.llm / n),
      act: Math.round(this.sum.act / n),
      outside_steps_per_trajectory: Math.round(this.sum.outside / Math.max(1, this.trajectories)),
    };
  }
}

/**
 * Reading smaps_rollup walks a process's page tables: sampled every 250 ms over Chromium's processes
 * it cost a third of a core, which the pipeline side paid and the bare side did not. Once a second,
 * on both sides, it costs a few percent and the same for each; read off the event loop, it no longer
 * stalls the bare loop (which runs in this process) for some 80 ms each time.
 */
const MEMORY_SAMPLE_MS = 1000;

/**
 * The peak of a memory reading taken once a second (each read off the event loop) until stopped; stopping
 * waits for a read under way, not for the rest of the second.
 */
function peakSampler(read: () => Promise<number>): { stop: () => Promise<number> } {
  let peak = 0;
  const stopped = new AbortController();
  const loop = (async () => {
    while (!stopped.signal.aborted) {
      peak = Math.max(peak, await read());
      await sleep(MEMORY_SAMPLE_MS, stopped.signal).catch(() => undefined);
    }
  })();
  return {
    stop: async () => {
      stopped.abort();
      await loop;
      return peak;
    },
  };
}

/** The bare loop's Chromium: its processes' memory summed. */
const bareChromiumPssMb = async () =>
  (await Promise.all(ownChromiumPids().map((pid) => treePssMb(pid)))).reduce((a, b) => a + b, 0);

/** The bare loop's Chromium: CPU-seconds of all its processes, the ended ones included. */
const bareChromiumCpuSeconds = () => ownChromiumPids().reduce((sum, pid) => sum + wholeTree(treeCpuSeconds(pid)), 0);

/** Machine-wide CPU time used (all processes), in core-seconds ×100 per second = percent of one core. */
function cpuTicks(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** Chromium processes started by this process (the bare loop's browser). */
function ownChromiumPids(): number[] {
  return childPids(process.pid).filter((pid) => /chrom/i.test(commandLine(pid)?.join(' ') ?? ''));
}

function cpuPercent(before: { busy: number; total: number }, cores: number): number {
  const after = cpuTicks();
  return Math.round(((after.busy - before.busy) / Math.max(1, after.total - before.total)) * cores * 100);
}

function benchTasks(sandbox: BenchSites, tag: string, count: number, spread = false): Task[] {
  // Spread: one task of each site in turn, as a run over many sites meets them (not site after site).
  const planned = spread ? roundRobinBySite(allTasks()) : allTasks();
  return Array.from({ length: count }, (_, i) => {
    const t = planned[i % planned.length]!;
    return {
      taskId: `bench-${tag}-${i}`,
      domain: `${t.site}.localhost`,
      startUrl: new URL(t.startPath, sandbox.siteUrl(t.site)).toString(),
      instruction: t.instruction,
      steps: t.steps,
      successCriteria: t.successCriteria,
      generatorVersion: 'bench@generator',
      createdAtMs: Date.now(),
      usage: { calls: 0, promptTokens: 0, completionTokens: 0, latencyMs: 0 },
      lineage: null,
      submissionId: '',
      kind: 'task',
    };
  });
}

function roundRobinBySite<T extends { site: string }>(tasks: T[]): T[] {
  const bySite = new Map<string, T[]>();
  for (const t of tasks) bySite.set(t.site, [...(bySite.get(t.site) ?? []), t]);
  const queues = [...bySite.values()];
  const out: T[] = [];
  for (let i = 0; out.length < tasks.length; i += 1) for (const q of queues) if (q[i]) out.push(q[i]!);
  return out;
}

/** The bare loop: same observation script and rendering, the scripted policy in process, a sleep for the LLM. */
async function bareTrajectory(
  page: Page,
  task: Task,
  latencyMs: number,
  maxTokens: number,
  maxNodes: number,
  split: SplitTotals,
  stepEnds: number[],
): Promise<{ steps: number; opened: number; inSteps: number }> {
  const planned = findTask({ instruction: task.instruction })!;
  const opened = performance.now();
  let inSteps = 0;
  await page.goto(task.startUrl, { waitUntil: 'load' });
  let nextId = 1;
  let taken = 0;
  let steps = 0;
  while (steps < 30) {
    let t = performance.now();
    const raw = (await page
      .evaluate(`(${OBSERVE_SOURCE})(${JSON.stringify({ nextId, maxNodes })})`)
      .catch(() => null)) as RawObservation | null;
    if (!raw) {
      await page.waitForLoadState('load').catch(() => undefined);
      continue;
    }
    nextId = raw.nextId;
    const text = renderObservation(raw, maxTokens).text;
    const observeMs = performance.now() - t;
    t = performance.now();
    await sleep(latencyMs);
    steps += 1;
    const step = planned.plan[taken];
    const action = step && step.kind !== 'answer' ? planAction(text, step) : undefined;
    const llmMs = performance.now() - t;
    if (!step || step.kind === 'answer') {
      split.add(observeMs, llmMs, 0);
      inSteps += observeMs + llmMs;
      stepEnds.push(Date.now());
      break;
    }
    t = performance.now();
    if (!action) {
      await sleep(1000);
      split.add(observeMs, llmMs, performance.now() - t);
      inSteps += observeMs + llmMs + (performance.now() - t);
      stepEnds.push(Date.now());
      continue;
    }
    await perform(page, action).catch(() => undefined);
    await page.waitForLoadState('load').catch(() => undefined);
    split.add(observeMs, llmMs, performance.now() - t);
    inSteps += observeMs + llmMs + (performance.now() - t);
    stepEnds.push(Date.now());
    taken += 1;
  }
  return { steps, opened, inSteps };
}

async function perform(page: Page, action: Action): Promise<void> {
  const locate = async () => {
    for (const frame of page.frames()) {
      const l = frame.locator(`[data-wt-id="${action.elementId}"]`);
      if ((await l.count()) > 0) return l.first();
    }
    throw new Error('gone');
  };
  const value = action.value ?? '';
  switch (action.kind) {
    case 'click':
      return (await locate()).click({ timeout: 5000 });
    case 'hover':
      return (await locate()).hover({ timeout: 5000 });
    case 'type': {
      const l = await locate();
      await l.fill(value, { timeout: 5000 });
      if (action.submit) await l.press('Enter');
      return;
    }
    case 'select': {
      const l = await locate();
      await l.selectOption({ label: value }, { timeout: 5000 }).catch(() => l.selectOption(value, { timeout: 5000 }));
      return;
    }
    case 'check':
      return (await locate()).check({ timeout: 5000 });
    case 'uncheck':
      return (await locate()).uncheck({ timeout: 5000 });
    case 'scroll':
      return void (await page.mouse.wheel(0, value === 'up' ? -600 : 600));
    case 'press':
      return page.keyboard.press(value);
    case 'go_back':
      return void (await page.goBack());
    default:
      return;
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * A level's rounds as one row: each figure the median of the rounds' (the ratio the median of each round's
 * own ratio, both sides measured back to back), so that one round on a machine that hiccupped does not
 * decide the level.
 */
/** One side of the pacing figure: the whole run, from the tasks' send to the last trajectory. */
export interface PacingSide {
  seconds: number;
  steps_per_s: number;
  trajectories_per_min: number;
  sites: number;
}

/** What pacing costs at the best concurrency: trajectories per minute lost to it, in percent. */
export interface PacingRow {
  /** Tasks one site after another in turn (spread, as over many sites), or site after site (crowded). */
  mix: 'spread' | 'crowded';
  contexts: number;
  trajectories: number;
  paced: PacingSide;
  unpaced: PacingSide;
  cost_percent: number;
}

export function medianRow(rows: ThroughputRow[]): ThroughputRow {
  const first = rows[0]!;
  const out: Record<string, unknown> = { ...first, rounds: rows.length, round_ratios: rows.map((r) => r.ratio) };
  for (const [key, value] of Object.entries(first)) {
    if (typeof value === 'number' && !['contexts', 'trajectories', 'rounds'].includes(key))
      out[key] = round3(median(rows.map((r) => r[key as keyof ThroughputRow] as number)));
    if (key === 'step_ms' || key === 'baseline_step_ms') {
      const splits = rows.map((r) => r[key]);
      out[key] = Object.fromEntries(
        Object.keys(value as StepSplit).map((k) => [k, Math.round(median(splits.map((x) => x[k as keyof StepSplit])))]),
      );
    }
  }
  return out as unknown as ThroughputRow;
}

/**
 * A `webtrail` command that serves something, in a process of its own; resolves with what `ready` matched
 * in its output once it does.
 */
async function spawnServer(
  args: string[],
  ready: RegExp,
  what: string,
  logFile: string,
): Promise<{ found: RegExpExecArray; pid: number; close: () => Promise<void> }> {
  const child = spawnService('bin/webtrail.js', {}, logFile, args);
  const found = await waitForOutput(child, ready, `${what} (log: ${logFile})`, 30_000);
  return { found, pid: child.pid!, close: () => stopChild(child) };
}

/**
 * The scripted LLM in a process of its own (`webtrail scripted-llm`), as a real endpoint is on a machine
 * of its own: in the bench's process its replies waited behind the sandbox web and the decoding of every
 * finished trajectory, which a real LLM's latency does not (measured at 8 contexts: 690 ms from request
 * to reply for 500 ms of latency).
 */
export async function spawnScriptedLlm(
  latencyMs: number,
  logFile: string,
): Promise<{ url: string; close: () => Promise<void> }> {
  const { found, close } = await spawnServer(
    ['scripted-llm', '--port', '0', '--latency-ms', String(latencyMs)],
    /scripted LLM \(OpenAI-compatible\) at (\S+)/,
    'the scripted LLM',
    logFile,
  );
  return { url: found[1]!, close };
}

/** The sites the bench's tasks visit: where each is, and the browser guard's setting that allows them. */
export type BenchSites = Pick<Sandbox, 'siteUrl' | 'allowHost'> & {
  /** The process serving them, for its CPU. */ pid: number;
};

/**
 * The sandbox web in a process of its own (`webtrail sandbox`), as a website is on a machine of its own: in
 * the bench's process its pages waited behind the bench's own work (decoding finished trajectories, the
 * bare loop's Playwright client), which the egress proxy measured as up to a second from request to reply.
 */
export async function spawnSandboxWeb(logFile: string): Promise<BenchSites & { close: () => Promise<void> }> {
  const { found, pid, close } = await spawnServer(
    ['sandbox', '--port', '0'],
    /sandbox web on port (\d+)/,
    'the sandbox web',
    logFile,
  );
  return { ...sandboxSites(Number(found[1])), pid, close };
}

export async function benchRollout(
  kafka: Kafka,
  admin: Admin,
  options: {
    sandbox: BenchSites;
    llmUrl: string;
    latencyMs: number;
    levels: number[];
    tasksPerContext: number;
    rounds: number;
    home: string;
    say: (line: string) => void;
  },
): Promise<{ rows: ThroughputRow[]; pacing: PacingRow[] }> {
  const codec = createCodec(process.env, kafka);
  const producer = kafka.producer();
  await producer.connect();
  const out = new RecordProducer(producer, codec);
  const finished = new Map<string, Trajectory>();
  const consumer = kafka.consumer({
    groupId: `${TOPICS.trajectories.name}-bench-${Date.now()}`,
    maxWaitTimeInMs: 100,
    maxBytes: 64 << 20,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPICS.trajectories.name, fromBeginning: false });
  await consumer.run({
    eachMessage: async ({ message }) =>
      void finished.set(message.key!.toString(), await codec.decodeAs('Trajectory', message.headers, message.value)),
  });
  await sleep(4000);
  const browserConfig = loadBrowserConfig({ ...process.env, WEBTRAIL_BROWSER_ALLOW_HOSTS: options.sandbox.allowHost });
  const cores = (await import('node:os')).cpus().length;
  const rows: ThroughputRow[] = [];
  const waitDone = async (ids: string[], timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!ids.every((id) => finished.has(id))) {
      if (Date.now() > deadline)
        throw new Error(
          `rollout bench: ${ids.filter((id) => !finished.has(id)).length} trajectories missing after ${timeoutMs / 1000} s`,
        );
      await sleep(100);
    }
  };
  try {
    for (const contexts of options.levels) {
      const count = Math.max(4, contexts * options.tasksPerContext);
      options.say(`rollout: ${contexts} context(s), ${count} trajectories through the rollout service`);
      const { groupId, service } = await startRollout(contexts, `${contexts}`, {
        WEBTRAIL_ROLLOUT_PER_DOMAIN_CONCURRENCY: String(contexts),
      });
      try {
        // One trajectory first: the service has joined its group and launched Chromium before the clock starts.
        const [warm] = benchTasks(options.sandbox, `warm-${contexts}-${Date.now()}`, 1);
        await out.send([
          await out.encode({ topic: TOPICS.tasks.name, key: warm!.taskId, schema: 'Task', value: warm! }),
        ]);
        await waitDone([warm!.taskId], 120_000);
        const roundRows: ThroughputRow[] = [];
        for (let r = 0; r < options.rounds; r += 1) {
          if (options.rounds > 1) options.say(`rollout: ${contexts} context(s), round ${r + 1} of ${options.rounds}`);
          roundRows.push(await measureRound(contexts, count, service.pid!));
        }
        rows.push(medianRow(roundRows));
        const row = rows.at(-1)!;
        options.say(
          `rollout: ${contexts} context(s): ${row.steps_per_s} steps/s vs bare ${row.baseline_steps_per_s} (ratio ${row.ratio}${row.rounds > 1 ? `, median of ${row.round_ratios.join(', ')}` : ''}; whole run ${row.whole_run_ratio})`,
        );
      } finally {
        await stopChild(service);
        await admin.deleteGroups([groupId]).catch(() => undefined);
      }
    }
    const best = rows.reduce<ThroughputRow | undefined>(
      (b, r) => (!b || r.steps_per_s > b.steps_per_s ? r : b),
      undefined,
    );
    return { rows, pacing: best ? await measurePacing(best.contexts) : [] };
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }

  /** The rollout service in a consumer group of its own that starts at the topic's end. */
  async function startRollout(contexts: number, name: string, env: Record<string, string>) {
    const groupId = `${TOPICS.tasks.name}-bench-rollout-${name}-${Date.now()}`;
    const ends = await admin.fetchTopicOffsets(TOPICS.tasks.name);
    await admin.setOffsets({
      groupId,
      topic: TOPICS.tasks.name,
      partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })),
    });
    const service = spawnService(
      stageEntry('rollout'),
      {
        LOG_LEVEL: 'warn',
        WEBTRAIL_HOME: options.home,
        OPENAI_BASE_URL: options.llmUrl,
        OPENAI_MODEL: 'scripted',
        OPENAI_API_KEY: 'unused',
        WEBTRAIL_BROWSER_ALLOW_HOSTS: options.sandbox.allowHost,
        WEBTRAIL_ROLLOUT_GROUP_ID: groupId,
        WEBTRAIL_ROLLOUT_HTTP_PORT: '0',
        WEBTRAIL_ROLLOUT_CONCURRENCY: String(contexts),
        WEBTRAIL_AGENT_LLM_CONCURRENCY: String(contexts),
        ...env,
      },
      path.join(options.home, `rollout-${name}.log`),
    );
    return { groupId, service };
  }

  /**
   * What politeness costs at the best concurrency: the same tasks through the rollout service paced as it
   * runs by default (tasks keyed by site, one trajectory per site at a time, robots.txt and its Crawl-delay)
   * and unpaced (keyed by task id, as many per site as contexts, robots.txt ignored), one after the other.
   */
  async function measurePacing(contexts: number): Promise<PacingRow[]> {
    const rows: PacingRow[] = [];
    for (const spread of [true, false]) rows.push(await measurePacingMix(contexts, spread));
    return rows;
  }

  async function measurePacingMix(contexts: number, spread: boolean): Promise<PacingRow> {
    const count = Math.max(8, contexts * options.tasksPerContext * 2);
    const mix: PacingRow['mix'] = spread ? 'spread' : 'crowded';
    const run = async (paced: boolean): Promise<PacingSide> => {
      const side = `${paced ? 'paced' : 'unpaced'}-${mix}`;
      options.say(`pacing: ${contexts} context(s), ${count} trajectories ${side}`);
      const { groupId, service } = await startRollout(
        contexts,
        `pacing-${side}`,
        paced
          ? { WEBTRAIL_ROLLOUT_PER_DOMAIN_CONCURRENCY: '1', WEBTRAIL_ROBOTS: 'respect' }
          : { WEBTRAIL_ROLLOUT_PER_DOMAIN_CONCURRENCY: String(contexts), WEBTRAIL_ROBOTS: 'ignore' },
      );
      const keyOf = (t: Task) => (paced ? taskRecordKey(t) : t.taskId);
      try {
        const [warm] = benchTasks(options.sandbox, `warm-pacing-${side}-${Date.now()}`, 1);
        await out.send([
          await out.encode({ topic: TOPICS.tasks.name, key: keyOf(warm!), schema: 'Task', value: warm! }),
        ]);
        await waitDone([warm!.taskId], 120_000);
        const tasks = benchTasks(options.sandbox, `pacing-${side}-${Date.now()}`, count, spread);
        const started = performance.now();
        await out.send(
          await Promise.all(
            tasks.map((t) => out.encode({ topic: TOPICS.tasks.name, key: keyOf(t), schema: 'Task', value: t })),
          ),
        );
        await waitDone(
          tasks.map((t) => t.taskId),
          600_000,
        );
        const seconds = (performance.now() - started) / 1000;
        const steps = tasks.reduce((n, t) => n + finished.get(t.taskId)!.steps.length, 0);
        return {
          seconds: round(seconds),
          steps_per_s: round(steps / seconds),
          trajectories_per_min: round((count / seconds) * 60),
          sites: new Set(tasks.map((t) => t.domain)).size,
        };
      } finally {
        await stopChild(service);
        await admin.deleteGroups([groupId]).catch(() => undefined);
      }
    };
    const paced = await run(true);
    const unpaced = await run(false);
    const row = {
      mix,
      contexts,
      trajectories: count,
      paced,
      unpaced,
      cost_percent: round((1 - paced.trajectories_per_min / unpaced.trajectories_per_min) * 100),
    };
    options.say(
      `pacing: ${contexts} context(s), ${mix} over ${paced.sites} sites: paced ${paced.trajectories_per_min} trajectories/min, unpaced ${unpaced.trajectories_per_min} (cost ${row.cost_percent}%)`,
    );
    return row;
  }

  /** One round at a level: the tasks through the running rollout service, then the same tasks in a bare loop. */
  async function measureRound(contexts: number, count: number, servicePid: number): Promise<ThroughputRow> {
    const idleRss = await treePssMb(servicePid);
    const tasks = benchTasks(options.sandbox, `${contexts}-${Date.now()}`, count);
    const sampler = peakSampler(() => treePssMb(servicePid));
    const cpuBefore = cpuTicks();
    const serviceBefore = treeCpuSeconds(servicePid);
    const harnessBefore = process.cpuUsage();
    const sandboxBefore = treeCpuSeconds(options.sandbox.pid).own;
    const startedAt = Date.now();
    const started = performance.now();
    await out.send(
      await Promise.all(
        tasks.map((t) => out.encode({ topic: TOPICS.tasks.name, key: t.taskId, schema: 'Task', value: t })),
      ),
    );
    await waitDone(
      tasks.map((t) => t.taskId),
      600_000,
    );
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuPercent(cpuBefore, cores);
    const serviceAfter = treeCpuSeconds(servicePid);
    const harness = process.cpuUsage(harnessBefore);
    const sandboxCpu = treeCpuSeconds(options.sandbox.pid).own - sandboxBefore;
    const peakRss = Math.max(idleRss, await sampler.stop());
    const steps = tasks.reduce((n, t) => n + finished.get(t.taskId)!.steps.length, 0);
    const split = new SplitTotals();
    const steady = steadyStepsPerSecond({
      startedAt,
      taskStarts: tasks.map((t) => finished.get(t.taskId)!.startedAtMs),
      taskEnds: tasks.map((t) => finished.get(t.taskId)!.endedAtMs),
      stepEnds: tasks.flatMap((t) =>
        finished.get(t.taskId)!.steps.map((s) => s.startedAtMs + s.observeMs + s.llmMs + s.actMs),
      ),
    });
    let busyMs = 0;
    for (const t of tasks) {
      const trajectory = finished.get(t.taskId)!;
      busyMs += trajectory.endedAtMs - trajectory.startedAtMs;
      for (const s of trajectory.steps) split.add(s.observeMs, s.llmMs, s.actMs);
      split.addOutside(
        trajectory.endedAtMs -
          trajectory.startedAtMs -
          trajectory.steps.reduce((ms, s) => ms + s.observeMs + s.llmMs + s.actMs, 0),
      );
    }

    options.say(`rollout: ${contexts} context(s), the same ${count} tasks in a bare Playwright loop`);
    // Unguarded, as a bare Playwright script would run: no egress proxy, Chromium resolving names itself.
    const browser = await chromium.launch({
      executablePath: browserConfig.executablePath,
      headless: true,
      args: BASE_ARGS,
    });
    const limit = pLimit(contexts);
    const bareSplit = new SplitTotals();
    let bareBusyMs = 0;
    const bareTaskStarts: number[] = [];
    const bareTaskEnds: number[] = [];
    const bareStepEnds: number[] = [];
    const bareSampler = peakSampler(bareChromiumPssMb);
    const bareCpuBefore = cpuTicks();
    const bareChromiumBefore = bareChromiumCpuSeconds();
    const bareHarnessBefore = process.cpuUsage();
    const bareSandboxBefore = treeCpuSeconds(options.sandbox.pid).own;
    const bareStartedAt = Date.now();
    const bareStarted = performance.now();
    // The same tasks in the order the pipeline started them (partition order, not list order), so that
    // both sides meet the same mix of long and short tasks, in the tail too.
    const inPipelineOrder = [...tasks].sort(
      (a, b) => finished.get(a.taskId)!.startedAtMs - finished.get(b.taskId)!.startedAtMs,
    );
    const bareSteps = await Promise.all(
      inPipelineOrder.map((t) =>
        limit(async () => {
          const began = performance.now();
          bareTaskStarts.push(Date.now());
          const context = await browser.newContext({ viewport: browserConfig.viewport });
          try {
            const run = await bareTrajectory(
              await context.newPage(),
              t,
              options.latencyMs,
              browserConfig.maxObservationTokens,
              browserConfig.maxDomNodes,
              bareSplit,
              bareStepEnds,
            );
            await context.close();
            bareTaskEnds.push(Date.now());
            bareSplit.addOutside(performance.now() - began - run.inSteps);
            bareBusyMs += performance.now() - began;
            return run.steps;
          } catch (error) {
            await context.close();
            throw error;
          }
        }),
      ),
    );
    const bareSeconds = (performance.now() - bareStarted) / 1000;
    const bareCpu = cpuPercent(bareCpuBefore, cores);
    const bareChromium = bareChromiumCpuSeconds() - bareChromiumBefore;
    const bareHarness = process.cpuUsage(bareHarnessBefore);
    const bareSandboxCpu = treeCpuSeconds(options.sandbox.pid).own - bareSandboxBefore;
    const barePeakRss = await bareSampler.stop();
    await browser.close();
    const bareStepCount = bareSteps.reduce((a, b) => a + b, 0);
    const stepsPerS = steps / seconds;
    const baselineStepsPerS = bareStepCount / bareSeconds;
    const bareSteady = steadyStepsPerSecond({
      startedAt: bareStartedAt,
      taskStarts: bareTaskStarts,
      taskEnds: bareTaskEnds,
      stepEnds: bareStepEnds,
    });
    const ratio = round(steady.stepsPerSecond / bareSteady.stepsPerSecond);
    return {
      contexts,
      trajectories: count,
      steps_per_s: round(steady.stepsPerSecond),
      trajectories_per_min: round((count / seconds) * 60),
      baseline_steps_per_s: round(bareSteady.stepsPerSecond),
      ratio,
      whole_run_steps_per_s: round(stepsPerS),
      baseline_whole_run_steps_per_s: round(baselineStepsPerS),
      whole_run_ratio: round(stepsPerS / baselineStepsPerS),
      baseline_trajectories_per_min: round((count / bareSeconds) * 60),
      trajectory_ratio: round(bareSeconds / seconds),
      steps_per_trajectory: round(steps / count),
      baseline_steps_per_trajectory: round(bareStepCount / count),
      cpu_percent: cpu,
      baseline_cpu_percent: bareCpu,
      cpu_s_per_step: round(((cpu / 100) * seconds) / steps),
      baseline_cpu_s_per_step: round(((bareCpu / 100) * bareSeconds) / bareStepCount),
      chromium_cpu_s_per_step: round3((serviceAfter.descendants - serviceBefore.descendants) / steps),
      baseline_chromium_cpu_s_per_step: round3(bareChromium / bareStepCount),
      service_cpu_s_per_step: round3((serviceAfter.own - serviceBefore.own) / steps),
      harness_cpu_s_per_step: round3(cpuSeconds(harness) / steps),
      baseline_harness_cpu_s_per_step: round3(cpuSeconds(bareHarness) / bareStepCount),
      sandbox_cpu_s_per_step: round3(sandboxCpu / steps),
      baseline_sandbox_cpu_s_per_step: round3(bareSandboxCpu / bareStepCount),
      peak_rss_mb: Math.round(peakRss),
      rss_mb_per_context: Math.round((peakRss - idleRss) / contexts),
      baseline_peak_rss_mb: Math.round(barePeakRss),
      step_ms: split.mean(),
      baseline_step_ms: bareSplit.mean(),
      context_busy_share: round(busyMs / (contexts * seconds * 1000)),
      baseline_context_busy_share: round(bareBusyMs / (contexts * bareSeconds * 1000)),
      rounds: 1,
      round_ratios: [ratio],
    };
  }
}

const round = (x: number) => Math.round(x * 100) / 100;
const round3 = (x: number) => Math.round(x * 1000) / 1000;
const wholeTree = (cpu: { own: number; descendants: number }) => cpu.own + cpu.descendants;
const cpuSeconds = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1e6;
