// One trajectory as a self-contained HTML page (webtrail view): the task, every step with its screenshot
// inlined, the action, its result, the agent's thought and raw reply, the page text, and every judge's
// verdict. Everything from the record is escaped (pages are hostile), and the page's own policy allows
// no script and no request: it opens from a file, with no server, anywhere.
import type { Trajectory, Verdict } from '../schemas/types.ts';

export interface Screenshot {
  /** A data: URI of the JPEG, or null with why it is missing. */
  dataUri: string | null;
  problem?: string;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function thoughtOf(llmOutput: string): string | null {
  try {
    const parsed = JSON.parse(llmOutput) as { thought?: unknown };
    return typeof parsed.thought === 'string' ? parsed.thought : null;
  } catch {
    return null;
  }
}

function describeAction(action: NonNullable<Trajectory['steps'][number]['action']>): string {
  const parts: string[] = [action.kind];
  if (action.elementId !== null) parts.push(`[${action.elementId}]`);
  if (action.value !== null) parts.push(JSON.stringify(action.value));
  if (action.submit) parts.push('and Enter');
  return parts.join(' ');
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 1.5rem; color: #1d1d1f; }
h1 { font-size: 1.3rem; margin-bottom: .3rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
.meta { color: #555; } .meta code { color: #333; }
table { border-collapse: collapse; width: 100%; } td, th { border: 1px solid #ddd; padding: .35rem .5rem; text-align: left; vertical-align: top; }
.step { border: 1px solid #ddd; border-radius: 6px; margin: 1rem 0; padding: .8rem 1rem; }
.step header { display: flex; gap: 1rem; align-items: baseline; } .step header b { font-size: 1.05rem; }
.shot img { max-width: 100%; border: 1px solid #ccc; } .missing { background: #f4f4f4; border: 1px dashed #aaa; padding: 2rem; color: #666; text-align: center; }
.ok { color: #1a7f37; } .bad { color: #c62828; } pre { white-space: pre-wrap; word-break: break-word; background: #f7f7f7; padding: .6rem; max-height: 30rem; overflow: auto; }
`;

export function trajectoryHtml(trajectory: Trajectory, verdicts: Verdict[], screenshots: Map<string, Screenshot>): string {
  const t = trajectory;
  const e = escapeHtml;
  const verdictRows = verdicts.length
    ? verdicts.map((v) => `<tr><td><code>${e(v.judgeVersion)}</code></td><td>${v.success}</td><td>${v.efficiency}</td><td>${v.selfCorrection}</td><td>${e(v.reasoning)}</td></tr>`).join('\n')
    : '<tr><td colspan="5">not judged yet</td></tr>';
  const steps = t.steps.map((s) => {
    const shot = s.screenshotRef ? screenshots.get(s.screenshotRef) : undefined;
    const image = shot?.dataUri
      ? `<img alt="screenshot of step ${s.index + 1}" src="${shot.dataUri}">`
      : `<div class="missing">${s.screenshotRef ? `screenshot unavailable: ${e(shot?.problem ?? 'not fetched')}` : 'no screenshot taken'}</div>`;
    const thought = thoughtOf(s.llmOutput);
    const result = s.result ? (s.result.ok ? `<span class="ok">done</span>${s.result.navigated ? `, went to <code>${e(s.result.url)}</code>` : ''}${s.result.newTab ? ', opened a tab' : ''}` : `<span class="bad">failed: ${e(s.result.error ?? '')}</span>`) : '';
    return `<section class="step" id="step-${s.index + 1}">
<header><b>Step ${s.index + 1}</b><span class="meta"><code>${e(s.url)}</code> ${e(s.title)}</span></header>
<div class="shot">${image}</div>
<p><b>Action:</b> ${s.action ? `<code>${e(describeAction(s.action))}</code>` : '<span class="bad">none</span>'} ${result}</p>
${s.error ? `<p class="bad"><b>Error:</b> ${e(s.error)}</p>` : ''}
${thought ? `<p><b>Thought:</b> ${e(thought)}</p>` : ''}
<details><summary>Raw reply</summary><pre>${e(s.llmOutput)}</pre></details>
<details><summary>What the agent saw (${s.observation.length.toLocaleString('en')} characters${s.observationRef ? ', the beginning; all of it is in the blob store' : ''})</summary><pre>${e(s.observation)}</pre></details>
</section>`;
  }).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>${e(t.task.instruction.slice(0, 80))} · webtrail</title>
<style>${STYLE}</style></head>
<body>
<h1>${e(t.task.instruction)}</h1>
<p class="meta">${e(t.task.domain)} · start <code>${e(t.task.startUrl)}</code> · trajectory <code>${e(t.trajectoryId)}</code> · run <code>${e(t.runId || '–')}</code> · agent <code>${e(t.agentVersion)}</code></p>
<p><b>Status:</b> ${e(t.status)}${t.statusReason ? ` (${e(t.statusReason)})` : ''} · <b>${t.steps.length}</b> steps in ${((t.endedAtMs - t.startedAtMs) / 1000).toFixed(1)} s · ${t.usage.calls} LLM calls, ${t.usage.promptTokens + t.usage.completionTokens} tokens</p>
<p><b>Final answer:</b> ${t.finalAnswer === null ? '<span class="bad">none</span>' : e(t.finalAnswer)} · final page <code>${e(t.finalUrl)}</code></p>
<h2>Verdicts</h2>
<table><tr><th>judge</th><th>success</th><th>efficiency</th><th>self-correction</th><th>reasoning</th></tr>
${verdictRows}</table>
<h2>Steps</h2>
${steps}
</body></html>
`;
}
