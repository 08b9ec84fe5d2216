// The dashboard against a real pipeline run: the five services over the real broker on the sandbox web,
// `webtrail dashboard` as users start it, and Chromium reading its pages. Expected figures come from the
// topics themselves (offsets, and the records read back with tap), never from the dashboard's code.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Admin } from 'kafkajs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainingExample, Trajectory, Verdict } from '../schemas/types.ts';
import type { Pipeline } from '../scripts/pipeline.ts';

// The run on topics of its own (a prefix), so the pipelines of other test files on the same broker
// neither take its sites nor add to its counts. The prefix is read when the topic declaration loads,
// so the project's modules are imported after it is set.
const run = randomUUID().slice(0, 8);
const PREFIX = `dash-${run}.`;
process.env.WEBTRAIL_TOPIC_PREFIX = PREFIX;
const { loadBrowserConfig } = await import('../browser/browserConfig.ts');
const { BASE_ARGS } = await import('../browser/browserPool.ts');
const { recordCount } = await import('../bus/client.ts');
const { submitSites } = await import('../cli/submit.ts');
const { DASHBOARD_TOPICS } = await import('../dashboard/server.ts');
const { SERVICE_NAMES } = await import('../platform/config.ts');
const { TOPICS } = await import('../schemas/topics.ts');
const { startPipeline } = await import('../scripts/pipeline.ts');
const { produce, readTopic, testKafka, waitFor } = await import('./helpers/kafka.ts');
const { waitDrained } = await import('./helpers/pipelineRun.ts');
const { ROOT, runCli } = await import('./helpers/processes.ts');
if (!TOPICS.sites.name.startsWith(PREFIX)) throw new Error('the topic prefix was not taken up');

const home = mkdtempSync(path.join(tmpdir(), 'webtrail-dashboard-'));
/** Screenshots of the pages, for a person to look at. */
const OUTPUT = path.join(ROOT, 'test-output', 'dashboard');
const GROUPS = Object.fromEntries(
  SERVICE_NAMES.map((name) => [`WEBTRAIL_${name.toUpperCase()}_GROUP_ID`, `webtrail-${name}-${run}`]),
);

let pipeline: Pipeline;
let admin: Admin;
let dashboard: ChildProcess;
let dashboardOutput = '';
let url: string;
let browser: Browser;
/** Each trajectory's first run on the topic (what lists show; the test broker keeps earlier runs' records of the same tasks). */
let trajectories: Trajectory[];
/** Every run of every trajectory. */
let runs: Trajectory[];
let verdicts: Verdict[];
let examples: TrainingExample[];
/** The trace each trajectory record carries in its traceparent header (the pipeline runs with no collector). */
const traceIds = new Map<string, string>();
/** Screenshots a dashboard page has shown (and so may hold in its cache). */
const shownRefs = new Set<string>();

/** The distinct values of a topic, the first of each id (redeliveries are the same record). */
async function distinct<T>(topic: string, id: (value: T) => string): Promise<T[]> {
  const seen = new Map<string, T>();
  for (const r of await readTopic(topic))
    if (r.value !== undefined && !seen.has(id(r.value as T))) seen.set(id(r.value as T), r.value as T);
  return [...seen.values()];
}

async function topicRecords(topic: string): Promise<number> {
  return recordCount(await admin.fetchTopicOffsets(topic));
}

async function shot(page: Page, name: string, options: { fullPage: boolean } = { fullPage: true }): Promise<void> {
  await page.screenshot({ path: path.join(OUTPUT, `${name}.png`), fullPage: options.fullPage });
}

beforeAll(async () => {
  mkdirSync(OUTPUT, { recursive: true });
  admin = testKafka().admin();
  await admin.connect();
  // The services create the run's topics as they start.
  pipeline = await startPipeline({
    home,
    groupSuffix: run,
    env: {
      WEBTRAIL_ROLLOUT_SCREENSHOTS: 'true',
      WEBTRAIL_ROLLOUT_CONCURRENCY: '4',
      WEBTRAIL_SINK_MAX_SHARD_AGE_MS: '1000',
    },
  });
  // The shop (tasks to carry out) and the casino (screened out as unsafe), screened again for this run.
  await submitSites(['shop', 'casino'].map((s) => pipeline.sandbox.siteUrl(s)).join('\n'), {
    source: `dashboard-${run}`,
    again: true,
  });

  // The dashboard as users start it, while the pipeline runs; it reads all history of the test broker.
  dashboard = spawn(process.execPath, [path.join(ROOT, 'bin/webtrail.js'), 'dashboard', '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, ...GROUPS, WEBTRAIL_HOME: home },
  });
  dashboard.stdout!.on('data', (d: Buffer) => (dashboardOutput += d.toString()));
  dashboard.stderr!.on('data', (d: Buffer) => (dashboardOutput += d.toString()));
  url = await waitFor(
    () => /webtrail dashboard: (http:\/\/\S+?)\/ /.exec(dashboardOutput)?.[1],
    30_000,
    'the dashboard to listen',
  );
  browser = await chromium.launch({
    executablePath: loadBrowserConfig().executablePath,
    headless: true,
    args: BASE_ARGS,
  });

  await waitDrained(admin, pipeline, 300_000, 'the pipeline to carry the sites through');
  trajectories = await distinct<Trajectory>(TOPICS.trajectories.name, (t) => t.trajectoryId);
  runs = await distinct<Trajectory>(TOPICS.trajectories.name, (t) => `${t.trajectoryId} ${t.runId}`);
  for (const r of await readTopic(TOPICS.trajectories.name))
    if (r.traceId) traceIds.set(`${(r.value as Trajectory).trajectoryId} ${(r.value as Trajectory).runId}`, r.traceId);
  verdicts = await distinct<Verdict>(TOPICS.verdicts.name, (v) => v.verdictId);
  examples = await distinct<TrainingExample>(TOPICS.trainingExamples.name, (x) => x.exampleId);
}, 420_000);

afterAll(async () => {
  await browser?.close();
  dashboard?.kill('SIGTERM');
  await pipeline?.stop();
  // The run's topics go; the broker keeps no trace of them.
  const ours = (await admin?.listTopics().catch(() => [] as string[]))?.filter((t) => t.startsWith(PREFIX)) ?? [];
  if (ours.length) await admin.deleteTopics({ topics: ours }).catch(() => undefined);
  await admin?.disconnect();
  delete process.env.WEBTRAIL_TOPIC_PREFIX;
  // home (the services' logs) stays for a failed run to be read.
});

/** This run's trajectories of the shop with at least two steps, all with screenshots. */
function shownTrajectories(): Trajectory[] {
  const mine = runs.filter(
    (t) =>
      t.task.startUrl.startsWith(pipeline.sandbox.siteUrl('shop')) &&
      t.steps.length >= 2 &&
      t.steps.every((s) => s.screenshotRef),
  );
  expect(mine.length).toBeGreaterThanOrEqual(2);
  return mine;
}

describe('the dashboard during a pipeline run', () => {
  it('shows the counts the topics hold, and the success rate the verdicts give', async () => {
    const page = await browser.newPage();
    await page.goto(`${url}/`);
    // Topics of records only: the registry's store and the old schema topic hold JSON, not records.
    expect(DASHBOARD_TOPICS).not.toContain(TOPICS.schemaRegistry.name);
    expect(DASHBOARD_TOPICS).not.toContain(TOPICS.schemas.name);
    for (const topic of DASHBOARD_TOPICS) {
      const expected = await topicRecords(topic);
      // Offsets are sampled every 2 s and pushed live: wait for the page to show what the topic holds now.
      await page.waitForFunction(
        ([t, n]) => document.querySelector(`[data-topic-records="${t}"]`)?.textContent === String(n),
        [topic, expected] as const,
        { timeout: 10_000 },
      );
    }
    const cards = async (name: string) =>
      (await page.locator(`[data-card="${name}"] b`).textContent())?.replace(/,/g, '');
    await expect.poll(() => cards('trajectories'), { timeout: 10_000 }).toBe(String(trajectories.length));
    // The rate by hand: verdicts of the version at ≥ 0.5 over all its verdicts, but those of trajectories
    // the site made impossible (not executable), which are no judgements.
    const version = verdicts.find((v) =>
      v.trajectory.task.startUrl.startsWith(pipeline.sandbox.siteUrl('shop')),
    )!.judgeVersion;
    const ofVersion = verdicts.filter((v) => v.judgeVersion === version && !v.trajectory.notExecutable);
    expect(verdicts.some((v) => v.judgeVersion === version && v.trajectory.notExecutable)).toBe(true);
    const rate = `${((Math.round((ofVersion.filter((v) => v.success >= 0.5).length / ofVersion.length) * 1000) / 1000) * 100).toFixed(1)}%`;
    expect(await page.locator(`tr[data-judge="${version}"] [data-success-rate]`).textContent()).toBe(rate);
    // The casino was screened out as unsafe: the reason is on the page.
    expect(await page.locator('body').textContent()).toMatch(/unsafe \d+/);
    await shot(page, 'pipeline');
    await page.close();
  });

  it('shows a record produced now within 2 s, without reloading', async () => {
    const page = await browser.newPage();
    await page.goto(`${url}/`);
    const card = page.locator('[data-card="rejected"] b');
    const before = Number((await card.textContent())!.replace(/,/g, ''));
    const domain = `late-${run}.example`;
    await produce(testKafka(), [
      {
        topic: TOPICS.sitesRejected.name,
        key: domain,
        schema: 'SiteRejection',
        value: {
          domain,
          url: `https://${domain}/`,
          reason: 'unsafe',
          detail: 'produced by the test',
          category: 'gambling',
          generatorVersion: 'test',
          rejectedAtMs: Date.now(),
          usage: { calls: 0, promptTokens: 0, completionTokens: 0, latencyMs: 0 },
        },
      },
    ]);
    await page.waitForFunction(
      (n) => document.querySelector('[data-card="rejected"] b')?.textContent?.replace(/,/g, '') === String(n),
      before + 1,
      { timeout: 2000 },
    );
    await page.close();
  });

  /** Steps whose acted-on element was on screen when the screenshot was taken. */
  const onScreen = (t: Trajectory) =>
    t.steps.filter(
      (s) => s.targetBox && s.targetBox.y + s.targetBox.height > 0 && s.targetBox.y < s.targetBox.viewportHeight,
    ).length;

  it('shows a trajectory: every step with its decoded screenshot, the click outlined, the verdict and the examples', async () => {
    const t = shownTrajectories().find((x) => onScreen(x) > 0);
    if (!t) throw new Error('no trajectory of this run acted on an element in view');
    for (const s of t.steps) if (s.screenshotRef) shownRefs.add(s.screenshotRef);
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    await page.goto(`${url}/trajectories/${encodeURIComponent(t.trajectoryId)}?run=${encodeURIComponent(t.runId)}`);
    await expect.poll(() => page.locator('section.step').count()).toBe(t.steps.length);
    const images = page.locator('.shot img');
    expect(await images.count()).toBe(t.steps.length);
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll<HTMLImageElement>('.shot img')).every((img) => img.complete),
    );
    const widths = await images.evaluateAll((imgs) => imgs.map((img) => (img as HTMLImageElement).naturalWidth));
    expect(widths.every((w) => w > 0)).toBe(true);
    // Every step that acted on an element on screen has its outline.
    expect(await page.locator('.shot .target').count()).toBe(onScreen(t));
    for (const v of verdicts.filter((x) => x.trajectoryId === t.trajectoryId && x.trajectory.runId === t.runId)) {
      expect(await page.locator(`table.verdicts tr[data-judge="${v.judgeVersion}"] td`).nth(1).textContent()).toBe(
        String(v.success),
      );
    }
    // Its trace, as the record's header carries it, even with no collector configured.
    const traceId = traceIds.get(`${t.trajectoryId} ${t.runId}`);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(await page.locator('p.meta').first().textContent()).toContain(`trace ${traceId}`);
    // Its examples, one row each; a trajectory the sink left out (or not written yet) says so instead.
    const itsExamples = examples.filter((x) => x.trajectoryId === t.trajectoryId && x.runId === t.runId).length;
    expect(await page.locator('table.examples tr:has(td)').count()).toBe(itsExamples);
    if (itsExamples === 0) expect(await page.getByText('None from this run').count()).toBe(1);
    // The first outlined click, in view (docs/dashboard-trajectory.png is one of these).
    await page
      .locator('.shot .target')
      .first()
      .evaluate((el) => el.closest('section')!.scrollIntoView());
    await shot(page, 'trajectory', { fullPage: false });
    await page.close();
  });

  it('filters trajectories by site, status and success, with a URL that can be shared', async () => {
    const page = await browser.newPage();
    const shop = new URL(pipeline.sandbox.siteUrl('shop')).host.split(':')[0]!;
    await page.goto(`${url}/trajectories`);
    await page.fill('input[name="site"]', shop);
    await page.selectOption('select[name="status"]', 'answered');
    await page.click('button[type="submit"]');
    await page.waitForURL(/site=/);
    expect(page.url()).toContain(`site=${encodeURIComponent(shop)}`);
    const expected = trajectories.filter((t) => t.task.domain.includes(shop) && t.status === 'answered').length;
    expect(await page.locator('tr[data-trajectory]').count()).toBe(Math.min(100, expected));
    // The same URL opened afresh shows the same list.
    const again = await browser.newPage();
    await again.goto(page.url());
    expect(await again.locator('tr[data-trajectory]').count()).toBe(Math.min(100, expected));
    // A status the site's trajectories ended with, and one they did not (each by the records).
    for (const status of ['answered', 'step_limit', 'error'] as const) {
      await again.goto(`${url}/trajectories?site=${encodeURIComponent(shop)}&status=${status}`);
      const n = trajectories.filter((t) => t.task.domain.includes(shop) && t.status === status).length;
      expect(await again.locator('#matching').textContent()).toMatch(new RegExp(`^${n.toLocaleString('en')} matching`));
    }
    // Success "no" under a judge version: those judged below 0.5 by it.
    const version = verdicts[0]!.judgeVersion;
    await again.goto(`${url}/trajectories?judge=${encodeURIComponent(version)}&success=no`);
    const failedIds = new Set(
      trajectories
        .map((t) => {
          const mine = verdicts
            .filter(
              (v) =>
                v.trajectoryId === t.trajectoryId &&
                v.judgeVersion === version &&
                (v.trajectory.runId === t.runId || v.trajectory.runId === ''),
            )
            .sort((a, b) => b.judgedAtMs - a.judgedAtMs)[0];
          return mine && mine.success < 0.5 ? t.trajectoryId : null;
        })
        .filter(Boolean),
    );
    expect(await again.locator('#matching').textContent()).toMatch(
      new RegExp(`^${failedIds.size.toLocaleString('en')} matching`),
    );
    await page.close();
    await again.close();
  });

  it('writes a standalone page that opens with no server and shows the same steps', async () => {
    const t = shownTrajectories()[0]!;
    const out = path.join(home, 'view.html');
    const result = await runCli(['view', t.trajectoryId, '--run', t.runId, '--out', out], {
      env: { WEBTRAIL_HOME: home },
    });
    expect(result.code, result.stderr).toBe(0);
    const page = await browser.newPage();
    await page.goto(pathToFileURL(out).href);
    expect(await page.locator('section.step').count()).toBe(t.steps.length);
    const widths = await page
      .locator('.shot img')
      .evaluateAll((imgs) => imgs.map((img) => (img as HTMLImageElement).naturalWidth));
    expect(widths).toHaveLength(t.steps.length);
    expect(widths.every((w) => w > 0)).toBe(true);
    await page.close();
  });

  it('says what is wrong on the page and keeps running: an unknown trajectory, poison records, a missing screenshot', async () => {
    const page = await browser.newPage();
    const unknown = await page.goto(`${url}/trajectories/traj_no_such_thing`);
    expect(unknown!.status()).toBe(404);
    expect(await page.locator('.error-page').textContent()).toContain('No trajectory traj_no_such_thing has been read');
    const badFilter = await page.goto(`${url}/trajectories?status=exploded`);
    expect(badFilter!.status()).toBe(400);
    expect(await page.locator('.error-page').textContent()).toContain('status');

    // Bytes no schema can read, on a topic the dashboard reads.
    const producer = testKafka().producer();
    await producer.connect();
    await producer.send({
      topic: TOPICS.sitesRejected.name,
      messages: [{ key: 'poison', value: Buffer.from('not avro at all') }],
    });
    await producer.disconnect();
    await page.goto(`${url}/`);
    await page.waitForSelector(`[data-undecodable="${TOPICS.sitesRejected.name}"]`, { timeout: 10_000 });

    // A screenshot gone from the store (one no page has shown, so not in the dashboard's cache): said in
    // words, the other steps' images still shown.
    const mine = runs.filter(
      (t) => t.task.startUrl.startsWith(pipeline.sandbox.siteUrl('shop')) && t.steps.every((s) => s.screenshotRef),
    );
    const second = mine.find((t) => t.steps.some((s) => !shownRefs.has(s.screenshotRef!)));
    expect(second, 'a trajectory with a screenshot no page has shown').toBeDefined();
    const gone = second!.steps.map((s) => s.screenshotRef!).find((ref) => !shownRefs.has(ref))!;
    rmSync(fileURLToPath(gone));
    await page.goto(
      `${url}/trajectories/${encodeURIComponent(second!.trajectoryId)}?run=${encodeURIComponent(second!.runId)}`,
    );
    const missingSteps = second!.steps.filter((s) => s.screenshotRef === gone).length;
    expect(await page.locator('.missing').count()).toBe(missingSteps);
    expect(await page.locator('.missing').first().textContent()).toMatch(
      /screenshot unavailable: .*(no such|ENOENT|not found)/i,
    );
    expect(await page.locator('.shot img').count()).toBe(second!.steps.length - missingSteps);

    // Still serving.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(dashboard.exitCode).toBeNull();
    await page.close();
  });
});
