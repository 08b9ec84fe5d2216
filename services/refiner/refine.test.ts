// The refiner's decisions as plain functions, against the scripted LLM over real HTTP: which verdict
// gets which follow-up, with what lineage, and which gets none without the LLM being asked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScriptedLlm, type ScriptedLlm } from '../../sandbox/scriptedLlm.ts';
import { findTask } from '../../sandbox/sites/index.ts';
import { OpenAiLlmClient } from '../../llm/llmClient.ts';
import { loadLlmConfig } from '../../llm/llmConfig.ts';
import { loadPrompt } from '../../llm/prompts.ts';
import type { Task, Verdict } from '../../schemas/types.ts';
import { task as sampleTask, verdict as sampleVerdict } from '../../test/helpers/samples.ts';
import { KnownTasks, SiteRefiner, followUpRecords, followUpTaskId, refineVerdict, type RefinerDeps } from './refine.ts';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { inSpan } from '../../platform/telemetry.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { loadRefinerConfig } from './config.ts';
import { EXPLORE_INSTRUCTION } from '../../llm/exploration.ts';

let llm: ScriptedLlm;
let deps: RefinerDeps;
const signal = new AbortController().signal;

beforeAll(async () => {
  llm = await startScriptedLlm({ record: true });
  deps = {
    llm: new OpenAiLlmClient(loadLlmConfig('REFINER', { OPENAI_BASE_URL: llm.url, OPENAI_MODEL: 'scripted' })),
    prompt: loadPrompt('refine', 'v1'),
    explorePrompt: loadPrompt('explore', 'v1'),
    config: loadRefinerConfig({ WEBTRAIL_REFINER_ROUNDS: '2', WEBTRAIL_REFINER_MAX_TASKS_PER_SITE: '5' }),
    now: () => 1_800_000_000_000,
  };
});
afterAll(() => llm.close());

/** A sandbox task as the generator (or the refiner, with lineage) would have sent it. */
function sandboxTask(id: string, lineage: Task['lineage'] = null): Task {
  const planned = findTask({ taskId: id })!;
  return {
    ...sampleTask(`task-${id}`),
    domain: `${planned.site}.localhost`,
    startUrl: `http://${planned.site}.localhost:8080${planned.startPath}`,
    instruction: planned.instruction,
    steps: planned.steps,
    successCriteria: planned.successCriteria,
    lineage,
    submissionId: 'submission-1',
  };
}

function judged(task: Task, success: number, change: Partial<Verdict> = {}): Verdict {
  const base = sampleVerdict(task.taskId);
  return {
    ...base,
    verdictId: `v-${task.taskId}-${success}`,
    success,
    refine: true,
    trajectory: { ...base.trajectory, task },
    ...change,
  };
}

const calls = () => llm.stats.calls.refine ?? 0;

describe('refineVerdict', () => {
  it('makes a harder follow-up after a success and a repaired one after a failure, with lineage through the rounds', async () => {
    const known = new KnownTasks();
    const root = sandboxTask('library-author');
    known.remember(root);
    const first = await refineVerdict(judged(root, 1), known.site(root), deps, signal);
    expect(first.kind).toBe('follow-up');
    if (first.kind !== 'follow-up') return;
    expect(first.tasks[0]!.instruction).toBe(findTask({ taskId: 'library-calvino-holds' })!.instruction);
    expect(first.tasks[0]!.taskId).toBe(followUpTaskId(root));
    expect(first.tasks[0]!.submissionId).toBe(root.submissionId);
    expect(first.tasks[0]!.startUrl).toBe('http://library.localhost:8080/');
    expect(first.tasks[0]!.generatorVersion).toBe('scripted@refine.v1');
    expect(first.tasks[0]!.lineage).toMatchObject({
      parentTaskId: root.taskId,
      rootTaskId: root.taskId,
      round: 1,
      direction: 'harder',
      verdictId: `v-${root.taskId}-1`,
      parentSuccess: 1,
    });
    // What the LLM was told: the parent, its outcome, and the site's tasks not to repeat.
    const sent = llm.received.at(-1)!.messages.find((m) => m.role === 'user')!.content;
    expect(sent).toContain(`Parent task: ${root.instruction}`);
    expect(sent).toContain('Outcome: success');
    expect(sent).toContain('This follow-up would be round 1 of at most 2.');
    expect(sent).toContain(`- ${root.instruction}`);

    known.remember(first.tasks[0]!);
    const second = await refineVerdict(judged(first.tasks[0]!, 0), known.site(root), deps, signal);
    expect(second.kind).toBe('follow-up');
    if (second.kind !== 'follow-up') return;
    expect(second.tasks[0]!.instruction).toBe(findTask({ taskId: 'library-shelf-calvino' })!.instruction);
    expect(second.tasks[0]!.lineage).toMatchObject({
      parentTaskId: first.tasks[0]!.taskId,
      rootTaskId: root.taskId,
      round: 2,
      direction: 'repair',
      parentSuccess: 0,
    });
  });

  it('makes none past the last round, for a replayed verdict, a task followed up already, a full site or a broken rollout, without asking the LLM', async () => {
    const known = new KnownTasks();
    const root = sandboxTask('library-author');
    known.remember(root);
    const roundTwo = sandboxTask('library-shelf-calvino', {
      parentTaskId: 'p',
      rootTaskId: root.taskId,
      round: 2,
      direction: 'repair',
      reason: 'r',
      verdictId: 'v',
      parentSuccess: 0,
    });
    const before = calls();
    const cases: Array<[Verdict, KnownTasks, RegExp]> = [
      [judged(roundTwo, 1), known, /round 3 is past WEBTRAIL_REFINER_ROUNDS=2/],
      [judged(root, 1, { refine: false }), known, /not for refinement/],
      [
        judged(root, 1, { trajectory: { ...sampleVerdict().trajectory, task: root, status: 'error' } }),
        known,
        /ended in an error/,
      ],
      [
        // A failure on a site that could not be done (library-author has a harder follow-up after a success,
        // and a repair would be offered after a failure): none, the site is the obstacle.
        judged(root, 0, {
          trajectory: {
            ...sampleVerdict().trajectory,
            task: root,
            status: 'blocked',
            notExecutable: { reason: 'login', detail: 'a login form' },
          },
        }),
        known,
        /the site made the task impossible \(login\)/,
      ],
    ];
    const followedUp = new KnownTasks();
    followedUp.remember(root);
    followedUp.remember({
      taskId: followUpTaskId(root),
      domain: root.domain,
      instruction: 'anything',
      submissionId: root.submissionId,
      lineage: {
        parentTaskId: root.taskId,
        rootTaskId: root.taskId,
        round: 1,
        direction: 'harder',
        reason: 'r',
        verdictId: 'v',
        parentSuccess: 1,
      },
    });
    cases.push([judged(root, 1), followedUp, /has its follow-up already/]);
    const full = new KnownTasks();
    for (let i = 0; i < 5; i++)
      full.remember({
        taskId: `t${i}`,
        domain: root.domain,
        instruction: `task number ${i}`,
        submissionId: root.submissionId,
        lineage: null,
      });
    cases.push([judged(root, 1), full, /the site has 5 tasks, WEBTRAIL_REFINER_MAX_TASKS_PER_SITE=5/]);
    for (const [verdict, table, why] of cases) {
      const result = await refineVerdict(verdict, table.site(root), deps, signal);
      expect(result).toMatchObject({ kind: 'none', asked: false });
      if (result.kind === 'none') expect(result.why).toMatch(why);
    }
    expect(calls()).toBe(before);
    const off = await refineVerdict(
      judged(root, 1),
      known.site(root),
      { ...deps, config: { ...deps.config, rounds: 0 } },
      signal,
    );
    expect(off).toMatchObject({ kind: 'none', asked: false });
  });

  it('refuses a verdict whose start URL is not a URL, naming the field and the value (for its dead letter)', async () => {
    const known = new KnownTasks();
    const root = { ...sandboxTask('library-author'), startUrl: 'library.localhost/not a url' };
    known.remember(root);
    const before = calls();
    const refused = refineVerdict(judged(root, 1), known.site(root), deps, signal);
    await expect(refused).rejects.toThrow(
      'trajectory.task.startUrl "library.localhost/not a url" is not a URL: nothing can be proposed for its site',
    );
    await expect(refused).rejects.toMatchObject({ retriable: false });
    expect(calls()).toBe(before);
  });

  it('drops a follow-up that repeats a task of the site, and says so when the model has none', async () => {
    const root = sandboxTask('library-author');
    const known = new KnownTasks();
    known.remember(root);
    // A task of the site close to the follow-up the model will offer.
    known.remember({
      taskId: 'other',
      domain: root.domain,
      submissionId: root.submissionId,
      lineage: null,
      instruction:
        'At the Riverside Library, how many people are waiting in the hold queue for the book by Italo Calvino?',
    });
    const repeated = await refineVerdict(judged(root, 1), known.site(root), deps, signal);
    expect(repeated).toMatchObject({ kind: 'none', asked: true });
    if (repeated.kind === 'none') expect(repeated.why).toMatch(/repeats a task the site has/);
    const exhausted = await refineVerdict(judged(sandboxTask('library-sunday'), 1), known.site(root), deps, signal);
    expect(exhausted).toMatchObject({ kind: 'none', asked: true });
    if (exhausted.kind === 'none')
      expect(exhausted.why).toMatch(/the refiner proposed none: The site offers nothing more/);
  });

  it('proposes tasks from the pages an exploration saw, under its lineage, within the room the cap leaves, once', async () => {
    const exploration: Task = {
      ...sampleTask('explore-gov'),
      domain: 'gov.localhost',
      startUrl: 'http://gov.localhost:8080/',
      instruction: EXPLORE_INSTRUCTION,
      steps: [],
      successCriteria: [],
      kind: 'explore',
      submissionId: 'submission-1',
    };
    const base = sampleVerdict('explore-gov');
    const page = (url: string, title: string) => ({
      ...base.trajectory.steps[0]!,
      url,
      title,
      observation: `# ${title}`,
    });
    const explored = (...urls: string[]): Verdict => ({
      ...base,
      verdictId: 'v-explore',
      success: 1,
      refine: true,
      trajectory: {
        ...base.trajectory,
        task: exploration,
        steps: urls.map((u, i) => ({ ...page(u, `page ${i}`), index: i })),
        finalUrl: urls.at(-1)!,
        finalObservation: '# last',
      },
    });
    const known = new KnownTasks();
    known.remember(exploration);
    // It saw the fees page and the application form: the sandbox's two explored tasks of the permit office.
    const result = await refineVerdict(
      explored('http://gov.localhost:8080/', 'http://gov.localhost:8080/apply/1', 'http://gov.localhost:8080/fees'),
      known.site(exploration),
      deps,
      signal,
    );
    expect(result.kind).toBe('follow-up');
    if (result.kind !== 'follow-up') return;
    expect(result.tasks.map((t) => t.instruction).sort()).toEqual(
      ['gov-first-question', 'gov-parking-over-fishing'].map((id) => findTask({ taskId: id })!.instruction).sort(),
    );
    for (const t of result.tasks) {
      expect(t.lineage).toMatchObject({
        parentTaskId: exploration.taskId,
        rootTaskId: exploration.taskId,
        round: 1,
        direction: 'explored',
        verdictId: 'v-explore',
      });
      expect(t).toMatchObject({ kind: 'task', submissionId: 'submission-1', generatorVersion: 'scripted@explore.v1' });
    }
    // What the explorer prompt carried: every page once, with its text.
    const sent = llm.received.at(-1)!.messages.find((m) => m.role === 'user')!.content;
    expect(sent.match(/^--- http:\/\/gov\.localhost:8080\/fees \(page 2\)$/gm)).toHaveLength(1);
    // Only what it saw: the home page alone grounds none of them.
    expect(
      await refineVerdict(explored('http://gov.localhost:8080/'), known.site(exploration), deps, signal),
    ).toMatchObject({ kind: 'none', asked: true });
    // Room for one under the cap: one.
    const crowded = new KnownTasks();
    crowded.remember(exploration);
    for (let i = 0; i < 3; i++)
      crowded.remember({
        taskId: `t${i}`,
        domain: exploration.domain,
        instruction: `task number ${i}`,
        submissionId: 'submission-1',
        lineage: null,
      });
    const one = await refineVerdict(
      explored('http://gov.localhost:8080/apply/1', 'http://gov.localhost:8080/fees'),
      crowded.site(exploration),
      deps,
      signal,
    );
    expect(one.kind === 'follow-up' && one.tasks.length).toBe(1);
    // Followed up already (its proposals on the topic): none again, and no LLM call.
    for (const t of result.tasks) known.remember(t);
    const before = calls();
    const explorerCalls = llm.stats.calls.explore;
    expect(
      await refineVerdict(explored('http://gov.localhost:8080/fees'), known.site(exploration), deps, signal),
    ).toMatchObject({ kind: 'none', asked: false, why: 'the task has its follow-up already' });
    expect([calls(), llm.stats.calls.explore]).toEqual([before, explorerCalls]);
  });

  it('takes the verdicts of a site one at a time: two at once cannot both take its last place, nor both follow up one task', async () => {
    // Two tasks of the library, each with a follow-up in the sandbox, and room for one more task (cap 5).
    const author = sandboxTask('library-author');
    const year = sandboxTask('library-year');
    const known = new KnownTasks();
    for (const task of [author, year]) known.remember(task);
    for (const i of [0, 1])
      known.remember({
        taskId: `other-${i}`,
        domain: author.domain,
        instruction: `another task ${i}`,
        submissionId: author.submissionId,
        lineage: null,
      });
    const refiner = new SiteRefiner(known, deps);
    const results = await Promise.all([
      refiner.refine(judged(author, 1), signal),
      refiner.refine(judged(year, 1), signal),
    ]);
    expect(results.map((r) => r.kind)).toEqual(['follow-up', 'none']);
    expect(results[1]).toMatchObject({
      why: 'the site has 5 tasks, WEBTRAIL_REFINER_MAX_TASKS_PER_SITE=5',
      asked: false,
    });
    // One task, judged twice at once (a second judge version): one follow-up.
    const again = new KnownTasks();
    again.remember(author);
    const second = new SiteRefiner(again, deps);
    const twice = await Promise.all([
      second.refine(judged(author, 1), signal),
      second.refine(judged(author, 1, { verdictId: 'v-other-judge' }), signal),
    ]);
    expect(twice.map((r) => r.kind)).toEqual(['follow-up', 'none']);
    expect(twice[1]).toMatchObject({ why: expect.stringMatching(/has its follow-up already/) });
  });

  it('counts a follow-up being sent against its site, except for the verdict that made it, and each submission of a site apart', () => {
    const known = new KnownTasks();
    const d = { domain: 'd', submissionId: 's1' };
    const lineage = {
      parentTaskId: 'a',
      rootTaskId: 'a',
      round: 1,
      direction: 'harder',
      reason: 'r',
      verdictId: 'v1',
      parentSuccess: 1,
    };
    known.remember({ ...d, taskId: 'a', instruction: 'a', lineage: null });
    known.hold({ ...d, taskId: 'f', instruction: 'f', lineage }, 'v1');
    expect(known.site(d, 'v2')).toMatchObject({ count: 2 });
    expect(known.site(d, 'v2').followedUp('a')).toBe(true);
    expect(known.site(d, 'v1').followedUp('a')).toBe(false);
    known.remember({ ...d, taskId: 'f', instruction: 'f', lineage });
    expect(known.site(d, 'v1')).toMatchObject({ count: 2 });
    expect(known.site(d, 'v1').followedUp('a')).toBe(true);
    // The site submitted again: its tasks count apart, and its tasks' follow-ups have other ids.
    expect(known.site({ domain: 'd', submissionId: 's2' })).toMatchObject({ count: 0 });
    expect(followUpTaskId({ taskId: 'a', submissionId: 's1' })).not.toBe(
      followUpTaskId({ taskId: 'a', submissionId: 's2' }),
    );
  });
});

describe('follow-up records', () => {
  it('go to the tasks topic keyed by site, each starting its own trace linked to the verdict it came from', async () => {
    const spans = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const tasks = [sampleTask('f1'), sampleTask('f2')];
    const { records, verdictTrace } = await inSpan('refiner.handle', {}, async (span) => ({
      records: followUpRecords(tasks),
      verdictTrace: span.spanContext().traceId,
    }));
    // Keyed by site, so the rollout replica that owns the site's partition paces it for the cluster.
    expect(records.map((r) => [r.topic, r.key, r.value.taskId])).toEqual([
      [TOPICS.tasks.name, 'shop.example.com', 'f1'],
      [TOPICS.tasks.name, 'shop.example.com', 'f2'],
    ]);
    const traces = records.map((r) => r.headers?.traceparent?.split('-')[1]);
    expect(new Set([...traces, verdictTrace]).size).toBe(3);
    const roots = spans.getFinishedSpans().filter((s) => s.name === 'refiner.task');
    expect(roots.map((s) => s.links[0]?.context.traceId)).toEqual([verdictTrace, verdictTrace]);
  });
});
