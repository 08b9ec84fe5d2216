// The whole pipeline end to end, as users run it: the five services as separate processes over the
// real broker, real Chromium on the sandbox web, the scripted LLM over HTTP misbehaving now and then,
// spans exported over OTLP to a receiver in the test, screenshots in an S3-compatible store (s3proxy).
// Then the sink is killed mid-run, and the trajectories are re-judged under a second judge version.
import { loadTokenizer } from '../platform/tokenizer.ts';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { loadBrowserConfig } from '../browser/browserConfig.ts';
import { BASE_ARGS } from '../browser/browserPool.ts';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replay } from '../cli/replay.ts';
import { submitSites } from '../cli/submit.ts';
import { DEMO_SITES, SITES } from '../sandbox/sites/index.ts';
import { DLQ_SERVICES, STAGE_INPUTS, TOPICS, dlqTopic } from '../schemas/topics.ts';
import type { DeadLetter, SiteRejection, Task, Trajectory, Verdict, TrainingExample } from '../schemas/types.ts';
import { ensureTopics } from '../bus/client.ts';
import { guardEventsOf } from '../schemas/guardEvents.ts';
import { loadPrompt } from '../llm/prompts.ts';
import { loadSinkConfig } from '../services/sink/config.ts';
import { examplesFor } from '../services/sink/examples.ts';
import { datasetDirName } from '../dataset/index.ts';
import type { JudgeEvalReport } from '../eval/judgeEval.ts';
import type { FeasibilityReport } from '../eval/taskFeasibility.ts';
import { startPipeline, topicEnds, countSince, type Pipeline } from '../scripts/pipeline.ts';
import { readTopic, testKafka, waitFor } from './helpers/kafka.ts';
import { restartAfterCrashHook, waitDrained } from './helpers/pipelineRun.ts';
import { runCli } from './helpers/processes.ts';
import type { StatsReport } from '../dashboard/statsReport.ts';
import { startOtlpReceiver } from './helpers/otlp.ts';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { loadRegistryConfig } from '../bus/registry/registryClient.ts';
import { loadKafkaConfig } from '../platform/config.ts';
import { ROOT } from '../platform/spawnTs.ts';
import { toJsonLine } from '../cli/tap.ts';
import { startPrivateS3, stopS3, type LocalS3 } from '../scripts/localS3.ts';

const run = randomUUID().slice(0, 8);
const home = mkdtempSync(path.join(tmpdir(), 'webtrail-e2e-'));
const SECOND_JUDGE = `scripted@judge.v1-rejudge-${run}`;
let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;
let pipeline: Pipeline;
let admin: Admin;
let startEnds: Awaited<ReturnType<typeof topicEnds>>;
let dlqStart: Map<string, bigint>;
let sinkKilledAtExamples = -1;
const crashMarker = path.join(home, 'sink-crash-marker');
const crashAfterMarker = path.join(home, 'sink-crash-after-marker');
let s3: LocalS3;
let s3Env: Record<string, string> | undefined;

/** Records this run wrote to a topic (the broker is shared with other runs). */
async function since<T>(topic: string): Promise<T[]> {
  const records = await readTopic(topic);
  return records.filter((r) => BigInt(r.offset) >= (startEnds[topic]?.get(r.partition) ?? 0n)).map((r) => r.value as T);
}

function datasetRows(judgeVersion: string): Array<Record<string, unknown>> {
  const dir = path.join(home, 'datasets', datasetDirName(judgeVersion));
  return readdirSync(dir)
    .filter((f) => /^part-\d+\.jsonl\.gz$/.test(f))
    .flatMap((f) =>
      gunzipSync(readFileSync(path.join(dir, f)))
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    );
}

/** Waits until the open shard has been finished (by age), so every written example is readable. */
async function settledDataset(judgeVersion: string): Promise<void> {
  const dir = path.join(home, 'datasets', datasetDirName(judgeVersion));
  await waitFor(
    () => (readdirSync(dir).some((f) => f.includes('.tmp')) ? undefined : true),
    20_000,
    `the open shard of ${judgeVersion} to be finished`,
  );
  await new Promise((r) => setTimeout(r, 1200)); // and the card, rewritten at most once a second
}

function hashDir(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((f) => [
        f,
        createHash('sha256')
          .update(readFileSync(path.join(dir, f)))
          .digest('hex'),
      ]),
  );
}

/** Dead letters this run's services wrote (other test files dead-letter their own topics meanwhile). */
async function deadLetters(): Promise<DeadLetter[]> {
  const inputs = new Set<string>(Object.values(STAGE_INPUTS));
  const found: DeadLetter[] = [];
  for (const service of DLQ_SERVICES) {
    const name = dlqTopic(service).name;
    for (const r of await readTopic(name)) {
      if (BigInt(r.offset) < (dlqStart.get(`${name}/${r.partition}`) ?? 0n)) continue;
      const letter = r.value as DeadLetter;
      if (inputs.has(letter.topic)) found.push(letter);
    }
  }
  return found;
}

const untilDrained = (timeoutMs: number) =>
  waitDrained(admin, pipeline, timeoutMs, 'the pipeline to carry every site through');

function checkedBySandbox(t: Trajectory): boolean {
  return (
    pipeline.sandbox.check({ instruction: t.task.instruction, finalAnswer: t.finalAnswer, finalUrl: t.finalUrl }) ===
    true
  );
}

beforeAll(async () => {
  otlp = await startOtlpReceiver();
  ({ s3, serverEnv: s3Env } = await startPrivateS3(path.join(home, 's3-home')));
  admin = testKafka().admin();
  await admin.connect();
  await ensureTopics(admin);
  startEnds = await topicEnds(admin);
  dlqStart = new Map();
  for (const service of DLQ_SERVICES) {
    const name = dlqTopic(service).name;
    for (const p of await admin.fetchTopicOffsets(name)) dlqStart.set(`${name}/${p.partition}`, BigInt(p.high));
  }
  const fastRetries = Object.fromEntries(
    ['GENERATOR', 'AGENT', 'JUDGE'].map((s) => [`WEBTRAIL_${s}_LLM_RETRY_BASE_MS`, '50']),
  );
  pipeline = await startPipeline({
    home,
    groupSuffix: run,
    startAtEnd: true,
    // Light chaos all through the run: every stage must ride out rate limits, server errors and bad JSON.
    // And an agent that errs at 1 action in 10, so the run has failures for the judge to catch.
    scripted: { chaos: { '429': 0.04, '500': 0.04, invalid_json: 0.02 }, seed: 11, record: true, agentErrors: 0.1 },
    // The rollout keeps 2 past steps in its prompt, the sink's own setting says 5: examples must be what
    // the agent was sent all the same. The sink's disk is slow (its writes are grouped for 1.5 s, longer
    // than its commit interval): a commit that did not wait for the write would come first, and be caught.
    serviceEnv: {
      rollout: { WEBTRAIL_ROLLOUT_HISTORY_STEPS: '2' },
      sink: {
        WEBTRAIL_CRASH_BEFORE_COMMIT: crashMarker,
        WEBTRAIL_CRASH_AFTER_COMMIT: crashAfterMarker,
        WEBTRAIL_SINK_FLUSH_INTERVAL_MS: '1500',
      },
    },
    // The receiver shares two busy cores with everything else here: the stages wait for it up to 10 s
    // before committing, so the sink killed mid-run cannot have committed work whose spans were still queued.
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      WEBTRAIL_TRACE_FLUSH_MS: '10000',
      LOG_LEVEL: 'info',
      WEBTRAIL_ROLLOUT_CONCURRENCY: '4',
      WEBTRAIL_SINK_MAX_SHARD_AGE_MS: '1000',
      ...fastRetries,
      ...s3.env,
      WEBTRAIL_BLOB_URL: `s3://webtrail/e2e-${run}`,
    },
  });
  const list = DEMO_SITES.map((s) => pipeline.sandbox.siteUrl(s.name)).join('\n');
  // again: the test broker keeps earlier runs' screenings of these same sites.
  await submitSites(list, { source: `e2e-${run}`, again: true });

  // The sink kills itself twice (SIGKILL, the test hooks): at its first offset commit after writing
  // examples, before committing (they are in the dataset and on the topic, their verdicts not committed:
  // started again, it gets them again); then, started again, right after its next commit (whatever it had
  // committed without having written it durably would be lost).
  for (const when of ['before', 'after']) {
    await restartAfterCrashHook(pipeline, 'sink', 240_000, async () => {
      if (when === 'before')
        sinkKilledAtExamples = countSince(await topicEnds(admin), startEnds, TOPICS.trainingExamples.name);
    });
  }

  await untilDrained(300_000);
}, 600_000);

afterAll(async () => {
  await pipeline?.stop();
  if (s3Env) await stopS3(s3Env);
  await admin?.disconnect();
  await otlp?.close();
});

describe('the pipeline on the sandbox web', () => {
  it('rejects the unsafe site with its reason and proposes the sandbox tasks for every other site', async () => {
    // Other test files may submit sites to the same broker meanwhile; this run's are the sandbox's.
    const rejections = (await since<SiteRejection>(TOPICS.sitesRejected.name)).filter((r) =>
      r.domain.endsWith('.localhost'),
    );
    const casino = SITES.find((s) => s.unsafe)!;
    expect(rejections.map((r) => r.domain)).toEqual([`${casino.name}.localhost`]);
    expect(rejections[0]!.reason).toBe('unsafe');
    expect(rejections[0]!.detail).toMatch(/gambling/i);

    const tasks = await since<Task>(TOPICS.tasks.name);
    const bySite = new Map<string, string[]>();
    for (const t of tasks) bySite.set(t.domain, [...(bySite.get(t.domain) ?? []), t.instruction]);
    for (const site of DEMO_SITES.filter((s) => !s.unsafe)) {
      expect(bySite.get(`${site.name}.localhost`)?.sort(), site.name).toEqual(
        site.tasks.map((t) => t.instruction).sort(),
      );
    }
    expect(new Set(tasks.map((t) => t.taskId)).size).toBe(tasks.length);
    expect(bySite.size).toBe(DEMO_SITES.filter((s) => !s.unsafe).length);
    // The scripted proposer offers the forum a task that changes another member's data: dropped, never a task.
    const unsafeProposals = SITES.flatMap((s) => s.unsafeProposals ?? []).map((u) => u.instruction);
    expect(unsafeProposals.length).toBeGreaterThan(0);
    expect(tasks.filter((t) => unsafeProposals.includes(t.instruction)).map((t) => t.instruction)).toEqual([]);
  });

  it('carries each task to exactly one trajectory and each trajectory to exactly one verdict, losing nothing', async () => {
    const tasks = await since<Task>(TOPICS.tasks.name);
    const trajectories = await since<Trajectory>(TOPICS.trajectories.name);
    const verdicts = await since<Verdict>(TOPICS.verdicts.name);
    expect(trajectories.map((t) => t.task.taskId).sort()).toEqual(tasks.map((t) => t.taskId).sort());
    expect(verdicts.map((v) => v.trajectoryId).sort()).toEqual(trajectories.map((t) => t.trajectoryId).sort());
    expect((await deadLetters()).map((d) => `${d.service}: ${d.error}`)).toEqual([]);
    // The chaos really happened, and every stage rode it out.
    expect(Object.values(pipeline.llm!.stats.misbehaved).reduce((a, b) => a + b, 0)).toBeGreaterThan(5);
    // Every step is recorded with what the agent saw and said, and usage sums up.
    // A site that cannot be done ends before any step (nothing for the agent to do there).
    for (const t of trajectories.filter((x) => !x.notExecutable)) {
      expect(t.steps.length, `${t.task.instruction}: ${t.statusReason}`).toBeGreaterThan(0);
      for (const s of t.steps)
        expect(s.observation.length, `${t.task.instruction}, step ${s.index}: ${s.error}`).toBeGreaterThan(0);
      expect(t.usage.calls).toBeGreaterThanOrEqual(t.steps.filter((s) => s.llmOutput).length);
    }
  });

  it('keeps every screenshot in the S3 store, where webtrail tap fetches each one a trajectory refers to', async () => {
    const trajectories = await since<Trajectory>(TOPICS.trajectories.name);
    const refs = new Set(trajectories.flatMap((t) => t.steps.map((s) => s.screenshotRef)));
    expect(refs.has(null)).toBe(false);
    for (const ref of refs)
      expect(ref).toMatch(new RegExp(`^s3://webtrail/e2e-${run}/screenshots/[0-9a-f]{2}/[0-9a-f]{64}\\.jpg$`));
    const dir = mkdtempSync(path.join(tmpdir(), 'webtrail-e2e-blobs-'));
    const tapped = await runCli(
      [
        'tap',
        TOPICS.trajectories.name,
        '--from-beginning',
        '--filter',
        `value.steps~s3://webtrail/e2e-${run}/`,
        '--save-blobs',
        dir,
      ],
      { env: { ...pipeline.env, ...s3.env }, timeoutMs: 120_000 },
    );
    expect(tapped.code, tapped.stderr).toBe(0);
    expect(tapped.stderr).toBe(`saved ${refs.size} blob(s) to ${dir}\n`);
    for (const ref of refs) {
      const bytes = readFileSync(path.join(dir, path.basename(ref!)));
      expect(`${createHash('sha256').update(bytes).digest('hex')}.jpg`).toBe(path.basename(ref!));
    }
    // And nothing went to the services' own disk.
    expect(existsSync(path.join(home, 'blobs'))).toBe(false);
  });

  it('ends every task on a page the real web would bar as not executable, with its reason, unjudged, untrained and never followed up', async () => {
    const impossible = new Map(
      SITES.flatMap((s) => s.tasks.filter((t) => t.kind === 'not_executable').map((t) => [t.instruction, t.obstacle!])),
    );
    expect(impossible.size).toBe(6);
    const trajectories = (await since<Trajectory>(TOPICS.trajectories.name)).filter((t) =>
      impossible.has(t.task.instruction),
    );
    expect(trajectories.map((t) => [t.task.instruction, t.status, t.notExecutable?.reason]).sort()).toEqual(
      [...impossible].map(([instruction, reason]) => [instruction, 'blocked', reason]).sort(),
    );
    // Not one other trajectory is not executable: the sandbox's ordinary pages are no obstacle.
    const others = (await since<Trajectory>(TOPICS.trajectories.name)).filter(
      (t) => !impossible.has(t.task.instruction) && t.notExecutable,
    );
    expect(others.map((t) => `${t.task.instruction}: ${t.statusReason}`)).toEqual([]);
    // The agent's model was never asked, nor was the judge's.
    expect(trajectories.map((t) => t.usage.calls)).toEqual(trajectories.map(() => 0));
    const verdicts = (await since<Verdict>(TOPICS.verdicts.name)).filter((v) =>
      impossible.has(v.trajectory.task.instruction),
    );
    expect(verdicts.map((v) => v.usage.calls)).toEqual(verdicts.map(() => 0));
    // No training example of them, and no follow-up task from them.
    const ids = new Set(trajectories.map((t) => t.trajectoryId));
    const examples = await since<TrainingExample>(TOPICS.trainingExamples.name);
    expect(examples.filter((e) => ids.has(e.trajectoryId))).toEqual([]);
    const tasks = await since<Task>(TOPICS.tasks.name);
    const parents = new Set(trajectories.map((t) => t.task.taskId));
    expect(tasks.filter((t) => t.lineage && parents.has(t.lineage.parentTaskId)).map((t) => t.instruction)).toEqual([]);
    // A consent popup that can be refused is no obstacle: the shop's daily deals behind Complianz's banner was refused
    // (the site recorded it) before the agent read the page, and its trajectory is an ordinary one.
    const deals = (await since<Trajectory>(TOPICS.trajectories.name)).filter((t) => t.task.startUrl.endsWith('/deals'));
    expect(deals.length).toBeGreaterThan(0);
    for (const t of deals) {
      expect(t.notExecutable).toBeNull();
      expect(guardEventsOf(t).map((e) => e.kind)).toContain('consent_opted_out');
    }
    expect(new Set(pipeline.sandbox.state.consentChoices.values())).toEqual(new Set(['deny']));
  });

  it('ends with solved and failed tasks by the sites own checks, which a judge seeing only the trajectories tells apart', async () => {
    // The sites that could not be done are in no success rate: their verdicts are not judgements.
    const verdicts = (await since<Verdict>(TOPICS.verdicts.name)).filter((v) => !v.trajectory.notExecutable);
    const solved = verdicts.map((v) => checkedBySandbox(v.trajectory));
    const failed = solved.filter((x) => !x).length;
    expect(solved.filter(Boolean).length, 'solved by check').toBeGreaterThanOrEqual(10);
    expect(failed, 'failed by check').toBeGreaterThanOrEqual(3);
    // A judge that always (or never) says success agrees with the checks only as often as the agent
    // succeeds (or fails): about 2 in 3 (1 in 3) here.
    const judged = verdicts.map((v) => v.success >= 0.5);
    const agreement = judged.filter((j, i) => j === solved[i]).length / verdicts.length;
    expect(
      agreement,
      verdicts
        .map((v, i) => `${v.trajectory.task.instruction}: check ${solved[i]}, judge ${v.success} (${v.reasoning})`)
        .join('\n'),
    ).toBeGreaterThanOrEqual(0.9);
    expect(judged.filter((j, i) => !j && !solved[i]).length, 'failures the judge caught').toBeGreaterThanOrEqual(
      Math.ceil(failed * 0.6),
    );
  });

  it('keeps one trace per trajectory with spans from the generator, the rollout, the judge, the sink and the refiner', async () => {
    const trajectories = await since<Trajectory>(TOPICS.trajectories.name);
    const byTask = () => {
      const traces = new Map<string, Set<string>>();
      const servicesOf = new Map<string, Set<string>>();
      for (const s of otlp.spans) {
        const set = servicesOf.get(s.traceId) ?? new Set();
        set.add(s.service);
        servicesOf.set(s.traceId, set);
        const taskId = s.attributes['webtrail.task_id'];
        if (typeof taskId === 'string') traces.set(taskId, (traces.get(taskId) ?? new Set()).add(s.traceId));
      }
      return { traces, servicesOf };
    };
    // The refiner reads every verdict (with refinement off too, as here), so it joins every trajectory's trace.
    const everyStage = [
      'webtrail-generator',
      'webtrail-rollout',
      'webtrail-judge',
      'webtrail-sink',
      'webtrail-refiner',
    ];
    const { traces, servicesOf } = await waitFor(
      () => {
        const got = byTask();
        const complete = trajectories.every((t) =>
          [...(got.traces.get(t.task.taskId) ?? [])].some((id) =>
            everyStage.every((s) => got.servicesOf.get(id)?.has(s)),
          ),
        );
        return complete ? got : undefined;
      },
      30_000,
      'spans of every stage for every trajectory',
    );
    for (const t of trajectories) {
      expect(traces.get(t.task.taskId)?.size, t.task.instruction).toBe(1);
      const traceId = [...traces.get(t.task.taskId)!][0]!;
      expect([...servicesOf.get(traceId)!].sort()).toEqual(everyStage.sort());
      const spans = otlp.spans.filter((s) => s.traceId === traceId);
      // A span per step, each with its observe / LLM / act children and token counts.
      const steps = spans.filter((s) => s.name === 'rollout.step');
      expect(steps.length).toBe(t.steps.length);
      // A site that could not be done has no step (its trace has the other stages all the same).
      if (t.notExecutable) continue;
      const childrenOf = (id: string) => new Set(spans.filter((s) => s.parentSpanId === id).map((s) => s.name));
      expect([...childrenOf(steps[0]!.spanId)]).toEqual(expect.arrayContaining(['rollout.observe', 'llm.call']));
      expect(spans.some((s) => s.name === 'llm.call' && Number(s.attributes['gen_ai.usage.input_tokens']) > 0)).toBe(
        true,
      );
    }
    expect(otlp.rejected).toEqual([]);
  });
});

describe('the dataset', () => {
  it('holds exactly the expected examples, none missing and none twice, after the sink was killed before and after committing', async () => {
    expect(sinkKilledAtExamples).toBeGreaterThan(0);
    expect(readFileSync(crashMarker, 'utf8')).toMatch(/killed itself before committing/);
    expect(readFileSync(crashAfterMarker, 'utf8')).toMatch(/killed itself after committing/);
    const verdicts = await since<Verdict>(TOPICS.verdicts.name);
    // The redelivery happened: examples reached the topic twice (written before the kill, again after).
    const onTopic = (await since<TrainingExample>(TOPICS.trainingExamples.name)).filter(
      (e) => e.judgeVersion === verdicts[0]!.judgeVersion,
    );
    expect(onTopic.length).toBeGreaterThan(new Set(onTopic.map((e) => e.exampleId)).size);
    // Expected rows, from the trajectories by the default filter's rule (InSTA's) and the rule of which
    // steps teach, written here apart from the sink's code: one row per step whose valid action ran.
    const first = verdicts.filter((v) => v.judgeVersion === verdicts[0]!.judgeVersion);
    const kept = first.filter((v) => v.success > 0.5 && (v.efficiency > 0.5 || v.selfCorrection > 0.5));
    const steps = kept.flatMap((v) =>
      v.trajectory.steps
        .filter(
          (st) =>
            st.action && !st.error && (st.action.kind === 'answer' || st.result?.ok) && /"action"/.test(st.llmOutput),
        )
        .map((st) => `${v.trajectoryId}#${st.index}`),
    );
    const rowSteps = datasetRows(verdicts[0]!.judgeVersion).map(
      (r) => `${r.trajectory_id as string}#${r.step as number}`,
    );
    expect(new Set(rowSteps).size).toBe(rowSteps.length);
    expect(rowSteps.sort()).toEqual(steps.sort());
    const config = loadSinkConfig(pipeline.env);
    const expected = verdicts.flatMap((v) =>
      examplesFor(v, {
        filter: config.filter,
        historySteps: config.historySteps,
        maxSteps: config.maxSteps,
        now: () => v.judgedAtMs,
        agentPrompt: (id) => loadPrompt(...(id.split('.') as [string, string])),
      }),
    );
    expect(expected.length).toBeGreaterThan(verdicts.length);
    const judgeVersion = verdicts[0]!.judgeVersion;
    await settledDataset(judgeVersion);
    const rows = datasetRows(judgeVersion);
    const ids = rows.map((r) => r.example_id as string);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(expected.map((e) => e.exampleId).sort());
    // Rows are what TRL reads: system, user, assistant, exactly as the agent saw and said it.
    const sample = expected[0]!;
    const row = rows.find((r) => r.example_id === sample.exampleId)!;
    expect(row.messages).toEqual(sample.messages);
    expect((row.messages as Array<{ role: string }>).map((m) => m.role)).toEqual(['system', 'user', 'assistant']);

    const card = readFileSync(path.join(home, 'datasets', datasetDirName(judgeVersion), 'README.md'), 'utf8');
    expect(card).toContain(`${expected.length}`);
    expect(card).toContain('load_dataset(');
    const longest = Math.max(...rows.map((r) => r.tokens as number));
    expect(card).toMatch(
      new RegExp(
        `^\\| tokens per example \\| p50 ≤ [\\d,]+, p95 ≤ [\\d,]+, longest ${longest.toLocaleString('en-US')} \\(column \`tokens\``,
        'm',
      ),
    );
  });

  it('leaves out every trajectory the judge failed and keeps the ones it passed', async () => {
    const verdicts = await since<Verdict>(TOPICS.verdicts.name);
    const judgeVersion = verdicts[0]!.judgeVersion;
    await settledDataset(judgeVersion);
    const inDataset = new Set(datasetRows(judgeVersion).map((r) => r.trajectory_id as string));
    const failed = verdicts.filter((v) => v.success < 0.5);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.filter((v) => inDataset.has(v.trajectoryId)).map((v) => v.trajectory.task.instruction)).toEqual([]);
    // Passed with no errors along the way (self-correction 1), the default filter keeps them all.
    const clean = verdicts.filter((v) => v.success === 1 && v.selfCorrection === 1);
    expect(clean.length).toBeGreaterThan(0);
    expect(clean.filter((v) => !inDataset.has(v.trajectoryId)).map((v) => v.trajectory.task.instruction)).toEqual([]);
  });

  it('holds every example exactly as the LLM server received and answered it, byte for byte', async () => {
    const verdicts = await since<Verdict>(TOPICS.verdicts.name);
    const judgeVersion = verdicts[0]!.judgeVersion;
    await settledDataset(judgeVersion);
    const rows = datasetRows(judgeVersion);
    expect(rows.length).toBeGreaterThan(0);
    const received = pipeline.llm!.received;
    const qwen = loadTokenizer('qwen2_5');
    const text = (messages: unknown) => JSON.stringify(messages);
    const sent = new Set(received.map((c) => text(c.messages)));
    let withHistory = 0;
    for (const row of rows) {
      const messages = row.messages as Array<{ role: string; content: string }>;
      const prompt = messages.slice(0, -1);
      // The prompt is a request the server received, unchanged.
      expect(sent.has(text(prompt)), `example ${String(row.example_id)}: its prompt was never sent`).toBe(true);
      // The answer is a reply the server sent to it (or to its re-ask, which starts with it).
      const answered = received.some(
        (c) => c.reply === messages.at(-1)!.content && text(c.messages.slice(0, prompt.length)) === text(prompt),
      );
      expect(answered, `example ${String(row.example_id)}: its answer was never sent for that prompt`).toBe(true);
      if (prompt[1]?.content.includes('earlier steps not shown')) withHistory += 1;
      // Its size, as counted here from what the server received: each message by the Qwen tokenizer, 4 tokens of framing each, 3 more.
      expect(row.tokens, `example ${String(row.example_id)}: its token count`).toBe(
        messages.reduce((n, m) => n + qwen.count(m.content) + 4, 3),
      );
    }
    expect(
      withHistory,
      'no example had more past steps than the rollout keeps, so the history settings were not put to the test',
    ).toBeGreaterThan(0);
  });

  it('re-judges every trajectory once under a second judge version into a second dataset, leaving the first byte for byte', async () => {
    const verdicts = await since<Verdict>(TOPICS.verdicts.name);
    const firstDir = path.join(home, 'datasets', datasetDirName(verdicts[0]!.judgeVersion));
    await settledDataset(verdicts[0]!.judgeVersion);
    const before = hashDir(firstDir);

    const result = await replay({ judgeVersion: SECOND_JUDGE, env: { ...pipeline.env, LOG_LEVEL: 'warn' } });
    expect(result.exitCode).toBe(0);
    await untilDrained(120_000);

    // The replay judges the whole topic, older runs' trajectories too (the broker is shared, and
    // trajectory ids are stable per task); this run's are told apart by when they started.
    const trajectories = await since<Trajectory>(TOPICS.trajectories.name);
    const identity = (t: Trajectory) => `${t.trajectoryId}@${t.startedAtMs}`;
    const ours = new Set(trajectories.map(identity));
    const rejudged = (await since<Verdict>(TOPICS.verdicts.name)).filter(
      (v) => v.judgeVersion === SECOND_JUDGE && ours.has(identity(v.trajectory)),
    );
    expect(rejudged.map((v) => identity(v.trajectory)).sort()).toEqual([...ours].sort());

    await settledDataset(SECOND_JUDGE);
    const oursById = new Set(trajectories.map((t) => t.trajectoryId));
    const secondRows = datasetRows(SECOND_JUDGE);
    const ids = secondRows.map((r) => r.example_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(secondRows.filter((r) => oursById.has(r.trajectory_id as string)).length).toBeGreaterThan(0);
    expect(secondRows.every((r) => r.judge_version === SECOND_JUDGE)).toBe(true);
    expect(hashDir(firstDir)).toEqual(before);
  });

  it('webtrail eval judge and eval tasks measure the judges and the tasks against the sites own checks', async () => {
    const verdicts = await since<Verdict>(TOPICS.verdicts.name);
    const labels = path.join(home, 'labels.jsonl');
    // One label per run of this test: the broker also holds earlier runs of the same trajectories, which the
    // second judge re-judged too, and which these labels do not speak for.
    const runOf = (v: Verdict) => `${v.trajectoryId}#${v.trajectory.runId}`;
    const truth = new Map(
      verdicts
        .filter((v) => v.judgeVersion === verdicts[0]!.judgeVersion)
        .map((v) => [runOf(v), checkedBySandbox(v.trajectory)]),
    );
    writeFileSync(
      labels,
      verdicts
        .filter((v) => v.judgeVersion === verdicts[0]!.judgeVersion)
        .map((v) =>
          JSON.stringify({ trajectoryId: v.trajectoryId, runId: v.trajectory.runId, success: truth.get(runOf(v)) }),
        )
        .join('\n'),
    );
    const out = path.join(home, 'eval-judge.json');
    // This run's judge versions (the test broker keeps other runs' verdicts too).
    const versions = [...new Set(verdicts.map((v) => v.judgeVersion))].sort();
    expect(versions).toHaveLength(2);
    const cli = await runCli(['eval', 'judge', '--labels', labels, '--out', out, '--judge-version', ...versions]);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as JudgeEvalReport;
    expect(report.versions.map((v) => v.judgeVersion)).toEqual(versions);
    for (const version of versions) {
      // Counted here from the verdicts and the checks, apart from the code under test.
      // The not-executable runs (one per obstacle task) have verdicts that are no judgements: in no judge's figures.
      const own = verdicts.filter(
        (v) => v.judgeVersion === version && truth.has(runOf(v)) && !v.trajectory.notExecutable,
      );
      expect(own).toHaveLength(
        truth.size - SITES.flatMap((s) => s.tasks.filter((t) => t.kind === 'not_executable')).length,
      );
      const count = (said: boolean, truly: boolean) =>
        own.filter((v) => v.success >= 0.5 === said && truth.get(runOf(v)) === truly).length;
      const got = report.versions.find((v) => v.judgeVersion === version)!.metrics;
      expect(got.confusion).toEqual({
        truePositive: count(true, true),
        falsePositive: count(true, false),
        falseNegative: count(false, true),
        trueNegative: count(false, false),
      });
      expect(got.accuracy).toBeCloseTo((count(true, true) + count(false, false)) / own.length, 10);
      expect(cli.stdout).toContain(version);
    }
    expect(cli.stdout).toMatch(/accuracy\s+precision\s+recall\s+F1\s+kappa/);

    // eval tasks: every task of this run was rolled out once and labelled, so each is decided by its
    // check: feasible exactly when its one trajectory was solved; but one whose trajectory was not
    // executable is decided by nothing (the site made it impossible), and counted in no share.
    const tasksOut = path.join(home, 'eval-tasks.json');
    const feasibility = await runCli(['eval', 'tasks', '--labels', labels, '--out', tasksOut]);
    expect(feasibility.code, feasibility.stderr).toBe(0);
    const tasksReport = JSON.parse(readFileSync(tasksOut, 'utf8')) as FeasibilityReport;
    const first = verdicts.filter((v) => v.judgeVersion === verdicts[0]!.judgeVersion);
    const mine = new Map(first.map((v) => [v.trajectory.task.taskId, truth.get(runOf(v))!]));
    const outcomes = tasksReport.outcomes.filter((o) => mine.has(o.taskId));
    expect(outcomes).toHaveLength(mine.size);
    const impossible = new Set(first.filter((v) => v.trajectory.notExecutable).map((v) => v.trajectory.task.taskId));
    expect(impossible.size).toBe(6);
    for (const o of outcomes)
      expect([o.taskId, o.decidedBy, o.feasible]).toEqual(
        impossible.has(o.taskId) ? [o.taskId, 'not executable', false] : [o.taskId, 'check', mine.get(o.taskId)],
      );
    expect(tasksReport.notExecutable).toBeGreaterThanOrEqual(impossible.size);
    expect(feasibility.stdout).toMatch(/tasks proposed, \d+ rolled out: \d+ feasible/);
  });

  it('webtrail stats reports what the topics hold, per judge version and per site', async () => {
    const cli = await runCli(
      ['stats', '--json', '--judge-version', SECOND_JUDGE, '--price-input', '1', '--price-output', '2'],
      { env: pipeline.env, timeoutMs: 120_000 },
    );
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    const report = JSON.parse(cli.stdout) as StatsReport;
    const allVerdicts = (await readTopic(TOPICS.verdicts.name)).map((r) => r.value as Verdict);
    // Not-executable trajectories are in no judge's figures (their verdicts are not judgements), nor are
    // explorations (no success to judge; the broker may hold the demo's, replayed under this version).
    const second = new Map(
      allVerdicts
        .filter(
          (v) => v.judgeVersion === SECOND_JUDGE && !v.trajectory.notExecutable && v.trajectory.task.kind !== 'explore',
        )
        .map((v) => [v.verdictId, v]),
    );
    const judge = report.judges.find((j) => j.judgeVersion === SECOND_JUDGE)!;
    expect(judge.verdicts).toBe(second.size);
    expect(judge.successRate).toBeCloseTo([...second.values()].filter((v) => v.success >= 0.5).length / second.size, 3);
    expect(judge.successHistogram.reduce((a, b) => a + b, 0)).toBe(second.size);
    const trajectoriesOnTopic = (await admin.fetchTopicOffsets(TOPICS.trajectories.name)).reduce(
      (n, p) => n + Number(p.high) - Number(p.low),
      0,
    );
    expect(report.topics.find((t) => t.topic === TOPICS.trajectories.name)?.records).toBe(trajectoriesOnTopic);
    expect(report.sites.rejectedByReason.unsafe).toBeGreaterThanOrEqual(1);
    const shop = report.perSite.find((s) => s.domain === 'shop.localhost')!;
    const shopTasks = SITES.find((x) => x.name === 'shop')!.tasks.length;
    // Trajectories as the topic holds them, each id once: a reused test broker may also hold an earlier
    // agent version's trajectories of the same tasks (trajectory ids include the agent version).
    const shopTrajectories = new Set(
      (await readTopic(TOPICS.trajectories.name))
        .map((r) => r.value as Trajectory)
        .filter((t) => t.task.domain === 'shop.localhost')
        .map((t) => t.trajectoryId),
    ).size;
    expect(shopTrajectories).toBeGreaterThanOrEqual(shopTasks);
    expect(shop).toMatchObject({ outcome: 'tasks proposed', tasks: shopTasks, trajectories: shopTrajectories });
    // Every stage that called an LLM in this run (refinement is off here: the refiner's figures may be 0,
    // or another run's on a shared broker).
    expect(report.tokens.filter((t) => t.stage !== 'refiner').every((t) => t.calls > 0 && t.promptTokens > 0)).toBe(
      true,
    );
    expect(report.tokens.map((t) => t.stage)).toEqual(['generator', 'agent', 'judge', 'refiner']);
    expect(report.totalCostUsd).toBeGreaterThan(0);
  });
  it('webtrail view writes a trajectory as one HTML file that opens with no server: every step with its screenshot, and every verdict', async () => {
    const trajectories = await since<Trajectory>(TOPICS.trajectories.name);
    const shown = trajectories.find((t) => t.steps.length >= 2)!;
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'webtrail-view-')), 'trajectory.html');
    // The test broker keeps earlier runs of the same sandbox tasks (same trajectory ids): this run's, by its run id.
    const cli = await runCli(['view', shown.trajectoryId, '--run', shown.runId, '--out', out], {
      env: { ...pipeline.env, ...s3.env },
      timeoutMs: 120_000,
    });
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    const shots = new Set(shown.steps.map((s) => s.screenshotRef)).size;
    expect(cli.stdout.split('\n')[0]).toBe(
      `wrote ${out}: ${shown.steps.length} steps, ${shots} screenshot(s), 2 verdict(s)`,
    );
    const browser = await chromium.launch({
      executablePath: loadBrowserConfig().executablePath,
      headless: true,
      args: BASE_ARGS,
    });
    try {
      const page = await browser.newPage();
      await page.goto(pathToFileURL(out).href);
      expect(await page.locator('section.step').count()).toBe(shown.steps.length);
      const widths = await page
        .locator('section.step img')
        .evaluateAll((images) => images.map((i) => (i as HTMLImageElement).naturalWidth));
      expect(widths).toHaveLength(shown.steps.length);
      for (const width of widths) expect(width).toBeGreaterThan(0);
      const judges = await page.locator('table td:first-child code').allTextContents();
      expect(judges.sort()).toEqual(['scripted@judge.v1', SECOND_JUDGE].sort());
      expect(await page.locator('h1').textContent()).toBe(shown.task.instruction);
    } finally {
      await browser.close();
    }
    const unknown = await runCli(['view', 'traj_nope', '--out', out], { env: pipeline.env, timeoutMs: 120_000 });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no trajectory traj_nope on webtrail\.trajectories/);
  });
});

describe('the topics, read with other tools', () => {
  it("decode record for record with Confluent's Python AvroDeserializer and the npm registry client, as webtrail reads them", async () => {
    // Every record the run wrote, on every topic of records.
    const ends = await topicEnds(admin);
    const ranges: Record<string, Record<string, [number, number]>> = {};
    for (const [topic, partitions] of Object.entries(ends)) {
      for (const [partition, end] of partitions) {
        const start = startEnds[topic]?.get(partition) ?? 0n;
        if (end > start) (ranges[topic] ??= {})[String(partition)] = [Number(start), Number(end)];
      }
    }
    const written = [
      TOPICS.sites,
      TOPICS.sitesRejected,
      TOPICS.sitesScreened,
      TOPICS.tasks,
      TOPICS.trajectories,
      TOPICS.verdicts,
      TOPICS.trainingExamples,
    ].map((t) => t.name);
    expect(Object.keys(ranges)).toEqual(expect.arrayContaining(written));

    const python = path.join(ROOT, '.venv/bin/python');
    expect(existsSync(python), 'scripts/setup.sh makes .venv with confluent-kafka').toBe(true);
    const registryUrl = loadRegistryConfig().url;
    const read = await promisify(execFile)(
      python,
      [
        path.join(ROOT, 'test/fixtures/read_topics.py'),
        loadKafkaConfig('python').brokers.join(','),
        registryUrl,
        JSON.stringify(ranges),
      ],
      { encoding: 'utf8', timeout: 240_000, maxBuffer: 1 << 30 },
    );
    const fromPython = JSON.parse(read.stdout) as Record<
      string,
      Array<{ partition: number; offset: number; key: string | null; raw: string; value?: unknown; error?: string }>
    >;
    const npmClient = new SchemaRegistry({ host: registryUrl });
    const plain = (value: unknown) => JSON.parse(toJsonLine(value)) as unknown;

    let records = 0;
    for (const [topic, partitions] of Object.entries(ranges)) {
      const inRange = (partition: number, offset: number) => {
        const [from, to] = partitions[String(partition)] ?? [0, 0];
        return offset >= from && offset < to;
      };
      const ours = new Map(
        (await readTopic(topic))
          .filter((r) => inRange(r.partition, Number(r.offset)))
          .map((r) => [`${r.partition}/${r.offset}`, r]),
      );
      const theirs = fromPython[topic] ?? [];
      expect(theirs.filter((r) => r.error).map((r) => `${topic} ${r.partition}/${r.offset}: ${r.error}`)).toEqual([]);
      expect(theirs.map((r) => `${r.partition}/${r.offset}`).sort(), topic).toEqual([...ours.keys()].sort());
      for (const r of theirs) {
        const mine = ours.get(`${r.partition}/${r.offset}`)!;
        expect(mine.error, `${topic} ${r.partition}/${r.offset}`).toBeUndefined();
        expect(r.key).toBe(mine.key);
        expect(r.value, `${topic} ${r.partition}/${r.offset}`).toEqual(plain(mine.value));
        expect(
          plain(await npmClient.decode(Buffer.from(r.raw, 'base64'))),
          `${topic} ${r.partition}/${r.offset} (npm client)`,
        ).toEqual(plain(mine.value));
        records += 1;
      }
    }
    expect(records).toBeGreaterThan(100);
  }, 300_000);
});
