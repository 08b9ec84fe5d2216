// The dashboard's pages as HTML strings, from the state and the flow: plain data in, markup out. Every
// value goes through hono's html helper, which escapes it. Filters live in the query string, so every
// page has a URL that can be shared.
import { html, raw } from 'hono/html';
import type { StatsReport } from './statsReport.ts';
import type { StageFlow } from './flow.ts';
import {
  SERIES,
  type DashboardState,
  type DeadLetterNote,
  type Series,
  type TrajectoryFilter,
  type TrajectoryListRow,
  type Undecodable,
} from './state.ts';
import { STYLE, trajectoryBody, type Html, type TrajectoryPageData } from './trajectoryPage.ts';

export const PAGE_SIZE = 100;

export interface ReaderStatus {
  /** Where the reader started: the beginning of history, or the end when it started (live only). */
  from: 'beginning' | 'now';
  /** The last problem reaching Kafka, cleared when it works again. */
  problem: string | null;
  startedAtMs: number;
}

export interface PipelineView {
  report: StatsReport;
  flows: StageFlow[];
  topics: Array<{ topic: string; records: number }>;
  tasksWithoutTrajectory: number;
  deadLetters: { counts: Record<string, number>; latest: DeadLetterNote[] };
  undecodable: Array<{ topic: string } & Undecodable>;
  overTime: ReturnType<DashboardState['overTime']>;
  recordsRead: number;
  lastRecordAtMs: number;
  reader: ReaderStatus;
  nowMs: number;
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function layout(title: string, body: Html | string, options: { live?: string } = {}): string {
  return String(html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · webtrail</title>
<style>${raw(STYLE)}${raw(DASHBOARD_STYLE)}</style>
${options.live ? html`<script src="/assets/live.js" defer></script>` : ''}
</head>
<body>
<nav><b>webtrail</b><a href="/">Pipeline</a><a href="/trajectories">Trajectories</a><a href="/sites">Sites</a></nav>
${options.live ? html`<div id="live" data-events="${options.live}">${body}</div><p class="meta" id="live-status">live</p>` : body}
</body></html>`);
}

const DASHBOARD_STYLE = `
.cards { display: flex; flex-wrap: wrap; gap: .8rem; margin: .5rem 0 1rem; } .card { border: 1px solid #ddd; border-radius: 6px; padding: .5rem .8rem; min-width: 9rem; }
.card b { display: block; font-size: 1.4rem; font-variant-numeric: tabular-nums; } .card span { color: #555; }
svg.spark { vertical-align: middle; } svg.chart { width: 100%; max-width: 900px; height: auto; border: 1px solid #eee; }
form.filters { display: flex; flex-wrap: wrap; gap: .6rem; align-items: end; margin: .5rem 0 1rem; } form.filters label { display: flex; flex-direction: column; font-size: .85rem; color: #555; }
.legend span { margin-right: 1rem; } .legend i { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: middle; }
`;

export function errorPage(status: number, message: string): string {
  return layout(
    status === 404 ? 'Not found' : 'Error',
    html`<div class="error-page"><h1>${status === 404 ? 'Not found' : 'Something went wrong'}</h1><p>${message}</p><p><a href="/">Back to the pipeline</a></p></div>`,
  );
}

function sparkline(values: number[], width = 120, height = 24): Html {
  if (values.length < 2) return html`<svg class="spark" width="${width}" height="${height}"></svg>`;
  const max = Math.max(1, ...values);
  const points = values
    .map(
      (v, i) =>
        `${((i / (values.length - 1)) * width).toFixed(1)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`,
    )
    .join(' ');
  return html`<svg class="spark" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><polyline fill="none" stroke="#0969da" stroke-width="1.5" points="${points}"/></svg>`;
}

/** A few counts as small bars (a score histogram). */
function miniBars(values: number[], width = 80, height = 20): Html {
  const max = Math.max(1, ...values);
  const slot = width / Math.max(1, values.length);
  return html`<svg class="spark" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${values.map((v, i) => html`<rect x="${(i * slot + 1).toFixed(1)}" y="${(height - (v / max) * height).toFixed(1)}" width="${(slot - 2).toFixed(1)}" height="${((v / max) * height).toFixed(1)}" fill="#1a7f37"><title>${v}</title></rect>`)}</svg>`;
}

const SERIES_COLORS: Record<Series, string> = {
  sites: '#8250df',
  rejected: '#cf222e',
  tasks: '#bf8700',
  trajectories: '#0969da',
  verdicts: '#1a7f37',
  examples: '#57606a',
};

/** Counts per time bucket as grouped bars, one colour per series. */
function overTimeChart(view: PipelineView['overTime']): Html {
  const bars = view.series.tasks.length;
  const width = 900;
  const height = 160;
  const max = Math.max(1, ...SERIES.flatMap((s) => view.series[s]));
  const slot = width / Math.max(1, bars);
  const barWidth = Math.max(1, (slot - 2) / SERIES.length);
  const rects = SERIES.flatMap((s, k) =>
    view.series[s].map((n, i) =>
      n > 0
        ? html`<rect x="${(i * slot + k * barWidth).toFixed(1)}" y="${(height - (n / max) * height).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${((n / max) * height).toFixed(1)}" fill="${SERIES_COLORS[s]}"><title>${s}: ${n}</title></rect>`
        : '',
    ),
  );
  const start = new Date(view.startMs).toISOString().slice(0, 16).replace('T', ' ');
  return html`<svg class="chart" viewBox="0 0 ${width} ${height}" preserveAspectRatio="none">${rects}</svg>
<p class="legend meta">${SERIES.map((s) => html`<span><i style="background:${SERIES_COLORS[s]}"></i>${s} ${fmt(view.series[s].reduce((a, b) => a + b, 0))}</span>`)} · from ${start} UTC, ${view.bucketMinutes} min per bar (by the records' timestamps)</p>`;
}

/** The live part of the pipeline page (pushed again whenever something changes). */
export function pipelineFragment(view: PipelineView): string {
  const r = view.report;
  const rollout = view.flows.find((f) => f.stage === 'rollout');
  const inFlight = Math.max(0, view.tasksWithoutTrajectory - (rollout?.lag ?? 0));
  const reasons = Object.entries(r.sites.rejectedByReason).sort(([, a], [, b]) => b - a);
  const examples = view.topics.find((t) => t.topic.endsWith('webtrail.training-examples'))?.records ?? 0;
  const card = (name: string, value: number, note: string) =>
    html`<div class="card" data-card="${name}"><b>${fmt(value)}</b><span>${note}</span></div>`;
  return String(html`<h1>Pipeline</h1>
<p class="meta">${view.reader.problem ? html`<span class="bad">Kafka: ${view.reader.problem}</span> · ` : ''}read ${fmt(view.recordsRead)} records from ${view.reader.from === 'beginning' ? 'the beginning of history' : 'when the dashboard started'}, following live${view.lastRecordAtMs ? html` · newest record ${new Date(view.lastRecordAtMs).toISOString().replace('T', ' ').slice(0, 19)} UTC` : ''} · updated <span id="updated">${new Date(view.nowMs).toISOString().slice(11, 19)}</span> UTC</p>
<div class="cards">
${card('sites', r.sites.submitted, 'sites submitted')}${card('rejected', r.sites.rejected, 'rejected')}${card('trajectories', r.steps.trajectories, 'trajectories')}
${card('in-flight', inFlight, 'in rollout now')}${card('waiting', rollout?.lag ?? 0, 'tasks waiting')}${card('examples', examples, 'training examples')}
</div>
${view.undecodable.length ? html`<div class="error-page"><b>Records that could not be decoded</b> (shown nowhere else; the dashboard reads on):<ul>${view.undecodable.map((u) => html`<li data-undecodable="${u.topic}"><code>${u.topic}</code>: ${u.count} record(s); latest at partition ${u.lastPartition} offset ${u.lastOffset}: ${u.lastError}</li>`)}</ul></div>` : ''}
<h2>Stages</h2>
<table class="stages"><tr><th>stage</th><th>consumer group</th><th>in / s</th><th>out / s</th><th>lag</th><th>lag trend</th><th>dead letters</th></tr>
${view.flows.map((f) => html`<tr data-stage="${f.stage}"><td>${f.stage}</td><td><code>${f.groupId}</code>${f.idle ? html` <span class="meta">(no commits yet)</span>` : ''}</td><td class="n">${fmt(f.inPerSecond, 2)}</td><td class="n">${fmt(f.outPerSecond, 2)}</td><td class="n" data-lag>${fmt(f.lag)}</td><td>${sparkline(f.lagTrend)}</td><td class="n ${f.deadLetters ? 'bad' : ''}">${fmt(f.deadLetters)}</td></tr>`)}
</table>
${view.deadLetters.latest.length ? html`<p><b>Latest dead letters</b></p><ul class="dead-letters">${view.deadLetters.latest.map((d) => html`<li><code>${d.service}</code> ${new Date(d.failedAtMs).toISOString().slice(0, 19)} (${d.stage}): ${d.error}</li>`)}</ul>` : ''}
<h2>Over time</h2>
${overTimeChart(view.overTime)}
<h2>Sites</h2>
<p>${fmt(r.sites.submitted)} submitted · ${fmt(r.sites.accepted)} with tasks · <a href="/sites?outcome=rejected">${fmt(r.sites.rejected)} rejected</a>${reasons.length ? html` (${reasons.map(([reason, n], i) => html`${i ? ', ' : ''}<a href="/sites?outcome=${encodeURIComponent(`rejected: ${reason}`)}">${reason} ${n}</a>`)})` : ''}${r.sites.resubmissionsSkipped ? ` · ${fmt(r.sites.resubmissionsSkipped)} re-submissions skipped` : ''}</p>
<h2>Judges</h2>
${
  r.judges.length === 0
    ? html`<p>No verdicts yet.</p>`
    : html`<table class="judges"><tr><th>judge version</th><th>verdicts</th><th>success rate</th><th>mean success</th><th>mean efficiency</th><th>success histogram [0 … 1]</th></tr>
${r.judges.map((j) => html`<tr data-judge="${j.judgeVersion}"><td><a href="/trajectories?judge=${encodeURIComponent(j.judgeVersion)}"><code>${j.judgeVersion}</code></a></td><td class="n">${fmt(j.verdicts)}</td><td class="n" data-success-rate>${pct(j.successRate)}</td><td class="n">${j.meanSuccess.toFixed(3)}</td><td class="n">${j.meanEfficiency.toFixed(3)}</td><td>${miniBars(j.successHistogram)} ${j.successHistogram.join(' ')}</td></tr>`)}
</table>`
}
${
  r.rounds.some((x) => x.round > 0)
    ? html`<h2>Refinement rounds</h2>
<table class="rounds"><tr><th>round</th><th>tasks</th><th>harder</th><th>repaired</th><th>explored</th><th>explorations</th><th>trajectories</th><th>solved${r.judgeVersion ? html` (<code>${r.judgeVersion}</code>)` : ''}</th></tr>
${r.rounds.map((x) => html`<tr data-round="${x.round}"><td>${x.round === 0 ? '0 (proposed)' : x.round}</td><td class="n" data-round-tasks>${fmt(x.tasks)}</td><td class="n">${fmt(x.harder)}</td><td class="n">${fmt(x.repair)}</td><td class="n">${fmt(x.explored)}</td><td class="n">${fmt(x.explorations)}</td><td class="n">${fmt(x.trajectories)}</td><td class="n">${fmt(x.solved)}</td></tr>`)}
</table>`
    : ''
}
<h2>Trajectories by how they ended</h2>
<p>${Object.entries(r.steps.byStatus).map(([status, n], i) => html`${i ? ' · ' : ''}<a href="/trajectories?status=${status}">${status} ${fmt(n)}</a>`)}${r.steps.trajectories ? html` · steps per trajectory p50 ${r.steps.p50}, p90 ${r.steps.p90}, max ${r.steps.max}` : 'none yet'}</p>
<h2>LLM calls, tokens and estimated cost</h2>
<table class="tokens"><tr><th>stage</th><th>calls</th><th>prompt tokens</th><th>completion tokens</th><th>cost USD</th></tr>
${r.tokens.map((t) => html`<tr><td>${t.stage}</td><td class="n">${fmt(t.calls)}</td><td class="n">${fmt(t.promptTokens)}</td><td class="n">${fmt(t.completionTokens)}</td><td class="n">${t.costUsd.toFixed(4)}</td></tr>`)}
</table>
<p class="meta">${r.totalCostUsd > 0 ? `total ≈ $${r.totalCostUsd.toFixed(4)}` : 'Cost: set WEBTRAIL_PRICE_INPUT_PER_MTOK and WEBTRAIL_PRICE_OUTPUT_PER_MTOK (USD per million tokens) to estimate it.'}</p>
<h2>Topics</h2>
<table class="topics"><tr><th>topic</th><th>records</th></tr>
${view.topics.map((t) => html`<tr><td><code>${t.topic}</code></td><td class="n" data-topic-records="${t.topic}">${t.records}</td></tr>`)}
</table>`);
}

export function pipelinePage(view: PipelineView): string {
  return layout('Pipeline', raw(pipelineFragment(view)), { live: '/events/pipeline' });
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function trajectoryHref(trajectoryId: string, runId?: string): string {
  return `/trajectories/${encodeURIComponent(trajectoryId)}${runId ? query({ run: runId }) : ''}`;
}

export function trajectoriesPage(
  rows: TrajectoryListRow[],
  filter: TrajectoryFilter,
  judges: string[],
  page: number,
): string {
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
  const shown = rows.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  const filterParams = {
    site: filter.site,
    status: filter.status,
    judge: filter.judge,
    success: filter.success,
    minSteps: filter.minSteps,
    maxSteps: filter.maxSteps,
  };
  const option = (value: string, current: string | undefined, label = value) =>
    html`<option value="${value}"${value === (current ?? '') ? raw(' selected') : ''}>${label}</option>`;
  return layout(
    'Trajectories',
    html`<h1>Trajectories</h1>
<form class="filters" method="get" action="/trajectories">
<label>site<input name="site" value="${filter.site ?? ''}" placeholder="domain contains"></label>
<label>status<select name="status">${option('', filter.status, 'any')}${['answered', 'step_limit', 'error', 'blocked'].map((s) => option(s, filter.status))}</select></label>
<label>judge version<select name="judge">${option('', filter.judge, 'any (latest verdict)')}${judges.map((j) => option(j, filter.judge))}</select></label>
<label>success<select name="success">${option('', filter.success, 'any')}${option('yes', filter.success)}${option('no', filter.success)}${option('unjudged', filter.success)}</select></label>
<label>steps from<input name="minSteps" type="number" min="0" value="${filter.minSteps ?? ''}"></label>
<label>to<input name="maxSteps" type="number" min="0" value="${filter.maxSteps ?? ''}"></label>
<button type="submit">Filter</button> <a href="/trajectories">clear</a>
</form>
<p class="meta" id="matching">${fmt(rows.length)} matching${pages > 1 ? ` · page ${page} of ${pages}` : ''}</p>
<table class="trajectories"><tr><th>task</th><th>site</th><th>status</th><th>steps</th><th>success</th><th>judge version</th><th>ended</th></tr>
${shown.map((r) => html`<tr data-trajectory="${r.entry.trajectoryId}"><td><a href="${trajectoryHref(r.entry.trajectoryId)}">${r.entry.instruction}</a>${r.entry.runs.length > 1 ? html` <span class="meta">(${r.entry.runs.length} runs)</span>` : ''}</td><td>${r.entry.domain}</td><td>${r.run.status}</td><td class="n">${r.run.steps}</td><td class="n ${r.verdict ? (r.verdict.success >= 0.5 ? 'ok' : 'bad') : ''}">${r.verdict ? r.verdict.success : '–'}</td><td>${r.verdict ? html`<code>${r.verdict.judgeVersion}</code>` : 'not judged'}</td><td>${new Date(r.run.endedAtMs).toISOString().replace('T', ' ').slice(0, 19)}</td></tr>`)}
</table>
<p>${page > 1 ? html`<a rel="prev" href="/trajectories${query({ ...filterParams, page: page - 1 })}">previous</a> ` : ''}${page < pages ? html`<a rel="next" href="/trajectories${query({ ...filterParams, page: page + 1 })}">next</a>` : ''}</p>`,
  );
}

export function sitesPage(report: StatsReport, outcome: string | undefined): string {
  const outcomes = [...new Set(report.perSite.map((s) => s.outcome))].sort();
  const rows = outcome
    ? report.perSite.filter((s) => s.outcome === outcome || s.outcome.startsWith(`${outcome}:`))
    : report.perSite;
  return layout(
    'Sites',
    html`<h1>Sites</h1>
<form class="filters" method="get" action="/sites"><label>outcome<select name="outcome"><option value="">any</option>${['rejected', ...outcomes].map((o) => html`<option value="${o}"${o === outcome ? raw(' selected') : ''}>${o}</option>`)}</select></label><button type="submit">Filter</button> <a href="/sites">clear</a></form>
<p class="meta" id="matching">${fmt(rows.length)} matching</p>
<table class="sites"><tr><th>site</th><th>outcome</th><th>tasks</th><th>follow-ups</th><th>trajectories</th><th>answered</th><th>step limit</th><th>error</th><th>blocked</th><th>solved${report.judgeVersion ? html` (<code>${report.judgeVersion}</code>)` : ''}</th></tr>
${rows.map((s) => html`<tr data-site="${s.domain}"><td><a href="/trajectories${query({ site: s.domain })}">${s.domain}</a></td><td>${s.outcome}</td><td class="n">${s.tasks}</td><td class="n">${s.followUps}</td><td class="n">${s.trajectories}</td><td class="n">${s.answered}</td><td class="n">${s.stepLimit}</td><td class="n">${s.error}</td><td class="n">${s.blocked}</td><td class="n">${s.solved}</td></tr>`)}
</table>`,
  );
}

export function trajectoryPage(data: TrajectoryPageData): string {
  return layout(data.trajectory.task.instruction.slice(0, 80), trajectoryBody(data));
}
