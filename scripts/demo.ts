// npm run demo: Kafka, the sandbox web, the scripted LLM (or the endpoint in OPENAI_BASE_URL) and the
// five services as separate processes (two rounds of follow-up tasks on); submits the sandbox sites, shows progress, waits until every
// site has been carried through, prints a summary and writes $WEBTRAIL_HOME/demo-summary.json.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEMO_SITES } from '../sandbox/index.ts';
import { guardEventsOf, TOPICS, type Verdict } from '../schemas/index.ts';
import { errorMessage, loadBlobConfig, readCheckedBlob, UserInputError, webtrailHome } from '../platform/index.ts';
import { openKafkaSession, readTopics } from '../bus/index.ts';
import { formatTable, submitSites } from '../cli/index.ts';
import { startKafka, stopKafka } from './localKafka.ts';
import { countSince, drained, startPipeline, topicEnds, type Pipeline } from './pipeline.ts';
import { listProcesses } from '../browser/index.ts';
import { datasetDirName, loadDatasetConfig } from '../dataset/index.ts';
import { startS3, stopS3 } from './localS3.ts';

const started = Date.now();
const home = webtrailHome();
const say = (line: string) => process.stderr.write(`${line}\n`);
let pipeline: Pipeline | undefined;
let kafkaStarted = false;
let s3Started = false;

async function main(): Promise<void> {
  const agentErrors = demoAgentErrors(process.env);
  say('demo: starting Kafka…');
  const kafka = await startKafka(process.env, say);
  kafkaStarted = kafka.started;
  const session = await openKafkaSession('webtrail-demo');
  try {
    const { ensureTopics } = await import('../bus/index.ts');
    await ensureTopics(session.admin);
    const startEnds = await topicEnds(session.admin);
    // WEBTRAIL_DEMO_S3=1: screenshots go to the local S3-compatible server (s3proxy), as on a cluster.
    if (process.env.WEBTRAIL_DEMO_S3 === '1') {
      say('demo: starting the local S3 server…');
      const s3 = await startS3(process.env, say);
      s3Started = s3.started;
      Object.assign(process.env, s3.env);
    }
    const blobs = loadBlobConfig();
    say(
      `demo: screenshots go to ${blobs.kind === 'file' ? blobs.root : `s3://${blobs.bucket}/${blobs.prefix} at ${blobs.endpoint ?? 'AWS S3'}`}`,
    );
    say(
      `demo: starting the sandbox web, ${process.env.OPENAI_BASE_URL ? `the LLM at ${process.env.OPENAI_BASE_URL}` : 'the scripted LLM'} and the five services…`,
    );
    // The scripted agent errs as real ones do (a wrong element or value, an early or wrong answer, giving
    // up), so the run has failures for the judge to catch and the sink to leave out.
    // Two rounds of refinement: the sandbox has follow-ups (harder after a success, repaired after a failure)
    // for some tasks; the follow-ups get two attempts each, the sink keeping the better (best-of-n).
    const refinement = {
      WEBTRAIL_REFINER_ROUNDS: process.env.WEBTRAIL_REFINER_ROUNDS ?? '2',
      WEBTRAIL_GENERATOR_EXPLORE: process.env.WEBTRAIL_GENERATOR_EXPLORE ?? 'true',
      WEBTRAIL_ROLLOUT_ATTEMPTS: process.env.WEBTRAIL_ROLLOUT_ATTEMPTS ?? '2',
      WEBTRAIL_ROLLOUT_ATTEMPTS_FROM_ROUND: process.env.WEBTRAIL_ROLLOUT_ATTEMPTS_FROM_ROUND ?? '1',
    };
    pipeline = await startPipeline({
      home,
      startAtEnd: true,
      usualPorts: true,
      sandboxPort: Number(process.env.WEBTRAIL_SANDBOX_PORT ?? 0),
      scripted: { agentErrors, seed: Number(process.env.WEBTRAIL_DEMO_SEED ?? 42) },
      env: refinement,
    });
    // Every Chromium process seen while the demo runs, and those that run without the renderer sandbox.
    const chromium = watchChromium();
    if (!process.env.OPENAI_BASE_URL)
      say(`demo: the scripted agent errs at ${agentErrors} per action (WEBTRAIL_DEMO_AGENT_ERRORS)`);
    const list = DEMO_SITES.map((s) => pipeline!.sandbox.siteUrl(s.name)).join('\n');
    const submitted = await submitSites(list, { source: `demo-${started}`, again: true });
    say(`demo: submitted ${submitted.submitted} sites (logs in ${path.join(home, 'logs')})`);

    const deadline = Date.now() + Number(process.env.WEBTRAIL_DEMO_TIMEOUT_MS ?? 15 * 60_000);
    let counts = { sites: 0, rejected: 0, tasks: 0, trajectories: 0, verdicts: 0, examples: 0 };
    for (;;) {
      const ends = await topicEnds(session.admin);
      counts = {
        sites: countSince(ends, startEnds, TOPICS.sites.name),
        rejected: countSince(ends, startEnds, TOPICS.sitesRejected.name),
        tasks: countSince(ends, startEnds, TOPICS.tasks.name),
        trajectories: countSince(ends, startEnds, TOPICS.trajectories.name),
        verdicts: countSince(ends, startEnds, TOPICS.verdicts.name),
        examples: countSince(ends, startEnds, TOPICS.trainingExamples.name),
      };
      const line = `sites ${counts.sites} · rejected ${counts.rejected} · tasks ${counts.tasks} · trajectories ${counts.trajectories}/${counts.tasks} · verdicts ${counts.verdicts} · examples ${counts.examples} · ${Math.round((Date.now() - started) / 1000)} s`;
      if (process.stderr.isTTY) process.stderr.write(`\r${line}   `);
      else if (Math.round((Date.now() - started) / 1000) % 10 < 2) say(line);
      if (counts.sites > 0 && (await drained(session.admin, pipeline))) break;
      for (const [name, service] of pipeline.services)
        if (service.child.exitCode !== null)
          throw new Error(`${name} exited (${service.child.exitCode}); see ${path.join(home, 'logs', `${name}.log`)}`);
      if (Date.now() > deadline) throw new Error('the pipeline did not finish in time (WEBTRAIL_DEMO_TIMEOUT_MS)');
      await new Promise((r) => setTimeout(r, 1000));
    }
    if (process.stderr.isTTY) process.stderr.write('\n');

    // The run's verdicts: which trajectories the sandbox's own checks call solved, and the judge version
    // that names the dataset.
    const everyVerdict: Verdict[] = [];
    await readTopics([TOPICS.verdicts.name], {
      fromBeginning: true,
      follow: false,
      onRecord: (r) =>
        void (
          BigInt(r.offset) >= (startEnds[TOPICS.verdicts.name]?.get(r.partition) ?? 0n) &&
          everyVerdict.push(r.value as Verdict)
        ),
    });
    // Explorations have no check and no judgement: they are counted apart.
    const explorations = everyVerdict.filter((v) => v.trajectory.task.kind === 'explore').length;
    // And so are the sites that could not be done (not executable): by reason, in no success rate.
    const notExecutable: Record<string, number> = {};
    for (const v of everyVerdict)
      if (v.trajectory.notExecutable) {
        const { reason } = v.trajectory.notExecutable;
        notExecutable[reason] = (notExecutable[reason] ?? 0) + 1;
      }
    const verdicts = everyVerdict.filter((v) => v.trajectory.task.kind !== 'explore' && !v.trajectory.notExecutable);
    const trajectories = verdicts.map((v) => v.trajectory);
    const checks = trajectories.map(
      (t) =>
        pipeline!.sandbox.check({
          instruction: t.task.instruction,
          finalAnswer: t.finalAnswer,
          finalUrl: t.finalUrl,
        }) === true,
    );
    const solved = checks.filter(Boolean).length;
    // What the judge said, against the checks: the judge sees only the trajectory, so it can be wrong.
    const judgedSuccessful = verdicts.map((v) => v.success >= 0.5);
    const agreement = verdicts.length ? judgedSuccessful.filter((j, i) => j === checks[i]).length / verdicts.length : 0;
    const judgeVersion = verdicts[0]?.judgeVersion;
    // Every screenshot a trajectory refers to, fetched here (another process than the rollout that wrote
    // it) and checked against the hash in its name.
    const refs = [
      ...new Set(
        everyVerdict
          .flatMap((v) => v.trajectory.steps.map((s) => s.screenshotRef))
          .filter((r): r is string => r !== null),
      ),
    ];
    let resolved = 0;
    for (const ref of refs) {
      if (
        await readCheckedBlob(ref).then(
          () => true,
          () => false,
        )
      )
        resolved += 1;
      else say(`demo: screenshot ${ref} does not resolve`);
    }
    // Tasks by refinement round, and how many of each round the sites' checks call solved (by any attempt).
    const rounds = new Map<number, { tasks: Set<string>; solved: Set<string> }>();
    trajectories.forEach((t, i) => {
      const round = t.task.lineage?.round ?? 0;
      const r = rounds.get(round) ?? { tasks: new Set<string>(), solved: new Set<string>() };
      r.tasks.add(t.task.taskId);
      if (checks[i]) r.solved.add(t.task.taskId);
      rounds.set(round, r);
    });
    const byRound = [...rounds]
      .sort(([a], [b]) => a - b)
      .map(([round, r]) => `${round}: ${r.tasks.size} (${r.solved.size} solved)`)
      .join(', ');
    // Best-of-n: the tasks given several attempts, and how many attempts they had in all.
    const multi = trajectories.filter((t) => t.attempts > 1);
    const bestOfN = multi.length
      ? `${new Set(multi.map((t) => t.task.taskId)).size} tasks, ${multi.length} attempts (the best judged of each kept)`
      : 'off';
    const summary = {
      ...counts,
      explorations,
      not_executable: notExecutable,
      tasks_by_round: byRound,
      best_of_n: bestOfN,
      solved_by_check: solved,
      judged_successful: judgedSuccessful.filter(Boolean).length,
      judge_agrees_with_checks: `${Math.round(agreement * 1000) / 10}%`,
      screenshots: refs.length,
      screenshots_resolved: resolved,
      browser_sandbox: chromium.report(pipeline.browserSandbox),
      // What the sites themselves saw (the sandbox counts by the prefixes its robots.txt declares): 0 is polite.
      robots_disallowed_requests: pipeline.sandbox.state.robots.disallowedRequests.length,
      robots_txt_fetches: pipeline.sandbox.state.robots.fetches,
      robots_refusals: everyVerdict.reduce(
        (n, v) => n + guardEventsOf(v.trajectory).filter((e) => e.kind === 'robots_disallowed').length,
        0,
      ),
      // Consent popups the browser opted out of, and what the sandbox's consent manager recorded of them.
      consent_opt_outs: everyVerdict.reduce(
        (n, v) => n + guardEventsOf(v.trajectory).filter((e) => e.kind === 'consent_opted_out').length,
        0,
      ),
      consent_choices_recorded: [...pipeline.sandbox.state.consentChoices.values()].join(', ') || 'none',
      user_agents_seen: [...pipeline.sandbox.state.robots.userAgents].join(' | '),
      dataset_dir: judgeVersion ? path.join(loadDatasetConfig().datasetsDir, datasetDirName(judgeVersion)) : null,
      wall_time_s: Math.round((Date.now() - started) / 100) / 10,
    };
    writeFileSync(path.join(home, 'demo-summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    // Ground truth for webtrail eval judge: what the sites' own checks said of each trajectory.
    const labelsFile = path.join(home, 'demo-labels.jsonl');
    writeFileSync(
      labelsFile,
      trajectories
        .map((t, i) => `${JSON.stringify({ trajectoryId: t.trajectoryId, runId: t.runId, success: checks[i] })}\n`)
        .join(''),
    );
    const byStatus = new Map<string, number>();
    for (const t of trajectories) byStatus.set(t.status, (byStatus.get(t.status) ?? 0) + 1);
    console.log(`\nwebtrail demo finished in ${summary.wall_time_s} s\n`);
    console.log(
      formatTable(
        Object.entries(summary)
          .filter(([k]) => k !== 'wall_time_s')
          .map(([k, v]) => ({ what: k, value: typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v) })),
      ),
    );
    console.log(`\ntrajectories by status: ${[...byStatus].map(([s, n]) => `${s} ${n}`).join(', ')}`);
    console.log(`summary: ${path.join(home, 'demo-summary.json')}`);
    console.log(`the judge against the sites' checks: npx webtrail eval judge --labels ${labelsFile}`);
  } finally {
    await session.close();
  }
}

/**
 * Stops what the demo started. After a run that finished, the broker (and the S3 server) stay up so that
 * `npx webtrail dashboard` shows the run, unless WEBTRAIL_DEMO_STOP_KAFKA=1; after a failure they stop
 * unless WEBTRAIL_DEMO_KEEP_KAFKA=1.
 */
async function shutdown(finished: boolean): Promise<void> {
  await pipeline?.stop().catch(() => undefined);
  const keep = finished ? process.env.WEBTRAIL_DEMO_STOP_KAFKA !== '1' : Boolean(process.env.WEBTRAIL_DEMO_KEEP_KAFKA);
  if (kafkaStarted && !keep) await stopKafka().catch(() => undefined);
  if (s3Started && !keep && !process.env.WEBTRAIL_DEMO_KEEP_S3) await stopS3().catch(() => undefined);
  if (finished && keep) {
    console.log('\nsee the run: npx webtrail dashboard   (then open http://127.0.0.1:8790/)');
    const kept = [kafkaStarted && 'Kafka broker', s3Started && 'S3 server'].filter(Boolean);
    if (kept.length)
      console.log(
        `the ${kept.join(' and ')} ${kept.length > 1 ? 'stay' : 'stays'} up for it: ${[kafkaStarted && 'npm run kafka:stop', s3Started && 'npm run s3:stop'].filter(Boolean).join(' and ')} when done`,
      );
  }
}

process.once('SIGINT', () => void shutdown(false).then(() => process.exit(130)));
main().then(
  () => shutdown(true).then(() => process.exit(0)),
  (error: unknown) => {
    say(`\ndemo: ${errorMessage(error)}`);
    void shutdown(false).then(() => process.exit(1));
  },
);

/** The scripted agent's mistake rate in the demo: WEBTRAIL_DEMO_AGENT_ERRORS, 0.08 per action by default. */
function demoAgentErrors(env: NodeJS.ProcessEnv): number {
  const text = env.WEBTRAIL_DEMO_AGENT_ERRORS ?? '0.08';
  const rate = Number(text);
  if (!(text.trim() !== '' && rate >= 0 && rate <= 1))
    throw new UserInputError(
      `invalid configuration: WEBTRAIL_DEMO_AGENT_ERRORS must be a rate from 0 to 1 (e.g. 0.08), got '${text}'`,
    );
  return rate;
}

/** Samples the machine's Chromium processes every second: how many were seen, and which had --no-sandbox. */
function watchChromium(): { report(setting: string): string } {
  const seen = new Set<number>();
  const unsandboxed = new Set<number>();
  const sample = () => {
    for (const p of listProcesses().filter((p) => /chrom/.test(p.args[0] ?? ''))) {
      seen.add(p.pid);
      if (p.args.includes('--no-sandbox')) unsandboxed.add(p.pid);
    }
  };
  const timer = setInterval(sample, 1000);
  timer.unref();
  return {
    report(setting) {
      clearInterval(timer);
      sample();
      return `${setting}: ${seen.size} Chromium processes seen, ${unsandboxed.size} with --no-sandbox`;
    },
  };
}
