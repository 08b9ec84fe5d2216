// npm run chaos [-- --short] [--mirrors N] [--rounds N] [--sites N] [--drain-timeout S]
//
// The pipeline over the sandbox web (the demo's sites and N mirrors of them) on a broker of its own, with
// faults while work is in flight: the rollout killed after it produced a trajectory and before it committed
// (so the task runs again and a second run of the trajectory reaches the judge and the sink), the sink's
// datasets on a small disk that fills and is then given room, each service SIGKILLed and restarted, the
// broker killed with SIGKILL for 10 s and restarted. At the end it checks what must still hold
// (scripts/chaosInvariants.ts), prints the invariants and the timings, writes chaos-report.json and
// chaos-summary.json, and exits 1 on any breach.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { retry, sleep } from '../platform/index.ts';
import { makeSmallDisk, type SmallDisk } from './smallDisk.ts';
import path from 'node:path';
import { z } from 'zod';

const Options = z.object({
  short: z.boolean().default(false),
  mirrors: z.coerce.number().int().min(0).max(20),
  rounds: z.coerce.number().int().min(1).max(10),
  sites: z.coerce.number().int().min(1).max(1000).optional(),
  drainTimeoutS: z.coerce.number().int().min(10).max(7200).default(600),
  brokerDownS: z.coerce.number().int().min(1).max(120).default(10),
});
type Options = z.infer<typeof Options>;

function parseArgs(argv: string[]): Options {
  const raw: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--short') raw.short = true;
    else if (['--mirrors', '--rounds', '--sites', '--drain-timeout', '--broker-down'].includes(arg)) {
      const value = argv[(i += 1)];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      raw[
        {
          '--mirrors': 'mirrors',
          '--rounds': 'rounds',
          '--sites': 'sites',
          '--drain-timeout': 'drainTimeoutS',
          '--broker-down': 'brokerDownS',
        }[arg]!
      ] = value;
    } else
      throw new Error(
        `unknown option ${arg}; options: --short, --mirrors N, --rounds N, --sites N, --drain-timeout S, --broker-down S`,
      );
  }
  // The short run (in npm test): a few sites, one kill of each kind; the full one: 3 × the demo, twice.
  raw.mirrors ??= raw.short ? 0 : 2;
  raw.rounds ??= 1;
  if (raw.short) raw.sites ??= 4;
  const parsed = Options.safeParse(raw);
  if (!parsed.success)
    throw new Error(parsed.error.issues.map((i) => `--${String(i.path[0])}: ${i.message}`).join('; '));
  return parsed.data;
}

async function freePortPair(): Promise<number> {
  const pair = async () => {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer()
        .once('error', reject)
        .listen(0, '127.0.0.1', () => {
          const { port: got } = server.address() as AddressInfo;
          server.close(() => resolve(got));
        });
    });
    // The broker also needs port + 1 for its controller.
    const nextFree = await new Promise<boolean>((resolve) => {
      const server = createServer()
        .once('error', () => resolve(false))
        .listen(port + 1, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (!nextFree || port >= 65535) throw new Error(`port ${port + 1} is taken`);
    return port;
  };
  return retry(pair, {
    what: 'finding two free neighbouring ports',
    attempts: 50,
    baseMs: 0,
    exhausted: () => new Error('no two free neighbouring ports for the chaos broker'),
  });
}

const say = (line: string) => process.stderr.write(`chaos: ${line}\n`);

let options: Options;
try {
  options = parseArgs(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`chaos: ${(error as Error).message}\n`);
  process.exit(2);
}

// Everything the run touches is its own: a home, a broker on a free port (jars shared with the main home).
const { kafkaPaths, resolveJars, startKafka, stopKafka } = await import('./localKafka.ts');
const { webtrailHome } = await import('../platform/index.ts');
const mainPaths = kafkaPaths(process.env);
resolveJars(mainPaths);
const runId = new Date().toISOString().replace(/[:.]/g, '-');
const home = path.join(webtrailHome(process.env), 'chaos', runId);
mkdirSync(home, { recursive: true });
process.env.WEBTRAIL_HOME = home;
process.env.WEBTRAIL_KAFKA_LIBS = mainPaths.libs;
process.env.WEBTRAIL_KAFKA_PORT = String(await freePortPair());
// Its own schema registry too, beside its own broker.
process.env.WEBTRAIL_SCHEMA_REGISTRY_PORT = String(await (await import('./freePort.ts')).freePort());
delete process.env.KAFKA_BROKERS;
delete process.env.SCHEMA_REGISTRY_URL;
delete process.env.WEBTRAIL_TOPIC_PREFIX;
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const { readShards } = await import('../dataset/index.ts');
const { ensureTopics, fetchGroupPosition } = await import('../bus/index.ts');
const { openKafkaSession } = await import('../bus/index.ts');
const { submitSites } = await import('../cli/index.ts');
const { readTopics } = await import('../bus/index.ts');
const { DEMO_SITES, mirrorName } = await import('../sandbox/index.ts');
const { DLQ_SERVICES, STAGE_INPUTS, TOPICS, dlqTopic } = await import('../schemas/index.ts');
const { SERVICE_NAMES } = await import('../platform/index.ts');
const { drained, startPipeline } = await import('./pipeline.ts');
const { checkInvariants } = await import('./chaosInvariants.ts');
type ChaosData = import('./chaosInvariants.ts').ChaosData;
type ServiceName = (typeof SERVICE_NAMES)[number];

interface Fault {
  kind: 'sigkill' | 'redelivery' | 'disk_full';
  target: ServiceName | 'broker';
  round: number;
  atS: number;
  /** Records the service was handling when it was killed (its in-flight gauge). */
  inFlight?: number;
  /** Until it answered again (ready, or the broker answering). */
  backAfterS?: number;
  skipped?: string;
}

const CHAOS_MAX_TASKS_PER_SITE = 12;
/** The datasets' disk at first (full after a few verdicts), and how long it stays full once the sink paused. */
const DISK_FULL_KIB = 24;
const DISK_FULL_HOLD_S = 8;
const started = Date.now();
const sinceStart = () => Math.round((Date.now() - started) / 100) / 10;
const faults: Fault[] = [];

async function inFlight(port: number): Promise<number> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return Number(/^webtrail_in_flight(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

async function main(): Promise<number> {
  say(`run ${runId} in ${home}`);
  const kafka = await startKafka(process.env, say);
  let pipeline: Awaited<ReturnType<typeof startPipeline>> | undefined;
  const session = await openKafkaSession('webtrail-chaos');
  // The sink's datasets on a disk of DISK_FULL_KIB, in a mount namespace of the run's own.
  const datasets = path.join(home, 'datasets');
  let disk: SmallDisk | undefined;
  let noDisk: string | undefined;
  try {
    disk = await makeSmallDisk(datasets, DISK_FULL_KIB);
  } catch (error) {
    noDisk = (error as Error).message;
    say(`no small disk for the datasets: ${noDisk}`);
  }
  // The rollout kills itself once, after it produced a trajectory and before it committed: redelivery.
  const redeliveryMarker = path.join(home, 'rollout-killed-before-commit');
  try {
    await ensureTopics(session.admin);
    pipeline = await startPipeline({
      home,
      groupSuffix: runId,
      serviceEnv: { rollout: { WEBTRAIL_CRASH_BEFORE_COMMIT: redeliveryMarker } },
      ...(disk ? { wrap: { sink: disk.wrap } } : {}),
      // A real endpoint's latency keeps each stage's work in flight long enough to be killed in the middle of it.
      scripted: { latencyMs: 250 },
      env: {
        LOG_LEVEL: 'info',
        WEBTRAIL_SINK_MAX_SHARD_AGE_MS: '2000',
        WEBTRAIL_ROLLOUT_CONCURRENCY: '4',
        // The refinement loop on, with a cap that bites (the library's ten tasks and two follow-ups).
        WEBTRAIL_REFINER_ROUNDS: '2',
        WEBTRAIL_REFINER_MAX_TASKS_PER_SITE: String(CHAOS_MAX_TASKS_PER_SITE),
        // The short run: a killed member leaves its group after 10 s instead of 30 (the default session), so
        // its successor joins sooner; the full run keeps the defaults.
        ...(options.short
          ? Object.fromEntries(
              SERVICE_NAMES.flatMap((n) => [
                [`WEBTRAIL_${n.toUpperCase()}_SESSION_TIMEOUT_MS`, '10000'],
                [`WEBTRAIL_${n.toUpperCase()}_HEARTBEAT_INTERVAL_MS`, '1000'],
              ]),
            )
          : {}),
      },
    });
    const names = [
      ...DEMO_SITES.map((s) => s.name),
      ...Array.from({ length: options.mirrors }, (_, m) => DEMO_SITES.map((s) => mirrorName(s.name, m + 1))).flat(),
    ];
    const chosen = names.slice(0, options.sites ?? names.length);
    const submitted = await submitSites(chosen.map((n) => pipeline!.sandbox.siteUrl(n)).join('\n'), {
      source: `chaos-${runId}`,
    });
    say(
      `submitted ${submitted.submitted} sites; faults: a redelivery, a full disk, ${options.rounds} round(s) of a SIGKILL of each service and ${options.brokerDownS} s without the broker`,
    );

    // Redelivery: the rollout kills itself at its first commit after writing a trajectory; started again,
    // it gets the same tasks and runs them again. Beside the kill rounds, which leave the rollout alone until it is done.
    const redelivery = (async () => {
      const fault: Fault = { kind: 'redelivery', target: 'rollout', round: 0, atS: sinceStart() };
      const rollout = pipeline.services.get('rollout')!;
      const exited = await Promise.race([rollout.exited.then(() => true), sleep(180_000).then(() => false)]);
      if (!exited || !existsSync(redeliveryMarker)) fault.skipped = 'the rollout did not kill itself within 180 s';
      else {
        fault.atS = sinceStart();
        const killedAt = Date.now();
        await pipeline.stopService('rollout');
        await pipeline.start('rollout');
        fault.backAfterS = Math.round((Date.now() - killedAt) / 100) / 10;
        say(`the rollout killed itself before committing at ${fault.atS} s; ready again after ${fault.backAfterS} s`);
      }
      faults.push(fault);
    })();

    // A full disk: the sink pauses (not ready, nothing dead-lettered) until the disk is given room; the
    // sink's kill round waits for it.
    const diskFull = (async () => {
      const fault: Fault = { kind: 'disk_full', target: 'sink', round: 0, atS: sinceStart() };
      if (!disk) fault.skipped = noDisk ?? 'no small disk';
      else {
        const paused = await waitFor(async () => /paused .*ENOSPC/.test(await readyz(pipeline!, 'sink')), 180_000);
        if (!paused) fault.skipped = `the sink did not pause on its ${DISK_FULL_KIB} KiB disk within 180 s`;
        else {
          fault.atS = sinceStart();
          say(`the sink's disk is full at ${fault.atS} s: the sink paused; room in ${DISK_FULL_HOLD_S} s`);
          await sleep(DISK_FULL_HOLD_S * 1000);
          const roomAt = Date.now();
          disk.grow(256 * 1024);
          const back = await waitFor(async () => (await readyz(pipeline!, 'sink')).startsWith('ok'), 120_000);
          fault.backAfterS = Math.round((Date.now() - roomAt) / 100) / 10;
          if (!back) fault.skipped = 'the sink did not take work again within 120 s of having room';
          else say(`the sink took work again ${fault.backAfterS} s after its disk had room`);
        }
      }
      faults.push(fault);
    })();

    for (let round = 1; round <= options.rounds; round += 1) {
      for (const name of SERVICE_NAMES) {
        if (name === 'rollout') await redelivery;
        if (name === 'sink') await diskFull;
        // Killed while it has work in flight, or the fault proves nothing.
        const deadline = Date.now() + 180_000;
        let busy = 0;
        while (Date.now() < deadline && (busy = await inFlight(pipeline.services.get(name)!.port)) === 0)
          await new Promise((r) => setTimeout(r, 100));
        if (busy === 0) {
          faults.push({
            kind: 'sigkill',
            target: name,
            round,
            atS: sinceStart(),
            skipped: 'no work in flight within 180 s',
          });
          say(`round ${round}: ${name} had no work in flight; not killed`);
          continue;
        }
        const fault: Fault = { kind: 'sigkill', target: name, round, atS: sinceStart(), inFlight: busy };
        await pipeline.stopService(name, 'SIGKILL');
        const killedAt = Date.now();
        await pipeline.start(name);
        fault.backAfterS = Math.round((Date.now() - killedAt) / 100) / 10;
        faults.push(fault);
        say(
          `round ${round}: SIGKILL ${name} with ${busy} in flight at ${fault.atS} s; ready again after ${fault.backAfterS} s`,
        );
      }
      const fault: Fault = { kind: 'sigkill', target: 'broker', round, atS: sinceStart() };
      const pid = Number(readFileSync(kafkaPaths(process.env).pidFile, 'utf8'));
      process.kill(pid, 'SIGKILL');
      say(`round ${round}: SIGKILL the broker at ${fault.atS} s; down for ${options.brokerDownS} s`);
      await new Promise((r) => setTimeout(r, options.brokerDownS * 1000));
      const downAt = Date.now();
      await startKafka(process.env, () => undefined);
      fault.backAfterS = Math.round((Date.now() - downAt) / 100) / 10;
      faults.push(fault);
      say(`round ${round}: the broker answers again after ${fault.backAfterS} s`);
    }

    const lastFault = Date.now();
    const bound = options.drainTimeoutS * 1000;
    let drainedAfterMs: number | null = null;
    while (Date.now() - lastFault < bound) {
      for (const [name, service] of pipeline.services)
        if (service.child.exitCode !== null)
          throw new Error(`${name} exited (${service.child.exitCode}); see ${path.join(home, 'logs', `${name}.log`)}`);
      if (await drained(session.admin, pipeline).catch(() => false)) {
        drainedAfterMs = Date.now() - lastFault;
        break;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    const lags: Record<string, number> = {};
    for (const [name, service] of pipeline.services)
      lags[name] = (
        await fetchGroupPosition(session.admin, service.groupId, STAGE_INPUTS[name]).catch(() => ({ lag: -1 }))
      ).lag;
    say(
      drainedAfterMs === null
        ? `not drained within ${options.drainTimeoutS} s (lag ${JSON.stringify(lags)})`
        : `drained ${(drainedAfterMs / 1000).toFixed(1)} s after the last fault`,
    );
    // A clean shutdown finishes every open shard.
    await pipeline.stop();
    pipeline = undefined;
    // What the small disk holds, copied out of the run's mount namespace to be read.
    const datasetsRead = disk ? path.join(home, 'datasets-on-small-disk') : datasets;
    disk?.copyOut(datasetsRead);

    const data: ChaosData = {
      sites: [],
      rejections: [],
      tasks: [],
      trajectories: [],
      verdicts: [],
      deadLetters: [],
      topicExampleIds: [],
      datasetExamples: [],
      openShards: [],
      drainedAfterMs,
      drainBoundMs: bound,
      maxTasksPerSite: CHAOS_MAX_TASKS_PER_SITE,
    };
    const into: Record<string, unknown[]> = {
      [TOPICS.sites.name]: data.sites,
      [TOPICS.sitesRejected.name]: data.rejections,
      [TOPICS.tasks.name]: data.tasks,
      [TOPICS.trajectories.name]: data.trajectories,
      [TOPICS.verdicts.name]: data.verdicts,
      ...Object.fromEntries(DLQ_SERVICES.map((s) => [dlqTopic(s).name, data.deadLetters])),
    };
    await readTopics([...Object.keys(into), TOPICS.trainingExamples.name], {
      fromBeginning: true,
      follow: false,
      onRecord: (r) => {
        if (r.topic === TOPICS.trainingExamples.name)
          data.topicExampleIds.push((r.value as { exampleId: string }).exampleId);
        else if (r.value !== undefined) into[r.topic]!.push(r.value);
      },
    });
    for (const dir of existsSync(datasetsRead) ? readdirSync(datasetsRead) : []) {
      const folder = path.join(datasetsRead, dir);
      if (!statSync(folder).isDirectory()) continue;
      data.openShards.push(
        ...readdirSync(folder)
          .filter((f) => f.includes('.tmp'))
          .map((f) => path.join(dir, f)),
      );
      for (const e of readShards(folder))
        data.datasetExamples.push({
          exampleId: e.exampleId,
          trajectoryId: e.trajectoryId,
          runId: e.runId,
          judgeVersion: e.judgeVersion,
        });
    }

    const invariants = checkInvariants(data);
    const runsOf = new Map<string, Set<string>>();
    for (const t of data.trajectories)
      runsOf.set(t.trajectoryId, (runsOf.get(t.trajectoryId) ?? new Set()).add(t.runId));
    const judgedRuns = new Set(data.verdicts.map((v) => `${v.trajectoryId}|${v.trajectory.runId}`));
    const redelivered = [...runsOf].filter(
      ([id, runs]) => runs.size > 1 && [...runs].filter((r) => judgedRuns.has(`${id}|${r}`)).length > 1,
    );
    invariants.push({
      name: 'a trajectory ran twice (redelivered) and both runs were judged and reached the sink',
      ok: redelivered.length >= 1,
      detail: `${redelivered.length} trajectories with more than one judged run`,
    });
    const fromDisk = data.deadLetters.filter((d) => /ENOSPC|EDQUOT|no space/i.test(d.error));
    invariants.push({
      name: 'nothing dead-lettered for the full disk',
      ok: fromDisk.length === 0,
      detail: `${fromDisk.length} of ${data.deadLetters.length} dead letters name the disk`,
    });
    const skipped = faults.filter((f) => f.skipped);
    invariants.push({
      name: 'every planned fault happened while there was work in flight',
      ok: skipped.length === 0,
      detail: skipped.length
        ? skipped.map((f) => `${f.target} (round ${f.round}): ${f.skipped}`).join('; ')
        : `${faults.length} faults`,
    });
    const report = {
      run: runId,
      options,
      kafka: kafka.version,
      wall_s: sinceStart(),
      counts: {
        sites: new Set(data.sites.map((s) => s.domain)).size,
        rejected: data.rejections.length,
        tasks: new Set(data.tasks.map((t) => t.taskId)).size,
        trajectories: new Set(data.trajectories.map((t) => t.trajectoryId)).size,
        verdicts: data.verdicts.length,
        examples_on_topic: data.topicExampleIds.length,
        examples_in_dataset: data.datasetExamples.length,
        dead_letters: data.deadLetters.length,
      },
      faults,
      invariants,
      dead_letters: data.deadLetters.map((d) => ({
        service: d.service,
        topic: d.topic,
        partition: d.partition,
        offset: Number(d.offset),
        error: d.error,
      })),
    };
    writeFileSync(path.join(home, 'chaos-report.json'), `${JSON.stringify(report, null, 2)}\n`);
    const summary = {
      faults: faults.map((f) => ({
        kind: f.kind,
        target: f.target,
        at_ms: Math.round(f.atS * 1000),
        recovered_ms: f.backAfterS === undefined ? null : Math.round(f.backAfterS * 1000),
        ...(f.skipped ? { skipped: f.skipped } : {}),
      })),
      invariants: Object.fromEntries(invariants.map((i) => [i.name, i.ok])),
      redelivered_runs: redelivered.length,
      dead_letters: data.deadLetters.length,
      examples_topic: new Set(data.topicExampleIds).size,
      examples_dataset: data.datasetExamples.length,
    };
    writeFileSync(path.join(home, 'chaos-summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    console.log(`\nwebtrail chaos ${runId}: ${report.wall_s} s, Kafka ${report.kafka}`);
    console.log(
      `counts: ${Object.entries(report.counts)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    console.log('faults:');
    for (const f of faults)
      console.log(
        `  ${f.skipped ? 'SKIPPED' : f.kind.toUpperCase()} ${f.target} (round ${f.round}) at ${f.atS} s${f.inFlight ? `, ${f.inFlight} in flight` : ''}${f.backAfterS !== undefined ? `, back after ${f.backAfterS} s` : ''}${f.skipped ? `: ${f.skipped}` : ''}`,
      );
    if (data.deadLetters.length) {
      console.log('dead letters:');
      for (const d of data.deadLetters)
        console.log(`  ${d.service} ${d.topic}[${d.partition}]@${d.offset}: ${d.error.slice(0, 300)}`);
    }
    console.log('invariants:');
    for (const i of invariants) console.log(`  ${i.ok ? 'ok    ' : 'BREACH'} ${i.name}: ${i.detail}`);
    console.log(`report: ${path.join(home, 'chaos-report.json')}, summary: ${path.join(home, 'chaos-summary.json')}`);
    const ok = invariants.every((i) => i.ok);
    console.log(ok ? 'chaos: every invariant held' : 'chaos: BREACH');
    return ok ? 0 : 1;
  } finally {
    await session.close().catch(() => undefined);
    await pipeline?.stop().catch(() => undefined);
    disk?.close();
    await stopKafka(process.env).catch(() => undefined);
  }
}

/** The body of a service's /readyz ('ok', or 'not ok: why'); '' when it does not answer. */
async function readyz(pipeline: Awaited<ReturnType<typeof startPipeline>>, name: ServiceName): Promise<string> {
  const service = pipeline.services.get(name);
  if (!service) return '';
  try {
    return (await (await fetch(`http://127.0.0.1:${service.port}/readyz`)).text()).trim();
  } catch {
    return '';
  }
}

/** Polls (with the retrier) until the check is true (true) or the time is up (false). */
function waitFor(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const until = async () => {
    if (!(await check())) throw new Error('not yet');
  };
  return retry(until, { what: 'waiting', deadlineMs: ms, baseMs: 500, factor: 1, jitter: false }).then(
    () => true,
    () => false,
  );
}

main().then(
  (code) => {
    // A run that held leaves its report and logs, not its broker's data.
    if (code === 0) rmSync(path.join(home, 'kafka'), { recursive: true, force: true });
    process.exit(code);
  },
  (error: unknown) => {
    say(`failed: ${error instanceof Error ? error.message : String(error)}`);
    void stopKafka(process.env).finally(() => process.exit(1));
  },
);
