// One trajectory as HTML: the task, every step with its screenshot (the acted-on element outlined from
// its box), the action, its result, the agent's thought and raw reply, the page text, the guard's events,
// every judge version's verdict, the trace and the training examples. The dashboard serves it with its
// screenshots as URLs; `webtrail view` writes it standalone with them inlined, under a policy that allows
// no script and no request. Everything from a record goes through hono's html helper, which escapes it:
// pages and models are hostile.
import { html, raw } from 'hono/html';
import type { Step, Trajectory } from '../schemas/index.ts';
import { describeAction } from '../llm/index.ts';

export type Html = ReturnType<typeof html>;

export interface Screenshot {
  /** Where the image is (a data: URI or a URL), or null with why it is missing. */
  src: string | null;
  problem?: string;
}

export interface VerdictRow {
  verdictId: string;
  judgeVersion: string;
  /** The run of the trajectory it judged. */
  runId: string;
  success: number;
  efficiency: number;
  selfCorrection: number;
  reasoning: string;
  judgedAtMs: number;
}

/** A training example made from a step (its answer is the step's raw reply, recorded as sent). */
export interface ExampleRow {
  exampleId: string;
  runId: string;
  step: number;
  judgeVersion: string;
}

export interface TrajectoryPageData {
  trajectory: Trajectory;
  verdicts: VerdictRow[];
  screenshots: (step: Step) => Screenshot;
  examples?: ExampleRow[];
  traceId?: string;
  /** A tracing UI's URL for a trace, with {traceId} in it (WEBTRAIL_TRACE_UI_URL). */
  traceUrl?: string;
  /** Other runs of the trajectory and where they are shown. */
  otherRuns?: Array<{ runId: string; href: string | null }>;
}

export const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 1.5rem; color: #1d1d1f; }
h1 { font-size: 1.3rem; margin-bottom: .3rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
.meta { color: #555; } .meta code { color: #333; }
table { border-collapse: collapse; width: 100%; } td, th { border: 1px solid #ddd; padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f6f6; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.step { border: 1px solid #ddd; border-radius: 6px; margin: 1rem 0; padding: .8rem 1rem; }
.step header { display: flex; gap: 1rem; align-items: baseline; } .step header b { font-size: 1.05rem; }
.shot { position: relative; display: inline-block; max-width: 100%; } .shot img { display: block; max-width: 100%; border: 1px solid #ccc; }
.target { position: absolute; border: 3px solid #e8590c; border-radius: 3px; box-shadow: 0 0 0 2px rgba(255,255,255,.8); pointer-events: none; }
.missing { background: #f4f4f4; border: 1px dashed #aaa; padding: 2rem; color: #666; text-align: center; }
.ok { color: #1a7f37; } .bad { color: #c62828; } .warn { color: #9a6700; }
pre { white-space: pre-wrap; word-break: break-word; background: #f7f7f7; padding: .6rem; max-height: 30rem; overflow: auto; }
nav { display: flex; gap: 1.2rem; border-bottom: 1px solid #ddd; padding-bottom: .6rem; margin-bottom: 1rem; } nav a { text-decoration: none; }
.error-page { border: 1px solid #c62828; background: #fff5f5; padding: 1rem; border-radius: 6px; }
`;

function thoughtOf(llmOutput: string): string | null {
  try {
    const parsed = JSON.parse(llmOutput) as { thought?: unknown };
    return typeof parsed.thought === 'string' ? parsed.thought : null;
  } catch {
    return null;
  }
}

const percent = (part: number, whole: number) => `${((part / Math.max(1, whole)) * 100).toFixed(2)}%`;

/** The screenshot, with the acted-on element outlined where it was (a percentage box, so it scales). */
function screenshotHtml(step: Step, shot: Screenshot): Html {
  if (!step.screenshotRef) return html`<div class="missing">no screenshot taken</div>`;
  if (!shot.src) return html`<div class="missing">screenshot unavailable: ${shot.problem ?? 'not fetched'}</div>`;
  const box = step.targetBox;
  const onScreen =
    box && box.y + box.height > 0 && box.y < box.viewportHeight && box.x + box.width > 0 && box.x < box.viewportWidth;
  const outline =
    box && onScreen
      ? html`<div class="target" data-target="${step.action?.elementId ?? ''}" style="left:${percent(box.x, box.viewportWidth)};top:${percent(box.y, box.viewportHeight)};width:${percent(box.width, box.viewportWidth)};height:${percent(box.height, box.viewportHeight)}"></div>`
      : '';
  const note =
    box && !onScreen ? html`<p class="meta">The element acted on was outside the visible part of the page.</p>` : '';
  return html`<div class="shot"><img alt="screenshot of step ${step.index + 1}" src="${shot.src}">${outline}</div>${note}`;
}

function resultHtml(result: Step['result']): Html | string {
  if (!result) return '';
  if (!result.ok) return html`<span class="bad">failed: ${result.error ?? ''}</span>`;
  return html`<span class="ok">done</span>${result.navigated ? html`, went to <code>${result.url}</code>` : ''}${result.newTab ? ', opened a tab' : ''}`;
}

function guardHtml(events: Step['guardEvents'], title: string): Html | string {
  return events.length
    ? html`<p class="warn"><b>${title}</b></p><ul>${events.map((g) => html`<li><code>${g.kind}</code> ${g.detail} <code>${g.url}</code></li>`)}</ul>`
    : '';
}

function stepHtml(step: Step, shot: Screenshot): Html {
  const thought = thoughtOf(step.llmOutput);
  const guard = guardHtml(step.guardEvents, 'Guard:');
  return html`<section class="step" id="step-${step.index + 1}">
<header><b>Step ${step.index + 1}</b><span class="meta"><code>${step.url}</code> ${step.title}</span></header>
${screenshotHtml(step, shot)}
<p><b>Action:</b> ${step.action ? html`<code>${describeAction(step.action)}</code>` : html`<span class="bad">none</span>`} ${resultHtml(step.result)}</p>
${step.error ? html`<p class="bad"><b>Error:</b> ${step.error}</p>` : ''}
${thought ? html`<p><b>Thought:</b> ${thought}</p>` : ''}
${guard}
<details><summary>Raw reply</summary><pre>${step.llmOutput}</pre></details>
<details><summary>What the agent saw (${step.observation.length.toLocaleString('en')} characters${step.observationRef ? ', the beginning; all of it is in the blob store' : ''})</summary><pre>${step.observation}</pre></details>
</section>`;
}

function verdictsHtml(verdicts: VerdictRow[], runId: string): Html {
  const mine = verdicts.filter((v) => v.runId === runId || v.runId === '');
  if (mine.length === 0) return html`<p>Not judged yet.</p>`;
  return html`<table class="verdicts"><tr><th>judge version</th><th>success</th><th>efficiency</th><th>self-correction</th><th>reasoning</th><th>judged</th></tr>
${mine.map((v) => html`<tr data-judge="${v.judgeVersion}"><td><code>${v.judgeVersion}</code></td><td class="n ${v.success >= 0.5 ? 'ok' : 'bad'}">${v.success}</td><td class="n">${v.efficiency}</td><td class="n">${v.selfCorrection}</td><td>${v.reasoning}</td><td>${new Date(v.judgedAtMs).toISOString()}</td></tr>`)}
</table>`;
}

function examplesHtml(examples: ExampleRow[] | undefined, trajectory: Trajectory): Html | string {
  const runId = trajectory.runId;
  if (examples === undefined) return '';
  const mine = examples
    .filter((x) => x.runId === runId)
    .sort((a, b) => a.judgeVersion.localeCompare(b.judgeVersion) || a.step - b.step);
  return html`<h2>Training examples</h2>
${
  mine.length === 0
    ? html`<p>None from this run (not judged yet, or below the sink's filter).</p>`
    : html`<table class="examples"><tr><th>example</th><th>judge version</th><th>step</th><th>the answer it trains</th></tr>
${mine.map((x) => html`<tr><td><code>${x.exampleId}</code></td><td><code>${x.judgeVersion}</code></td><td class="n">${x.step + 1}</td><td><code>${trajectory.steps[x.step]?.llmOutput ?? ''}</code></td></tr>`)}</table>`
}`;
}

/** The page's body: shared by the dashboard (inside its layout) and the standalone file. */
/** A follow-up's direction as its lineage line says it. */
const DIRECTION_WORDS: Record<string, string> = {
  harder: 'harder, after a success',
  repair: 'repaired, after a failure',
  explored: 'proposed from an exploration of the site',
};

export function trajectoryBody(data: TrajectoryPageData): Html {
  const t = data.trajectory;
  const trace = data.traceId
    ? html`trace <code>${data.traceId}</code>${data.traceUrl ? html` (<a href="${data.traceUrl.replaceAll('{traceId}', data.traceId)}">open in the tracing UI</a>)` : ''}`
    : 'no trace id recorded';
  const runs = data.otherRuns?.length
    ? html`<p class="meta">Other runs of this trajectory (a redelivered task runs again): ${data.otherRuns.map((r) => (r.href ? html`<a href="${r.href}"><code>${r.runId || '(none)'}</code></a> ` : html`<code>${r.runId || '(none)'}</code> `))}</p>`
    : '';
  return html`<h1>${t.task.instruction}</h1>
${t.task.lineage ? html`<p class="meta" data-lineage>Round ${t.task.lineage.round} follow-up (${DIRECTION_WORDS[t.task.lineage.direction] ?? t.task.lineage.direction}) of task <code>${t.task.lineage.parentTaskId}</code>, first task <code>${t.task.lineage.rootTaskId}</code>: ${t.task.lineage.reason}</p>` : ''}
${t.attempts > 1 ? html`<p class="meta" data-attempt>Attempt ${t.attempt + 1} of ${t.attempts} at this task (best-of-n: the dataset keeps the best judged one)${t.agentSettings.seed ? html`, seed ${t.agentSettings.seed}` : ''}</p>` : ''}
<p class="meta">${t.task.domain} · start <code>${t.task.startUrl}</code> · trajectory <code>${t.trajectoryId}</code> · run <code>${t.runId || '–'}</code> · agent <code>${t.agentVersion}</code> · ${trace}</p>
${runs}
<p><b>Status:</b> <span class="status">${t.status}</span>${t.statusReason ? ` (${t.statusReason})` : ''} · <b>${t.steps.length}</b> steps in ${((t.endedAtMs - t.startedAtMs) / 1000).toFixed(1)} s · ${t.usage.calls} LLM calls, ${t.usage.promptTokens + t.usage.completionTokens} tokens</p>
<p><b>Final answer:</b> ${t.finalAnswer === null ? html`<span class="bad">none</span>` : t.finalAnswer} · final page <code>${t.finalUrl}</code></p>
<h2>Verdicts</h2>
${verdictsHtml(data.verdicts, t.runId)}
${examplesHtml(data.examples, t)}
<h2>Steps</h2>
${guardHtml(t.startGuardEvents ?? [], 'Guard, while the start page opened:')}
${t.steps.map((s) => stepHtml(s, data.screenshots(s)))}`;
}

/** One self-contained file: no script, no request, opens anywhere (webtrail view). */
export function standaloneTrajectoryHtml(data: TrajectoryPageData): string {
  return String(html`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>${data.trajectory.task.instruction.slice(0, 80)} · webtrail</title>
<style>${raw(STYLE)}</style></head>
<body>
${trajectoryBody(data)}
</body></html>
`);
}
