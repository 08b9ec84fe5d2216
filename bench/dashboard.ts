// The dashboard at scale: writes the records of 10,000 trajectories (sites, rejections, tasks,
// trajectories of five steps with pages of text, a verdict each, an example per step) to the benchmark's
// topics, starts `webtrail dashboard` as users do, and measures how fast it reads them, how much memory
// its process holds (resident now, and at its peak), how long the pipeline page takes in Chromium and
// over HTTP, and how soon a new record reaches an open page.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import { chromium } from 'playwright-core';
import { createCodec, type OutputRecord, RecordProducer } from '../bus/index.ts';
import {
  type Site,
  type SiteRejection,
  type Step,
  type Task,
  TOPICS,
  type TrainingExample,
  type Trajectory,
  type Verdict,
} from '../schemas/index.ts';
import { percentile } from '../platform/index.ts';
import { BASE_ARGS, loadBrowserConfig } from '../browser/index.ts';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface DashboardFigures {
  trajectories: number;
  records: number;
  topic_mb: number;
  read_s: number;
  records_per_s: number;
  rss_mb: number;
  peak_rss_mb: number;
  pipeline_page_ms_p50: number;
  pipeline_page_ms_p95: number;
  pipeline_http_ms_p50: number;
  trajectories_page_ms_p50: number;
  trajectory_page_ms_p50: number;
  live_update_ms_p50: number;
  live_update_ms_max: number;
}

const usage = (calls: number) => ({
  calls,
  promptTokens: 900 * calls,
  completionTokens: 40 * calls,
  latencyMs: 800 * calls,
});
const STEPS = 5;
/** A page's text as the agent sees it: a few kilobytes, different per step. */
const pageText = (i: number, step: number) =>
  `# Product ${i} · step ${step}\nURL: https://site-${i % 2000}.example/p/${step}\n${Array.from({ length: 40 }, (_, k) => `[${k + 1}] link "Item ${i}-${step}-${k}" · a line of prose about the thing the task is about, ${k}`).join('\n')}`;

function trajectory(i: number, task: Task): Trajectory {
  const steps: Step[] = Array.from({ length: STEPS }, (_, s) => ({
    index: s,
    url: `https://${task.domain}/p/${s}`,
    title: `Page ${s}`,
    observation: pageText(i, s),
    observationRef: null,
    screenshotRef: null,
    llmOutput: JSON.stringify({
      thought: `Step ${s + 1}: open the next page.`,
      action: {
        kind: s === STEPS - 1 ? 'answer' : 'click',
        elementId: s === STEPS - 1 ? null : 3,
        value: s === STEPS - 1 ? `Answer ${i}` : null,
      },
    }),
    prompt: [
      { role: 'system', content: 'You are a web agent. Reply with JSON.' },
      { role: 'user', content: `Task: ${task.instruction}\n\n${pageText(i, s)}` },
    ],
    promptRef: null,
    action:
      s === STEPS - 1
        ? { kind: 'answer', elementId: null, value: `Answer ${i}`, submit: false }
        : { kind: 'click', elementId: 3, value: null, submit: false },
    result:
      s === STEPS - 1
        ? null
        : { ok: true, error: null, navigated: true, newTab: false, url: `https://${task.domain}/p/${s + 1}` },
    error: null,
    startedAtMs: task.createdAtMs + s * 3000,
    observeMs: 120,
    llmMs: 800,
    actMs: 300,
    usage: usage(1),
    targetBox:
      s === STEPS - 1 ? null : { x: 40, y: 200, width: 120, height: 24, viewportWidth: 1280, viewportHeight: 720 },
    guardEvents: [],
  }));
  const statuses: Array<Trajectory['status']> = ['answered', 'answered', 'answered', 'step_limit', 'error'];
  return {
    trajectoryId: `traj-bench-${i}`,
    runId: `run-bench-${i}`,
    task,
    agentVersion: 'bench@agent.v1',
    steps,
    finalAnswer: `Answer ${i}`,
    finalUrl: steps.at(-1)!.url,
    finalObservation: pageText(i, STEPS),
    finalObservationRef: null,
    status: statuses[i % statuses.length]!,
    statusReason: null,
    notExecutable: null,
    startedAtMs: task.createdAtMs,
    endedAtMs: task.createdAtMs + STEPS * 3000,
    usage: usage(STEPS),
    agentSettings: { model: 'bench' },
    attempt: 0,
    attempts: 1,
    startGuardEvents: [],
  };
}

/** The records of trajectory i and, for the first of its site's tasks, the site's own. */
function recordsOf(i: number, t0: number): OutputRecord[] {
  const domain = `site-${i % 2000}.example`;
  const task: Task = {
    taskId: `task-bench-${i}`,
    domain,
    startUrl: `https://${domain}/`,
    instruction: `Find the price of product ${i}`,
    steps: ['open it'],
    successCriteria: ['the price'],
    generatorVersion: 'bench@gen.v1',
    createdAtMs: t0 + i * 10,
    usage: usage(2),
    lineage: null,
    submissionId: '',
    kind: 'task',
  };
  const t = trajectory(i, task);
  const verdict: Verdict = {
    verdictId: `verdict-bench-${i}`,
    trajectoryId: t.trajectoryId,
    judgeVersion: 'bench@judge.v1',
    success: i % 3 === 0 ? 0 : 1,
    efficiency: 0.8,
    selfCorrection: 0.5,
    reasoning: 'The answer matches the page.',
    judgedAtMs: t.endedAtMs + 1000,
    usage: usage(1),
    trajectory: t,
    refine: false,
  };
  const examples: TrainingExample[] = t.steps.map((s) => ({
    exampleId: `ex-bench-${i}-${s.index}`,
    trajectoryId: t.trajectoryId,
    runId: t.runId,
    taskId: task.taskId,
    domain,
    step: s.index,
    judgeVersion: verdict.judgeVersion,
    agentVersion: t.agentVersion,
    generatorVersion: task.generatorVersion,
    messages: [...s.prompt!, { role: 'assistant', content: s.llmOutput }],
    success: verdict.success,
    efficiency: 0.8,
    selfCorrection: 0.5,
    createdAtMs: verdict.judgedAtMs,
    tokens: 0,
    round: 0,
    parentTaskId: '',
    attempts: 1,
    attempt: 0,
  }));
  const out: OutputRecord[] = [];
  if (i < 2000) {
    const site: Site = { domain, url: task.startUrl, submittedAtMs: t0, source: 'bench', again: false };
    out.push({ topic: TOPICS.sites.name, key: domain, schema: 'Site', value: site });
  }
  if (i % 20 === 0) {
    const rejected = `unsafe-${i}.example`;
    const rejection: SiteRejection = {
      domain: rejected,
      url: `https://${rejected}/`,
      reason: i % 40 === 0 ? 'unsafe' : 'unreachable',
      detail: 'bench',
      category: null,
      generatorVersion: 'bench@gen.v1',
      rejectedAtMs: t0,
      usage: usage(1),
    };
    out.push({ topic: TOPICS.sitesRejected.name, key: rejected, schema: 'SiteRejection', value: rejection });
  }
  out.push({ topic: TOPICS.tasks.name, key: task.taskId, schema: 'Task', value: task });
  out.push({ topic: TOPICS.trajectories.name, key: task.taskId, schema: 'Trajectory', value: t });
  out.push({ topic: TOPICS.verdicts.name, key: t.trajectoryId, schema: 'Verdict', value: verdict });
  for (const x of examples)
    out.push({ topic: TOPICS.trainingExamples.name, key: x.exampleId, schema: 'TrainingExample', value: x });
  return out;
}

/** Resident and peak resident memory of a process, from /proc (the process's own figures, not ours). */
function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rssMb: Math.round(kb('VmRSS') / 1024), peakMb: Math.round(kb('VmHWM') / 1024) };
}

export async function benchDashboard(
  kafka: Kafka,
  options: { quick: boolean; say: (line: string) => void },
): Promise<DashboardFigures> {
  const { say } = options;
  const n = options.quick ? 1000 : 10_000;
  const t0 = Date.now() - 3 * 3600_000;
  say(`dashboard: writing the records of ${n.toLocaleString('en')} trajectories`);
  const producer = kafka.producer();
  await producer.connect();
  const out = new RecordProducer(producer, createCodec(process.env, kafka), { lingerMs: 5, maxBatchRecords: 200 });
  let records = 0;
  let bytes = 0;
  for (let i = 0; i < n; i += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, n - i) }, (_, k) => recordsOf(i + k, t0))
        .flat()
        .map((r) => out.encode(r)),
    );
    records += batch.length;
    bytes += batch.reduce((sum, r) => sum + (r.value?.length ?? 0), 0);
    await out.send(batch);
  }
  say(
    `dashboard: ${records.toLocaleString('en')} records, ${(bytes / 2 ** 20).toFixed(0)} MiB; starting webtrail dashboard`,
  );

  // The dashboard as users start it, under the benchmark's topic prefix (inherited from this process).
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/webtrail.js'), 'dashboard', '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const browser = await chromium.launch({
    executablePath: loadBrowserConfig().executablePath,
    headless: true,
    args: BASE_ARGS,
  });
  try {
    const started = Date.now();
    let url: string | undefined;
    while (!url) {
      if (child.exitCode !== null) throw new Error(`the dashboard exited: ${output}`);
      url = /webtrail dashboard: (http:\/\/\S+?)\/ /.exec(output)?.[1];
      await new Promise((r) => setTimeout(r, 100));
    }
    for (;;) {
      const status = (await (await fetch(`${url}/api/status`)).json()) as { recordsRead: number; trajectories: number };
      if (status.recordsRead >= records) break;
      if (Date.now() - started > 15 * 60_000)
        throw new Error(`the dashboard read ${status.recordsRead} of ${records} records in 15 min`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const readS = (Date.now() - started) / 1000;
    say(`dashboard: read everything in ${readS.toFixed(1)} s`);

    // The pipeline page in Chromium: navigation to the load event, five times.
    const page = await browser.newPage();
    const timeLoad = async (target: string) => {
      const t = performance.now();
      await page.goto(target, { waitUntil: 'load' });
      return performance.now() - t;
    };
    await timeLoad(`${url}/`);
    const pipeline = [];
    for (let k = 0; k < 5; k += 1) pipeline.push(await timeLoad(`${url}/`));
    const http = [];
    for (let k = 0; k < 10; k += 1) {
      const t = performance.now();
      await (await fetch(`${url}/`)).text();
      http.push(performance.now() - t);
    }
    const lists = [];
    for (let k = 0; k < 3; k += 1) lists.push(await timeLoad(`${url}/trajectories?status=answered`));
    const pages = [];
    for (let k = 0; k < 3; k += 1) pages.push(await timeLoad(`${url}/trajectories/traj-bench-${k * 7}`));

    // A new record, and the moment an open page shows it.
    await page.goto(`${url}/`);
    const live: number[] = [];
    for (let k = 0; k < 5; k += 1) {
      const before = await page.locator('[data-card="rejected"] b').textContent();
      const domain = `late-${k}-${Date.now()}.example`;
      const t = performance.now();
      await out.send([
        await out.encode({
          topic: TOPICS.sitesRejected.name,
          key: domain,
          schema: 'SiteRejection',
          value: {
            domain,
            url: `https://${domain}/`,
            reason: 'unsafe',
            detail: 'bench',
            category: null,
            generatorVersion: 'bench',
            rejectedAtMs: Date.now(),
            usage: usage(0),
          },
        }),
      ]);
      await page.waitForFunction((b) => document.querySelector('[data-card="rejected"] b')?.textContent !== b, before, {
        timeout: 10_000,
      });
      live.push(performance.now() - t);
    }
    const memory = memoryOf(child.pid!);
    const inside = (await (await fetch(`${url}/api/status`)).json()) as { memory: Record<string, number> };
    say(
      `dashboard: its own account of its memory (MB): ${Object.entries(inside.memory)
        .map(([k, v]) => `${k} ${Math.round(v / 2 ** 20)}`)
        .join(', ')}`,
    );
    say(
      `dashboard: pipeline page ${percentile(pipeline, 50).toFixed(0)} ms, ${memory.rssMb} MB resident (peak ${memory.peakMb} MB)`,
    );
    return {
      trajectories: n,
      records,
      topic_mb: Math.round(bytes / 2 ** 20),
      read_s: Math.round(readS * 10) / 10,
      records_per_s: Math.round(records / readS),
      rss_mb: memory.rssMb,
      peak_rss_mb: memory.peakMb,
      pipeline_page_ms_p50: Math.round(percentile(pipeline, 50)),
      pipeline_page_ms_p95: Math.round(percentile(pipeline, 95)),
      pipeline_http_ms_p50: Math.round(percentile(http, 50)),
      trajectories_page_ms_p50: Math.round(percentile(lists, 50)),
      trajectory_page_ms_p50: Math.round(percentile(pages, 50)),
      live_update_ms_p50: Math.round(percentile(live, 50)),
      live_update_ms_max: Math.round(Math.max(...live)),
    };
  } finally {
    await browser.close();
    await producer.disconnect();
    child.kill('SIGTERM');
  }
}
