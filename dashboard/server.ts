// webtrail dashboard: reads every pipeline topic with a consumer group of its own that commits nothing
// (from the beginning of history or from now), samples offsets for rates and lag, and serves the pages
// with Hono. The pipeline page is pushed again over server-sent events whenever something changes.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { type KafkaSession, openKafkaSession, readTopics } from '../bus/index.ts';
import { errorMessage, type Logger, type ServiceName, UserInputError } from '../platform/index.ts';
import { allTopics, TOPICS } from '../schemas/index.ts';
import { FlowHistory, sampleOffsets } from './flow.ts';
import {
  errorPage,
  pipelineFragment,
  pipelinePage,
  sitesPage,
  trajectoriesPage,
  trajectoryHref,
  trajectoryPage,
  type PipelineView,
  type ReaderStatus,
} from './pages.ts';
import { RecordSpill } from './recordSpill.ts';
import { placeholderSvg, ScreenshotCache } from './screenshots.ts';
import { DashboardState, type RunEntry, type TrajectoryEntry, type TrajectoryFilter } from './state.ts';
import type { Prices } from './statsReport.ts';
import type { Screenshot } from './trajectoryPage.ts';
import { z } from 'zod';

export interface DashboardOptions {
  port: number;
  host: string;
  from: 'beginning' | 'now';
  prices: Prices;
  /** Each stage's consumer group, whose lag is shown. */
  groups: Record<ServiceName, string>;
  /** A tracing UI's URL for a trace, with {traceId} in it. */
  traceUrl?: string;
  log: Logger;
  /** How often offsets are sampled. */
  sampleMs?: number;
  /** Refuse to start when no broker answers the first sample (the CLI: one line, exit 2); else keep trying. */
  requireBroker?: boolean;
  /** Where whole trajectories are spilled (default: the system's temporary folder). */
  spillDir?: string;
}

export interface Dashboard {
  url: string;
  state: DashboardState;
  close(): Promise<void>;
}

const LIVE_JS = readFileSync(new URL('./assets/live.js', import.meta.url), 'utf8');
const SECURITY_HEADERS = {
  // Only our own script and images; the inline style attributes place the click outline.
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self'; style-src 'self' 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};
const PUSH_CHECK_MS = 250;
const MIN_PUSH_GAP_MS = 500;

/** The pipeline's topics the dashboard reads: those of records (not the old schema topic nor the registry's store, whose values are JSON). */
export const DASHBOARD_TOPICS = allTopics()
  .filter((t) => t.valueSchema !== null)
  .map((t) => t.name);

const optionalInt = z.preprocess(
  (v) => (v === '' || v === undefined ? undefined : v),
  z.coerce.number().int().min(0).optional(),
);
const TrajectoryQuery = z.object({
  site: z.string().max(300).optional(),
  status: z.enum(['answered', 'step_limit', 'error', 'blocked']).or(z.literal('')).optional(),
  judge: z.string().max(300).optional(),
  success: z.enum(['yes', 'no', 'unjudged']).or(z.literal('')).optional(),
  minSteps: optionalInt,
  maxSteps: optionalInt,
  page: optionalInt,
});

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { log } = options;
  const spill = new RecordSpill(options.spillDir);
  const state = new DashboardState(spill);
  const flow = new FlowHistory(options.groups);
  const screenshots = new ScreenshotCache();
  const reader: ReaderStatus = { from: options.from, problem: null, startedAtMs: Date.now() };
  const stop = new AbortController();
  const readers: Array<Promise<void>> = [];
  const reading = new Set<string>();
  let session: KafkaSession | undefined;

  /** Starts reading the topics not read yet among those that exist (a fresh cluster gets its topics later). */
  function readNewTopics(existing: Set<string>): void {
    const fresh = DASHBOARD_TOPICS.filter((t) => existing.has(t) && !reading.has(t));
    if (fresh.length === 0) return;
    for (const t of fresh) reading.add(t);
    // Topics that appear after the start are read from their beginning: all they hold is new.
    const fromBeginning = options.from === 'beginning' || readers.length > 0;
    const read = (from: boolean): Promise<void> =>
      readTopics(fresh, {
        fromBeginning: from,
        follow: true,
        signal: stop.signal,
        maxBytes: 4 << 20,
        onRecord: (r) => state.add(r),
      }).catch(async (error: unknown) => {
        if (stop.signal.aborted) return;
        reader.problem = errorMessage(error);
        log.warn({ err: error, topics: fresh }, 'reading the topics failed; reading on from now in 5 s');
        await new Promise((r) => setTimeout(r, 5000));
        if (!stop.signal.aborted) return read(false);
      });
    readers.push(read(fromBeginning));
    log.info({ topics: fresh, fromBeginning }, 'reading topics');
  }

  async function sample(): Promise<void> {
    try {
      session ??= await openKafkaSession('webtrail-dashboard');
      const latest = await sampleOffsets(session.admin, options.groups, Date.now());
      flow.add(latest);
      // The sample holds every topic that exists now.
      readNewTopics(new Set(latest.records.keys()));
      reader.problem = null;
    } catch (error) {
      // One line a minute while it lasts, not a stack trace every sample: the page shows the problem too.
      const first = reader.problem === null;
      reader.problem = errorMessage(error);
      const refusingToStart = options.requireBroker && !session;
      if (!refusingToStart && (first || Date.now() - lastSampleWarning >= 60_000)) {
        lastSampleWarning = Date.now();
        log.warn({ err: reader.problem }, 'sampling offsets failed; trying again');
      }
    }
  }
  let lastSampleWarning = 0;
  await sample();
  if (options.requireBroker && reader.problem !== null && !session) {
    spill.close();
    throw new UserInputError(reader.problem);
  }
  const sampler = setInterval(() => void sample(), options.sampleMs ?? 2000);

  let cached: { key: string; fragment: string } | undefined;
  function pipelineView(): PipelineView {
    const latest = flow.latest();
    const topics = DASHBOARD_TOPICS.filter((t) => latest?.records.has(t)).map((topic) => ({
      topic,
      records: latest!.records.get(topic)!,
    }));
    return {
      report: state.report(topics, options.prices),
      flows: flow.stages(),
      topics,
      tasksWithoutTrajectory: state.tasksWithoutTrajectory(),
      deadLetters: state.deadLetters(),
      undecodable: state.undecodableRecords(),
      overTime: state.overTime(Date.now()),
      recordsRead: [...state.read().values()].reduce((a, b) => a + b, 0),
      lastRecordAtMs: state.lastRecordAtMs,
      reader,
      nowMs: Date.now(),
    };
  }
  /** The fragment for the current state, rendered once however many pages are open. */
  function currentFragment(): string {
    const key = `${state.version}/${flow.latest()?.atMs ?? 0}/${reader.problem ?? ''}`;
    if (cached?.key !== key) cached = { key, fragment: pipelineFragment(pipelineView()) };
    return cached.fragment;
  }

  const app = new Hono();
  app.use(async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
  });
  app.onError((error, c) => {
    log.error({ err: error, path: c.req.path }, 'page failed');
    return c.html(errorPage(500, errorMessage(error)), 500);
  });
  app.notFound((c) => c.html(errorPage(404, `There is no page at ${c.req.path}.`), 404));

  app.get('/healthz', (c) => c.text('ok'));
  app.get('/assets/live.js', (c) =>
    c.body(LIVE_JS, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' }),
  );
  app.get('/api/status', (c) => {
    const read = state.read();
    return c.json({
      recordsRead: [...read.values()].reduce((a, b) => a + b, 0),
      perTopic: Object.fromEntries(read),
      trajectories: state.trajectoryCount,
      problem: reader.problem,
      memory: process.memoryUsage(),
      spilledBytes: spill.bytes,
    });
  });
  app.get('/', (c) => c.html(pipelinePage(pipelineView())));
  app.get('/events/pipeline', (c) =>
    streamSSE(c, async (stream) => {
      let sent = '';
      let lastPushAt = 0;
      let lastBeatAt = Date.now();
      stream.onAbort(() => undefined);
      while (!stream.aborted && !stop.signal.aborted) {
        const now = Date.now();
        if (now - lastPushAt >= MIN_PUSH_GAP_MS) {
          const fragment = currentFragment();
          if (fragment !== sent) {
            await stream.writeSSE({ event: 'pipeline', data: fragment });
            sent = fragment;
            lastPushAt = now;
            lastBeatAt = now;
          }
        }
        // A comment now and then keeps proxies from closing an idle stream.
        if (now - lastBeatAt > 15_000) {
          await stream.write(': keep-alive\n\n');
          lastBeatAt = now;
        }
        await stream.sleep(PUSH_CHECK_MS);
      }
    }),
  );

  app.get('/trajectories', (c) => {
    const parsed = TrajectoryQuery.safeParse(c.req.query());
    if (!parsed.success)
      return c.html(
        errorPage(400, `Bad filter: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`),
        400,
      );
    const q = parsed.data;
    const filter: TrajectoryFilter = {
      ...(q.site ? { site: q.site } : {}),
      ...(q.status ? { status: q.status } : {}),
      ...(q.judge ? { judge: q.judge } : {}),
      ...(q.success ? { success: q.success } : {}),
      ...(q.minSteps !== undefined ? { minSteps: q.minSteps } : {}),
      ...(q.maxSteps !== undefined ? { maxSteps: q.maxSteps } : {}),
    };
    return c.html(
      trajectoriesPage(state.listTrajectories(filter), filter, state.judgeVersions(), Math.max(1, q.page ?? 1)),
    );
  });
  app.get('/sites', (c) => c.html(sitesPage(state.report([], options.prices), c.req.query('outcome') || undefined)));

  /** The trajectory and the run asked for (the first recorded unless ?run= names another), or why not. */
  function findRun(c: Context): { entry: TrajectoryEntry; run: RunEntry } | string {
    const id = c.req.param('id') ?? '';
    const entry = state.trajectory(id);
    if (!entry)
      return `No trajectory ${id} has been read from ${TOPICS.trajectories.name}${options.from === 'now' ? ' since the dashboard started (it reads from now; start it with --from beginning to see history)' : ''}.`;
    const runId = c.req.query('run');
    const run = runId === undefined ? entry.runs[0] : entry.runs.find((r) => r.runId === runId);
    if (!run)
      return `Trajectory ${id} has no run ${runId}; its runs: ${entry.runs.map((r) => r.runId || '(none)').join(', ')}.`;
    return { entry, run };
  }

  app.get('/trajectories/:id', async (c) => {
    const found = findRun(c);
    if (typeof found === 'string') return c.html(errorPage(404, found), 404);
    const { entry, run } = found;
    const trajectory = state.run(run);
    const shots = new Map<number, Screenshot>();
    // Each image is checked before the page is sent, so a missing one is said in words on the page.
    await Promise.all(
      trajectory.steps.map(async (step) => {
        if (!step.screenshotRef) return;
        const loaded = await screenshots.load(step.screenshotRef);
        shots.set(
          step.index,
          'bytes' in loaded
            ? {
                src: `${trajectoryHref(entry.trajectoryId)}/steps/${step.index}/screenshot${run === entry.runs[0] ? '' : `?run=${encodeURIComponent(run.runId)}`}`,
              }
            : { src: null, problem: loaded.problem },
        );
      }),
    );
    return c.html(
      trajectoryPage({
        trajectory,
        verdicts: state.verdictsOf(entry.trajectoryId),
        examples: state.examplesOf(entry.trajectoryId),
        screenshots: (step) => shots.get(step.index) ?? { src: null },
        traceId: run.traceId,
        traceUrl: options.traceUrl,
        otherRuns: entry.runs
          .filter((r) => r !== run)
          .map((r) => ({ runId: r.runId, href: trajectoryHref(entry.trajectoryId, r.runId) })),
      }),
    );
  });

  app.get('/trajectories/:id/steps/:index/screenshot', async (c) => {
    const found = findRun(c);
    const placeholder = (problem: string) =>
      c.body(placeholderSvg(problem), 200, {
        'Content-Type': 'image/svg+xml',
        'X-Webtrail-Missing': problem.replace(/[^\x20-\x7e]/g, '?').slice(0, 200),
      });
    if (typeof found === 'string') return placeholder(found);
    const step = state.run(found.run).steps[Number(c.req.param('index'))];
    if (!step?.screenshotRef) return placeholder('this step has no screenshot');
    const loaded = await screenshots.load(step.screenshotRef);
    if (!('bytes' in loaded)) return placeholder(loaded.problem);
    return c.body(new Uint8Array(loaded.bytes), 200, {
      'Content-Type': 'image/jpeg',
      'Cache-Control': 'private, max-age=86400, immutable',
    });
  });

  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port, hostname: options.host }, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  log.info({ url, from: options.from }, 'dashboard listening');

  return {
    url,
    state,
    close: async () => {
      stop.abort();
      clearInterval(sampler);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await Promise.allSettled(readers);
      await session?.close().catch(() => undefined);
      spill.close();
    },
  };
}
