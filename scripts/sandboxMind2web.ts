// npm run sandbox:mind2web [-- --out FILE] [--site NAME]: the sandbox tasks as Mind2Web-format steps, so
// webtrail eval mind2web runs on the sandbox as on Mind2Web's data. Each task's plan is followed in real
// Chromium; before each action the page is saved (scripts removed, every element numbered with a
// backend_node_id attribute), with the gold operation and the element the plan acts on.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { BrowserPool, loadBrowserConfig } from '../browser/index.ts';
import { createLogger, webtrailHome } from '../platform/index.ts';
import { DEMO_SITES, findTarget, planAction, startSandbox } from '../sandbox/index.ts';
import { mind2webOperation } from '../eval/index.ts';

/** The operations Mind2Web records; other plan steps (scrolling, keys, going back) are followed, not saved. */
const RECORDED = new Set(['CLICK', 'TYPE', 'SELECT']);

const NUMBER_ELEMENTS = `(() => {
  let n = 0;
  for (const el of document.querySelectorAll('*')) el.setAttribute('backend_node_id', String(++n));
  const copy = document.documentElement.cloneNode(true);
  for (const s of copy.querySelectorAll('script')) s.remove();
  return '<!doctype html>' + copy.outerHTML;
})()`;

export async function exportSandboxMind2Web(out: string, site?: string): Promise<{ steps: number; tasks: number }> {
  const sandbox = await startSandbox({ port: 0 });
  const pool = new BrowserPool(
    loadBrowserConfig({ ...process.env, WEBTRAIL_BROWSER_ALLOW_HOSTS: sandbox.allowHost }),
    createLogger('sandbox-mind2web', process.env.LOG_LEVEL ?? 'fatal'),
  );
  const lines: string[] = [];
  let tasks = 0;
  try {
    for (const s of DEMO_SITES.filter((x) => !site || x.name === site)) {
      for (const task of s.tasks) {
        const session = await pool.newSession();
        try {
          await session.goto(new URL(task.startPath, sandbox.siteUrl(s.name)).toString());
          const previous: string[] = [];
          for (const [i, step] of task.plan.entries()) {
            const observation = await session.observe();
            const action = planAction(observation.text, step);
            const operation = mind2webOperation(step.kind, step.value);
            if (!action || step.kind === 'answer') break;
            const target = findTarget(observation.text, step);
            // Opening a collapsed group of links is our observation's own step: Mind2Web's pages have no such
            // element (and eval mind2web lists every group open), so it is only a previous action.
            const elementId = action.elementId;
            if (RECORDED.has(operation.op) && elementId !== null && target) {
              if (target.role !== 'group') {
                const html = (await (await session.page()).evaluate(NUMBER_ELEMENTS)) as string;
                const gold = await session.attributeOf(elementId, 'backend_node_id');
                lines.push(
                  JSON.stringify({
                    annotation_id: `sandbox-${task.id}`,
                    action_uid: `sandbox-${task.id}-${i}`,
                    website: s.name,
                    confirmed_task: task.instruction,
                    previous_actions: [...previous],
                    operation: { op: operation.op, original_op: step.kind.toUpperCase(), value: operation.value },
                    pos_candidates: [{ backend_node_id: gold, tag: target.role }],
                    cleaned_html: html,
                  }),
                );
              }
              previous.push(
                `[${target.role}]  ${target.name} -> ${operation.op}${operation.value ? `: ${operation.value}` : ''}`,
              );
            }
            const result = await session.act(action);
            if (!result.ok) break;
          }
          tasks += 1;
        } finally {
          await session.close();
        }
      }
    }
  } finally {
    await pool.close();
    await sandbox.close();
  }
  writeFileSync(out, `${lines.join('\n')}\n`);
  return { steps: lines.length, tasks };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const out = path.resolve(flag('--out') ?? path.join(webtrailHome(), 'sandbox-mind2web.jsonl'));
  const site = flag('--site');
  if (site && !DEMO_SITES.some((s) => s.name === site)) {
    console.error(`sandbox:mind2web: --site ${site}: not a sandbox site (${DEMO_SITES.map((s) => s.name).join(', ')})`);
    process.exit(2);
  }
  exportSandboxMind2Web(out, site).then(
    ({ steps, tasks }) => console.log(`${out}: ${steps} steps of ${tasks} tasks`),
    (error: Error) => {
      console.error(`sandbox:mind2web: ${error.message}`);
      process.exit(1);
    },
  );
}
