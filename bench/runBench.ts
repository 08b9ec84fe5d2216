// The benchmark itself (bench/bench.ts sets the topic prefix first): bus overhead and the sink,
// observation cost over the saved-page corpus, and rollout throughput against a bare Playwright loop.
// Writes bench/report.json and bench/report.md.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { TOPIC_PREFIX } from '../schemas/index.ts';
import { createLogger, DEFAULT_TOKENIZER, loadKafkaConfig, ROOT } from '../platform/index.ts';
import { createKafka, ensureTopics } from '../bus/index.ts';
import { pinnedVersion, startKafka } from '../scripts/index.ts';
import { benchBus, type BusFigures } from './bus.ts';
import { benchRollout, type PacingRow, spawnSandboxWeb, spawnScriptedLlm, type ThroughputRow } from './rollout.ts';
import { benchBlobs } from './blobs.ts';
import { benchDashboard, type DashboardFigures } from './dashboard.ts';
import { benchTokens, type TokenFigures } from './tokens.ts';

const { values: raw } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    corpus: { type: 'string', default: path.resolve(ROOT, '../shared/webpages') },
    'latency-ms': { type: 'string', default: '500' },
    levels: { type: 'string' },
    'tasks-per-context': { type: 'string' },
    rounds: { type: 'string' },
    only: { type: 'string' },
  },
});
const args = z
  .object({
    quick: z.boolean(),
    corpus: z.string(),
    latencyMs: z.coerce.number().int().min(0),
    levels: z
      .string()
      .regex(/^\d+(,\d+)*$/, '--levels: a list such as 1,2,4')
      .optional(),
    tasksPerContext: z.coerce
      .number({ message: '--tasks-per-context: a whole number from 1' })
      .int('--tasks-per-context: a whole number from 1')
      .min(1, '--tasks-per-context: a whole number from 1')
      .optional(),
    rounds: z.coerce
      .number({ message: '--rounds: a whole number from 1' })
      .int('--rounds: a whole number from 1')
      .min(1, '--rounds: a whole number from 1')
      .optional(),
    only: z
      .string()
      .regex(
        /^(bus|observation|rollout|blobs|dashboard|tokens)(,(bus|observation|rollout|blobs|dashboard|tokens))*$/,
        '--only: bus, observation, rollout, blobs, dashboard and/or tokens',
      )
      .optional(),
  })
  .safeParse({ ...raw, latencyMs: raw['latency-ms'], tasksPerContext: raw['tasks-per-context'] });
if (!args.success) {
  console.error(`bench: ${args.error.issues[0]!.message}`);
  process.exit(2);
}
const { quick, corpus, latencyMs } = args.data;
const levels = (args.data.levels ?? (quick ? '1,4' : '1,2,4,8,16')).split(',').map(Number);
const only = new Set((args.data.only ?? 'bus,observation,rollout,blobs,dashboard,tokens').split(','));
const say = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const started = Date.now();

const kafkaStart = await startKafka(process.env, say);
const kafka = createKafka(loadKafkaConfig('webtrail-bench'), createLogger('bench', 'fatal'));
const admin = kafka.admin();
await admin.connect();
await ensureTopics(admin);
const home = mkdtempSync(path.join(os.tmpdir(), 'webtrail-bench-'));

let bus: BusFigures | null = null;
let observation: Record<string, unknown> | null = null;
let throughput: ThroughputRow[] = [];
let pacing: PacingRow[] = [];
let blobs: Awaited<ReturnType<typeof benchBlobs>> | null = null;
let dashboard: DashboardFigures | null = null;
let tokens: TokenFigures | null = null;
let failed = false;
try {
  if (only.has('blobs')) blobs = await benchBlobs({ quick, home, say });

  if (only.has('bus')) bus = await benchBus(kafka, admin, { quick, home, say });

  if (only.has('tokens')) {
    if (existsSync(path.join(corpus, 'manifest.jsonl'))) tokens = benchTokens({ corpus, quick, say });
    else say(`tokens: skipped, no corpus at ${corpus} (--corpus DIR)`);
  }

  if (only.has('dashboard')) dashboard = await benchDashboard(kafka, { quick, say });

  if (only.has('observation')) {
    if (existsSync(path.join(corpus, 'manifest.jsonl'))) {
      say(`observation: the saved pages in ${corpus}`);
      const outFile = path.join(home, 'eval-pages.json');
      const result = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          path.join(ROOT, 'bench/evalPages.ts'),
          '--corpus',
          corpus,
          '--out',
          outFile,
          ...(quick ? ['--limit', '20'] : []),
        ],
        { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
      );
      if (result.status !== 0) throw new Error('eval:pages failed');
      const pages = JSON.parse(readFileSync(outFile, 'utf8')) as {
        observed: number;
        tokenizer: string;
        observe_ms: { p50: number; p95: number };
        tokens: { p50: number; over_budget: unknown[] };
        html_tokens_p50: number;
        form_field_recall_percent: number;
      };
      observation = {
        pages: pages.observed,
        p50_ms: pages.observe_ms.p50,
        p95_ms: pages.observe_ms.p95,
        tokenizer: pages.tokenizer,
        tokens_p50: pages.tokens.p50,
        over_budget: pages.tokens.over_budget.length,
        html_tokens_p50: pages.html_tokens_p50,
        form_field_recall_percent: pages.form_field_recall_percent,
      };
    } else {
      say(`observation: skipped, no corpus at ${corpus} (--corpus DIR)`);
    }
  }

  if (only.has('rollout')) {
    const sandbox = await spawnSandboxWeb(path.join(home, 'sandbox-web.log'));
    const llm = await spawnScriptedLlm(latencyMs, path.join(home, 'scripted-llm.log'));
    try {
      ({ rows: throughput, pacing } = await benchRollout(kafka, admin, {
        sandbox,
        llmUrl: llm.url,
        latencyMs,
        levels,
        tasksPerContext: args.data.tasksPerContext ?? (quick ? 1 : 3),
        rounds: args.data.rounds ?? (quick ? 1 : 3),
        home,
        say,
      }));
    } finally {
      await llm.close();
      await sandbox.close();
    }
  }
} catch (error) {
  failed = true;
  say(`bench: ${(error as Error).message}; the services' logs are in ${home}`);
  throw error;
} finally {
  // The benchmark's topics and groups go; the broker is left as it was found. With a fresh admin client:
  // the first one sat idle through the rollout levels (half an hour), past the broker's idle limit, and a
  // request on it timed out. A failed clean-up is said, not thrown: the figures are still reported.
  await admin.disconnect().catch(() => undefined);
  const cleaner = kafka.admin();
  try {
    await cleaner.connect();
    const ours = (await cleaner.listTopics()).filter((t) => t.startsWith(TOPIC_PREFIX));
    if (ours.length) await cleaner.deleteTopics({ topics: ours }).catch(() => undefined);
    const groups = (await cleaner.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(TOPIC_PREFIX));
    if (groups.length) await cleaner.deleteGroups(groups).catch(() => undefined);
  } catch (error) {
    say(
      `bench: could not remove its topics and groups (prefix ${TOPIC_PREFIX}): ${(error as Error).message}; npm run kafka -- topics --delete --topic '${TOPIC_PREFIX}.*' removes them`,
    );
  } finally {
    await cleaner.disconnect().catch(() => undefined);
  }
  if (!failed) rmSync(home, { recursive: true, force: true });
}

const chromium =
  spawnSync(process.env.WEBTRAIL_CHROMIUM ?? '/usr/bin/chromium', ['--version'], { encoding: 'utf8' }).stdout?.trim() ||
  'unknown';
const machine = {
  cpus: os.cpus().length,
  cpu_model: os.cpus()[0]?.model ?? 'unknown',
  memory_gb: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  platform: `${os.platform()} ${os.release()}`,
  chromium,
  kafka: process.env.KAFKA_BROKERS ? `external (${process.env.KAFKA_BROKERS})` : pinnedVersion(),
  llm_latency_ms: latencyMs,
};
const best = throughput.reduce<ThroughputRow | undefined>(
  (b, r) => (!b || r.steps_per_s > b.steps_per_s ? r : b),
  undefined,
);
const lowUpTo8 = throughput
  .filter((r) => r.contexts <= 8)
  .reduce<ThroughputRow | undefined>((b, r) => (!b || r.ratio < b.ratio ? r : b), undefined);
const report = {
  quick,
  generated_at: new Date().toISOString(),
  wall_time_s: Math.round((Date.now() - started) / 1000),
  throughput,
  pacing,
  observation,
  bus,
  blobs,
  dashboard,
  tokens,
  machine,
  targets: {
    ratio_at_best_concurrency: best
      ? { value: best.ratio, contexts: best.contexts, target: '>= 0.9', met: best.ratio >= 0.9 }
      : null,
    lowest_ratio_1_to_8_contexts: lowUpTo8
      ? { value: lowUpTo8.ratio, contexts: lowUpTo8.contexts, target: '>= 0.85', met: lowUpTo8.ratio >= 0.85 }
      : null,
    rss_mb_per_context: throughput.length
      ? {
          value: Math.max(...throughput.map((r) => r.rss_mb_per_context)),
          target: '<= 150',
          met: Math.max(...throughput.map((r) => r.rss_mb_per_context)) <= 150,
        }
      : null,
    bus_p50_ms: bus ? { value: bus.p50_ms, target: '<= 50', met: bus.p50_ms <= 50 } : null,
    sink_examples_per_s: bus
      ? { value: bus.sink_examples_per_s, target: '>= 5000', met: bus.sink_examples_per_s >= 5000 }
      : null,
    token_count_mismatches: tokens
      ? { value: tokens.mismatches, target: `0 (of ${tokens.pages} pages)`, met: tokens.mismatches === 0 }
      : null,
    dashboard_pipeline_page_ms: dashboard
      ? {
          value: dashboard.pipeline_page_ms_p95,
          target: `< 1000 (p95, ${dashboard.trajectories} trajectories)`,
          met: dashboard.pipeline_page_ms_p95 < 1000,
        }
      : null,
    dashboard_peak_rss_mb: dashboard
      ? {
          value: dashboard.peak_rss_mb,
          target: `< 300 (${dashboard.trajectories} trajectories)`,
          met: dashboard.peak_rss_mb < 300,
        }
      : null,
    dashboard_live_update_ms: dashboard
      ? { value: dashboard.live_update_ms_max, target: '<= 2000 (max)', met: dashboard.live_update_ms_max <= 2000 }
      : null,
  },
};
writeFileSync(path.join(ROOT, 'bench/report.json'), `${JSON.stringify(report, null, 2)}\n`);

const md: string[] = [
  `# webtrail benchmark${quick ? ' (quick)' : ''}`,
  '',
  `${report.generated_at}, ${report.wall_time_s} s. Machine: ${machine.cpus} × ${machine.cpu_model}, ${machine.memory_gb} GiB, Node ${machine.node}, ${machine.chromium}, Kafka ${machine.kafka}; scripted LLM latency ${latencyMs} ms per call, served by a process of its own (webtrail scripted-llm).`,
  '',
];
if (throughput.length) {
  md.push(
    '## Rollout throughput',
    '',
    "Steps per second while every context had work (until the first context ran out of tasks; bench/steadyState.ts says why), and over the whole run, tail included. Each level runs its rounds (pipeline, then the bare loop, in turn) and every figure is the median of the rounds'; the ratio is the median of each round's own ratio, all of which are listed.",
    '',
    '| contexts | trajectories per round | steps/s | bare Playwright steps/s | ratio | round ratios | whole run steps/s | bare whole run | whole-run ratio | trajectories/min | CPU % (machine, 100 = one core) | bare CPU % | CPU-s per step | bare CPU-s per step | peak memory MB (PSS) | memory MB per context (PSS) | bare Chromium peak MB (PSS) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const r of throughput)
    md.push(
      `| ${r.contexts} | ${r.trajectories} | ${r.steps_per_s} | ${r.baseline_steps_per_s} | ${r.ratio} | ${r.round_ratios.join(' · ')} | ${r.whole_run_steps_per_s} | ${r.baseline_whole_run_steps_per_s} | ${r.whole_run_ratio} | ${r.trajectories_per_min} | ${r.cpu_percent} | ${r.baseline_cpu_percent} | ${r.cpu_s_per_step} | ${r.baseline_cpu_s_per_step} | ${r.peak_rss_mb} | ${r.rss_mb_per_context} | ${r.baseline_peak_rss_mb} |`,
    );
  {
    md.push(
      '',
      'Mean time per step in ms, observe / LLM / act (acting includes waiting for the page to settle), then per trajectory the time outside its steps (opening a context, the start page, closing); and the share of the contexts’ time spent inside a trajectory:',
      '',
      '| contexts | pipeline | bare | pipeline busy | bare busy |',
      '|---:|---|---|---:|---:|',
    );
    const split = (s: { observe: number; llm: number; act: number; outside_steps_per_trajectory: number }) =>
      `${s.observe} / ${s.llm} / ${s.act}; ${s.outside_steps_per_trajectory}`;
    for (const r of throughput)
      md.push(
        `| ${r.contexts} | ${split(r.step_ms)} | ${split(r.baseline_step_ms)} | ${r.context_busy_share} | ${r.baseline_context_busy_share} |`,
      );
  }
  md.push(
    '',
    "Where a step's CPU goes, in CPU-seconds per step, from each process's own counters (/proc): Chromium (all its processes, those that ended included), the rollout service's Node process, this bench process (it reads the finished trajectories while the pipeline runs, and runs the bare loop itself while that runs), and the sandbox web, which serves both sides from a process of its own.",
    '',
    '| contexts | Chromium, pipeline | Chromium, bare | rollout service | bench process, pipeline | bench process, bare | sandbox web, pipeline | sandbox web, bare |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const r of throughput)
    md.push(
      `| ${r.contexts} | ${r.chromium_cpu_s_per_step} | ${r.baseline_chromium_cpu_s_per_step} | ${r.service_cpu_s_per_step} | ${r.harness_cpu_s_per_step} | ${r.baseline_harness_cpu_s_per_step} | ${r.sandbox_cpu_s_per_step} | ${r.baseline_sandbox_cpu_s_per_step} |`,
    );
  md.push('');
  if (pacing.length)
    md.push(
      '## What pacing costs',
      '',
      `At the best concurrency (${pacing[0]!.contexts} contexts), the same number of trajectories once paced as webtrail runs by default (tasks keyed by site: one trajectory per site at a time, robots.txt and its Crawl-delay kept) and once unpaced (keyed by task id, up to ${pacing[0]!.contexts} per site, robots.txt ignored). Whole runs, from the tasks' send to the last trajectory. *Spread*: the sites' tasks in turn, as a run over many sites meets them; *crowded*: site after site, so a few sites hold all the work at once and pacing caps the concurrency at their number.`,
      '',
      '| mix | sites | trajectories | paced s | unpaced s | paced steps/s | unpaced steps/s | paced trajectories/min | unpaced trajectories/min | cost |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...pacing.map(
        (p) =>
          `| ${p.mix} | ${p.paced.sites} | ${p.trajectories} | ${p.paced.seconds} | ${p.unpaced.seconds} | ${p.paced.steps_per_s} | ${p.unpaced.steps_per_s} | ${p.paced.trajectories_per_min} | ${p.unpaced.trajectories_per_min} | ${p.cost_percent}% |`,
      ),
      '',
    );
}
if (observation)
  md.push(
    '## Observation cost',
    '',
    `${observation.pages} pages: p50 ${observation.p50_ms} ms, p95 ${observation.p95_ms} ms; ${observation.tokenizer} tokens p50 ${observation.tokens_p50} against ${observation.html_tokens_p50} for the raw HTML, ${observation.over_budget} pages over the budget.`,
    '',
  );
if (bus)
  md.push(
    '## Bus',
    '',
    `One hop produce → consume: p50 ${bus.round_trip_p50_ms} ms, p99 ${bus.round_trip_p99_ms} ms. A no-op stage: ${bus.noop_stage_records_per_s} records/s.`,
    `Sites → tasks → trajectories → verdicts → training examples with instant handlers (${bus.records} records at 100/s): p50 ${bus.p50_ms} ms, p99 ${bus.p99_ms} ms end to end.`,
    `The sink: ${bus.sink_examples_per_s} examples/s (durable shards, offsets committed after fsync).`,
    '',
  );
if (dashboard) {
  const d = dashboard;
  md.push(
    '## Dashboard',
    '',
    `\`webtrail dashboard\` reading the records of ${d.trajectories.toLocaleString('en')} trajectories (${d.records.toLocaleString('en')} records, ${d.topic_mb} MiB: five steps each with a page of text, a verdict, an example per step) from the beginning, then following live. Page times are Chromium's navigation to the load event; memory is the dashboard process's own (/proc).`,
    '',
    '| read all s | records/s | resident MB | peak MB | pipeline page ms p50 | p95 | over HTTP ms p50 | trajectory list ms | trajectory page ms | new record on an open page ms p50 | max |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| ${d.read_s} | ${d.records_per_s} | ${d.rss_mb} | ${d.peak_rss_mb} | ${d.pipeline_page_ms_p50} | ${d.pipeline_page_ms_p95} | ${d.pipeline_http_ms_p50} | ${d.trajectories_page_ms_p50} | ${d.trajectory_page_ms_p50} | ${d.live_update_ms_p50} | ${d.live_update_ms_max} |`,
    '',
  );
}
if (blobs) {
  md.push(
    '## Blob store',
    '',
    `Each rollout step stores one screenshot (${blobs.bytes / 1024} KiB here), named by its hash: a folder store writes it (the same bytes again replace their copy), S3 looks it up, then writes it if absent. Writes per second with 8 writers; one writer's time and this process's CPU per step; storing bytes already there (a redelivered step).`,
    '',
    '| backend | writes | writes/s (8 writers) | per step ms p50 | p95 | CPU ms per write | repeat ms p50 |',
    '|---|---:|---:|---:|---:|---:|---:|',
  );
  for (const r of blobs.rows)
    md.push(
      `| ${r.backend} | ${r.writes} | ${r.writes_per_s} | ${r.step_ms_p50} | ${r.step_ms_p95} | ${r.cpu_ms_per_write} | ${r.repeat_ms_p50} |`,
    );
  md.push('');
}
if (tokens) {
  const mb = (n: number) => (n / 1e6).toFixed(2);
  md.push(
    '## Token counts',
    '',
    `Each example's \`tokens\` is counted by ${DEFAULT_TOKENIZER}'s BPE. Over ${tokens.pages} saved pages (${mb(tokens.chars)} M characters, ${tokens.tokens} tokens): the library's encode ${mb(tokens.library_chars_per_s)} M chars/s, webtrail's counter ${mb(tokens.webtrail_chars_per_s)} M chars/s (${mb(tokens.webtrail_warm_chars_per_s)} M once its pieces are known, ${mb(tokens.webtrail_repeat_chars_per_s)} M for a text it has counted before), ${tokens.mismatches} pages counted differently.`,
    '',
  );
}
md.push('## Targets', '', '| target | measured | met |', '|---|---:|---|');
for (const [name, t] of Object.entries(report.targets))
  if (t) md.push(`| ${name} ${t.target} | ${t.value} | ${t.met ? 'yes' : 'no'} |`);
writeFileSync(path.join(ROOT, 'bench/report.md'), `${md.join('\n')}\n`);
console.log(md.join('\n'));
say(
  `bench: wrote bench/report.json and bench/report.md in ${report.wall_time_s} s${kafkaStart.started ? ' (Kafka left running: npm run kafka:stop)' : ''}`,
);
process.exit(0);
