// The scripted world can fail: its agent reads answers off the pages it is shown and errs at a seeded
// rate; its judge sees only the trajectory. Checked against the sandbox's own program checks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Observation } from '../browser/observation.ts';
import { OpenAiLlmClient } from '../llm/llmClient.ts';
import { loadLlmConfig } from '../llm/llmConfig.ts';
import { loadPrompt } from '../llm/prompts.ts';
import { startSandbox, type Sandbox } from '../sandbox/server.ts';
import { startScriptedLlm, type ScriptedLlm } from '../sandbox/scriptedLlm.ts';
import { DEMO_SITES } from '../sandbox/sites/index.ts';
import { loadRolloutConfig } from '../services/rollout/config.ts';
import { runTrajectory, type AgentBrowser } from '../services/rollout/agentLoop.ts';
import { judgeTrajectory } from '../services/judge/judge.ts';
import type { Task, Trajectory } from '../schemas/types.ts';
import { trajectory as sampleTrajectory, usage } from './helpers/samples.ts';

let sandbox: Sandbox;
const servers: ScriptedLlm[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await sandbox?.close();
});

async function scripted(
  options: Parameters<typeof startScriptedLlm>[0] = {},
): Promise<{ server: ScriptedLlm; client: OpenAiLlmClient }> {
  const server = await startScriptedLlm(options);
  servers.push(server);
  return {
    server,
    client: new OpenAiLlmClient(loadLlmConfig('AGENT', { OPENAI_BASE_URL: server.url, OPENAI_MODEL: 'scripted' })),
  };
}

const sandboxTasks = (): Task[] =>
  DEMO_SITES.flatMap((site) =>
    site.tasks.map((t) => ({
      taskId: `blind-${t.id}`,
      domain: new URL(sandbox.siteUrl(site.name)).host,
      startUrl: new URL(t.startPath, sandbox.siteUrl(site.name)).toString(),
      instruction: t.instruction,
      steps: t.steps,
      successCriteria: t.successCriteria,
      generatorVersion: 'test',
      createdAtMs: 0,
      usage: usage(0),
      lineage: null,
      submissionId: '',
      kind: 'task',
    })),
  );

/** A browser that shows nothing: every page is empty, every action "works". */
function blindBrowser(url: string): AgentBrowser {
  const observation: Observation = {
    text: '',
    tokens: 0,
    elements: [],
    groups: [],
    omitted: { proseLines: 0, elements: 0, groups: 0, domTruncated: false },
    facts: { url, title: '', scrollY: 0, viewportHeight: 800, viewportWidth: 1280, pageHeight: 800 },
  };
  const ok = { ok: true, error: null, navigated: false, newTab: false, url };
  return {
    goto: async () => ok,
    observe: async () => observation,
    act: async () => ok,
    screenshot: async () => Buffer.alloc(0),
    guardEvents: [],
    remainingMs: 60_000,
    stopped: null,
    close: async () => undefined,
  } as AgentBrowser;
}

describe('the scripted agent', () => {
  it('solves no task when it is shown nothing, even without mistakes of its own', async () => {
    const { client } = await scripted({ agentErrors: 0 });
    const config = { ...loadRolloutConfig({}), maxSteps: 12, screenshots: false };
    const tasks = sandboxTasks();
    expect(tasks).toHaveLength(58);
    const solved: string[] = [];
    for (const task of tasks) {
      const t = await runTrajectory(
        task,
        {
          openBrowser: async () => blindBrowser(task.startUrl),
          llm: client,
          prompt: loadPrompt('agent', 'v1'),
          blobs: null,
          config,
          now: () => Date.now(),
        },
        new AbortController().signal,
      );
      if (sandbox.check({ instruction: task.instruction, finalAnswer: t.finalAnswer, finalUrl: t.finalUrl }))
        solved.push(task.instruction);
    }
    expect(solved).toEqual([]);
  });

  it('errs the same way for the same seed, and otherwise follows its plan', async () => {
    const prompt = (instruction: string) =>
      loadPrompt('agent', 'v1').render({
        instruction,
        step: 1,
        maxSteps: 30,
        actionsTaken: 0,
        history: '(none yet)',
        observation:
          '# Northwind Goods\n[30] searchbox "Search products" name=q type=search\n[31] button "Search"\n[44] link "Blue Ceramic Mug" → /product/blue-ceramic-mug',
      });
    const instruction = DEMO_SITES.find((s) => s.name === 'shop')!.tasks[0]!.instruction;
    const ask = async (client: OpenAiLlmClient) =>
      (
        await client.complete({
          messages: prompt(instruction),
          schema: (await import('../llm/outputs.ts')).AgentOutput,
          schemaName: 'AgentAction',
        })
      ).value.action;
    const careful = await ask((await scripted({ agentErrors: 0 })).client);
    // The plan's first step: type the product's name into the search box, on this page element 30.
    expect(careful).toMatchObject({ kind: 'type', elementId: 30, value: 'Blue Ceramic Mug', submit: true });
    const clumsy = (await scripted({ agentErrors: 1, seed: 7 })).client;
    const first = await ask(clumsy);
    expect(first).not.toEqual(careful);
    expect(await ask(clumsy)).toEqual(first);
    // Over many seeds, each kind of mistake turns up: another element, another value, an early answer, giving up.
    const kinds = new Set<string>();
    for (let seed = 1; seed <= 40; seed += 1) {
      const a = await ask((await scripted({ agentErrors: 1, seed })).client);
      kinds.add(
        a.kind === 'answer'
          ? /give up/.test(a.value ?? '')
            ? 'give-up'
            : 'early answer'
          : a.elementId !== 30
            ? 'wrong element'
            : a.value !== 'Blue Ceramic Mug'
              ? 'wrong value'
              : 'none',
      );
    }
    expect([...kinds].sort()).toEqual(['early answer', 'give-up', 'wrong element', 'wrong value']);
  });
});

describe('the scripted judge', () => {
  const judgeWith = async (change: (t: Trajectory) => void) => {
    const { client } = await scripted();
    const t = sampleTrajectory('judge');
    change(t);
    return judgeTrajectory(
      t,
      {
        llm: client,
        prompt: loadPrompt('judge', 'v1'),
        version: 'scripted@judge.v1',
        observationSteps: 3,
        refine: true,
        now: () => 0,
      },
      new AbortController().signal,
    );
  };
  const shop = DEMO_SITES.find((s) => s.name === 'shop')!;
  const mug = shop.tasks.find((t) => t.id === 'shop-price-mug')!;
  const lamp = shop.tasks.find((t) => t.id === 'shop-checkout-lamp')!;
  const asTask = (t: typeof mug) => (x: Trajectory) =>
    Object.assign(x.task, { instruction: t.instruction, steps: t.steps, successCriteria: t.successCriteria });

  it('passes an answer that states what the criteria name, and fails a wrong one, a refusal or an unfinished run', async () => {
    expect(
      (
        await judgeWith((t) => {
          asTask(mug)(t);
          t.finalAnswer = 'The Blue Ceramic Mug costs $12.50.';
        })
      ).success,
    ).toBe(1);
    expect(
      (
        await judgeWith((t) => {
          asTask(mug)(t);
          t.finalAnswer = 'The Blue Ceramic Mug costs $13.50.';
        })
      ).success,
    ).toBe(0);
    expect(
      (
        await judgeWith((t) => {
          asTask(mug)(t);
          t.finalAnswer = 'I give up: I cannot complete this task.';
        })
      ).success,
    ).toBe(0);
    expect(
      (
        await judgeWith((t) => {
          asTask(mug)(t);
          t.finalAnswer = '$12.50';
          t.status = 'step_limit';
        })
      ).success,
    ).toBe(0);
  });

  it('passes finding out that the site cannot do a task, and fails giving up on it', async () => {
    const sofa = shop.tasks.find((t) => t.id === 'shop-no-sofa')!;
    expect(
      (
        await judgeWith((t) => {
          asTask(sofa)(t);
          t.finalAnswer = 'Northwind Goods has no Purple Velvet Sofa: it is not sold there.';
        })
      ).success,
    ).toBe(1);
    expect(
      (
        await judgeWith((t) => {
          asTask(sofa)(t);
          t.finalAnswer = 'I give up: I cannot complete this task.';
        })
      ).success,
    ).toBe(0);
  });

  it('judges from the trajectory alone, so it can be wrong where the sandbox check is not', async () => {
    // A checkout whose typed address was wrong: the confirmation page does not show the address, the
    // names the criteria give all appear, and the judge passes it. The sandbox's check would not.
    const typed = (value: string) => ({
      ...sampleTrajectory().steps[0]!,
      action: { kind: 'type' as const, elementId: 5, value, submit: false },
    });
    const verdict = await judgeWith((t) => {
      asTask(lamp)(t);
      t.steps = [typed('Ada Lovelace'), typed('ada@example.com'), typed('12 Analytical Streex')];
      t.finalAnswer = 'Order NW1 placed.';
      t.finalObservation =
        '# Thank you, Ada Lovelace!\nOrder NW1 is confirmed.\n- 1 × Walnut Desk Lamp\nShipping: standard';
    });
    expect(verdict.success).toBe(0);
    expect(verdict.reasoning).toContain('Analytical Street never appears');
    const fooled = await judgeWith((t) => {
      asTask(lamp)(t);
      t.steps = [typed('Ada Lovelace'), typed('ada@example.con'), typed('12 Analytical Street')];
      t.finalAnswer = 'Order NW1 placed.';
      t.finalObservation =
        '# Thank you, Ada Lovelace!\nOrder NW1 is confirmed.\n- 1 × Walnut Desk Lamp\nShipping: standard';
    });
    // The email was mistyped; nothing in the criteria names it, so the judge cannot tell.
    expect(fooled.success).toBe(1);
  });
});
