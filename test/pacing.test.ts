// A site's pace holds across rollout replicas: two rollout processes in one consumer group, a site with
// four tasks, one visitor at a time allowed (WEBTRAIL_ROLLOUT_PER_DOMAIN_CONCURRENCY=1) and robots.txt's
// Crawl-delay of 0.2 s. The site itself records every page a tab loaded, with the session cookie that
// loaded it: no two sessions may overlap, and no two page loads may come closer than the delay.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitSites } from '../cli/submit.ts';
import { startPipeline, type Pipeline } from '../scripts/pipeline.ts';
import { mirrorName } from '../sandbox/sites/index.ts';
import { TOPICS, type Trajectory } from '../schemas/index.ts';
import { readTopic, waitFor } from './helpers/kafka.ts';

const run = randomUUID().slice(0, 8);
const home = mkdtempSync(path.join(tmpdir(), 'webtrail-pacing-'));
// A mirror of the library of its own, so the site's visits are this run's alone.
const site = `${mirrorName('library', Number.parseInt(run.slice(0, 6), 16) % 1_000_000)}.localhost`;
// Four tasks: the third (a reservation) answers its form with a redirect, the hop a page load may take.
const TASKS = 4;
let pipeline: Pipeline;

beforeAll(async () => {
  pipeline = await startPipeline({
    home,
    groupSuffix: run,
    startAtEnd: true,
    only: ['generator', 'rollout'],
    replicas: { rollout: 2 },
    scripted: { agentErrors: 0 },
    env: {
      WEBTRAIL_GENERATOR_TASKS_PER_SITE: String(TASKS),
      WEBTRAIL_ROLLOUT_CONCURRENCY: '4',
      WEBTRAIL_ROLLOUT_PER_DOMAIN_CONCURRENCY: '1',
      WEBTRAIL_ROLLOUT_MAX_STEPS: '6',
    },
  });
  const url = `http://${site}:${pipeline.sandbox.port}/`;
  await submitSites(url, { source: `pacing-${run}`, again: true });
}, 180_000);
afterAll(async () => {
  await pipeline?.stop();
});

/** The most sessions (by cookie) whose first-to-last page load spans overlap at one moment. */
function mostAtOnce(loads: Array<{ sid: string; atMs: number }>): number {
  const spans = new Map<string, { from: number; to: number }>();
  for (const l of loads) {
    const span = spans.get(l.sid);
    if (!span) spans.set(l.sid, { from: l.atMs, to: l.atMs });
    else span.to = Math.max(span.to, l.atMs);
  }
  const edges = [...spans.values()].flatMap((s) => [
    { at: s.from, delta: 1 },
    { at: s.to, delta: -1 },
  ]);
  // An end before a start at the same moment: touching spans are one after the other.
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let now = 0;
  let most = 0;
  for (const e of edges) most = Math.max(most, (now += e.delta));
  return most;
}

describe("a site's pace across two rollout replicas", () => {
  it('one visitor at a time and the Crawl-delay between page loads, however many replicas', async () => {
    let trajectories: Trajectory[] = [];
    await waitFor(
      async () => {
        trajectories = (await readTopic(TOPICS.trajectories.name))
          .map((r) => r.value as Trajectory)
          .filter((t) => t.task.domain === site);
        return trajectories.length >= TASKS ? true : undefined;
      },
      240_000,
      `${TASKS} trajectories of ${site}`,
    );
    const loads = pipeline.sandbox.state.pageLoads.filter((l) => l.host === site);
    // The generator's look at the home page, then every page of every trajectory.
    expect(loads.length).toBeGreaterThan(TASKS);
    expect(new Set(loads.map((l) => l.sid)).size).toBeGreaterThanOrEqual(TASKS);
    expect(mostAtOnce(loads)).toBe(1);
    // A page load starts where the load before it did not redirect (a redirect's hop is the same load).
    const starts = loads.filter((l, i) => i === 0 || !(loads[i - 1]!.redirected && loads[i - 1]!.sid === l.sid));
    expect(starts.length).toBeLessThan(loads.length); // the reservation's POST redirects: there is a hop
    const gaps = starts.slice(1).map((l, i) => l.atMs - starts[i]!.atMs);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(195);
    // Each trajectory says which robots.txt policy its pages were loaded under.
    expect(new Set(trajectories.map((t) => t.agentSettings.robots))).toEqual(new Set(['rfc9309 for webtrail']));
  }, 300_000);
});
