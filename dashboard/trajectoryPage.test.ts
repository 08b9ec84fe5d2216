import { describe, expect, it } from 'vitest';
import { trajectory, verdict } from '../test/helpers/samples.ts';
import { verdictRow } from './records.ts';
import { standaloneTrajectoryHtml, type Screenshot } from './trajectoryPage.ts';

const GONE = 's3://webtrail/blobs/screenshots/00/gone.jpg';
const HERE = 's3://webtrail/blobs/screenshots/11/here.jpg';

describe('the trajectory page', () => {
  it('escapes everything a page or a model wrote, allows no script or request, and shows a missing screenshot as such', () => {
    const t = trajectory('t1');
    const hostile = '<script>alert(1)</script><img src=x onerror=alert(2)>';
    const steps = [
      {
        ...t.steps[0]!,
        observation: hostile,
        title: hostile,
        screenshotRef: GONE,
        llmOutput: JSON.stringify({ thought: hostile, action: { kind: 'click', elementId: 1 } }),
        guardEvents: [{ kind: 'request_blocked', detail: hostile, url: 'http://127.0.0.2/', atMs: 1 }],
      },
      { ...t.steps[0]!, index: 1, screenshotRef: HERE },
    ];
    const shots = new Map<string, Screenshot>([
      [GONE, { src: null, problem: 'reading s3://…/gone.jpg: no such blob' }],
      [HERE, { src: 'data:image/jpeg;base64,/9j/' }],
    ]);
    const html = standaloneTrajectoryHtml({
      trajectory: {
        ...t,
        steps,
        finalAnswer: hostile,
        startGuardEvents: [{ kind: 'download_refused', detail: hostile, url: 'http://x.test/payload.exe', atMs: 1 }],
      },
      verdicts: [verdictRow({ ...verdict('t1'), reasoning: hostile })],
      screenshots: (s) => shots.get(s.screenshotRef!)!,
      traceId: '0af7651916cd43dd8448eb211c80319c',
      traceUrl: 'http://127.0.0.1:16686/trace/{traceId}',
    });
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img src=x');
    // The observation, the title, the thought, the raw reply, the guard's details (a step's and the start page's), the final answer and the verdict's reasoning.
    expect(html.split('&lt;script&gt;alert(1)&lt;/script&gt;').length - 1).toBe(8);
    expect(html).toContain('Guard, while the start page opened:');
    expect(html).toContain('<code>download_refused</code>');
    expect(html).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">`,
    );
    expect(html).toContain('<div class="missing">screenshot unavailable: reading s3://…/gone.jpg: no such blob</div>');
    expect(html).toContain('<img alt="screenshot of step 2" src="data:image/jpeg;base64,/9j/">');
    expect(html.match(/<section class="step"/g)).toHaveLength(2);
    expect(html).toContain('<a href="http://127.0.0.1:16686/trace/0af7651916cd43dd8448eb211c80319c">');
  });

  it('outlines the acted-on element where its box was, as a share of the screenshot', () => {
    const t = trajectory('t1');
    // Box 10,20 80×24 in a 1280×720 viewport: left 10/1280 = 0.78%, top 20/720 = 2.78%, 80/1280 = 6.25%, 24/720 = 3.33%.
    const html = standaloneTrajectoryHtml({
      trajectory: { ...t, steps: [{ ...t.steps[0]!, screenshotRef: HERE }] },
      verdicts: [],
      screenshots: () => ({ src: 'data:image/jpeg;base64,/9j/' }),
    });
    expect(html).toContain(
      '<div class="target" data-target="1" style="left:0.78%;top:2.78%;width:6.25%;height:3.33%"></div>',
    );
    const below = standaloneTrajectoryHtml({
      trajectory: {
        ...t,
        steps: [{ ...t.steps[0]!, screenshotRef: HERE, targetBox: { ...t.steps[0]!.targetBox!, y: 900 } }],
      },
      verdicts: [],
      screenshots: () => ({ src: 'data:image/jpeg;base64,/9j/' }),
    });
    expect(below).not.toContain('class="target"');
    expect(below).toContain('outside the visible part of the page');
  });

  it("states a follow-up task's lineage (round, direction, parent, first task, reason), escaped, and nothing for a proposed task", () => {
    const t = trajectory('t2');
    const lineage = {
      parentTaskId: 't1',
      rootTaskId: 't0',
      round: 2,
      direction: 'repair',
      reason: 'The page shows no <b>queue</b>.',
      verdictId: 'v-t1',
      parentSuccess: 0,
    };
    const html = standaloneTrajectoryHtml({
      trajectory: { ...t, task: { ...t.task, lineage } },
      verdicts: [],
      screenshots: () => ({ src: null, problem: 'none' }),
    });
    expect(html).toContain(
      '<p class="meta" data-lineage>Round 2 follow-up (repaired, after a failure) of task <code>t1</code>, first task <code>t0</code>: The page shows no &lt;b&gt;queue&lt;/b&gt;.</p>',
    );
    expect(
      standaloneTrajectoryHtml({ trajectory: t, verdicts: [], screenshots: () => ({ src: null, problem: 'none' }) }),
    ).not.toContain('data-lineage');
    const explored = standaloneTrajectoryHtml({
      trajectory: {
        ...t,
        task: { ...t.task, lineage: { ...lineage, round: 1, direction: 'explored', reason: 'From the permits page.' } },
      },
      verdicts: [],
      screenshots: () => ({ src: null, problem: 'none' }),
    });
    expect(explored).toContain('data-lineage>Round 1 follow-up (proposed from an exploration of the site) of task');
  });

  it('states which attempt of a best-of-n task a trajectory is, with its seed, and nothing for a task run once', () => {
    const t = trajectory('t3');
    const html = standaloneTrajectoryHtml({
      trajectory: { ...t, attempt: 1, attempts: 3, agentSettings: { ...t.agentSettings, seed: '12345' } },
      verdicts: [],
      screenshots: () => ({ src: null, problem: 'none' }),
    });
    expect(html).toContain(
      '<p class="meta" data-attempt>Attempt 2 of 3 at this task (best-of-n: the dataset keeps the best judged one), seed 12345</p>',
    );
    expect(
      standaloneTrajectoryHtml({ trajectory: t, verdicts: [], screenshots: () => ({ src: null, problem: 'none' }) }),
    ).not.toContain('data-attempt');
  });
});
