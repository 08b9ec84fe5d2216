// Every sandbox task can be solved in the real browser by following its plan, and its check tells a
// solved task from an unsolved one.
import { obstacleOfLoadError } from '../browser/obstacles.ts';
import { describe, expect, it } from 'vitest';
import { SITES } from '../sandbox/sites/index.ts';
import { runPlan, sandboxSuite } from './helpers/browser.ts';
import { similarity } from '../llm/proposedTasks.ts';
import { NOT_FOUND } from '../sandbox/answerRules.ts';

const suite = sandboxSuite();

describe('sandbox web', () => {
  it('has at least 50 checkable tasks on six sites: answers several actions deep, changes of state, and tasks the site cannot do', () => {
    const tasks = SITES.flatMap((s) => s.tasks);
    expect(tasks.length).toBeGreaterThanOrEqual(50);
    expect(SITES.filter((s) => s.tasks.length >= 5).length).toBeGreaterThanOrEqual(6);
    expect(SITES.some((s) => s.unsafe)).toBe(true);
    expect(new Set(tasks.map((t) => t.id)).size).toBe(tasks.length);
    // Two or more actions before the answer can be read.
    expect(tasks.filter((t) => !t.kind && t.plan.length >= 3).length).toBeGreaterThanOrEqual(15);
    expect(tasks.filter((t) => t.kind === 'state').length).toBeGreaterThanOrEqual(10);
    expect(tasks.filter((t) => t.kind === 'infeasible').length).toBeGreaterThanOrEqual(5);
    // The generator and the refiner drop a task too like another of the same site; every sandbox task and follow-up must survive it.
    for (const site of SITES) {
      const all = [...site.tasks, ...(site.followUps ?? [])];
      for (const [i, a] of all.entries())
        for (const b of all.slice(i + 1))
          expect(similarity(a.instruction, b.instruction), `${a.id} ~ ${b.id}`).toBeLessThan(0.8);
    }
  });

  it('has follow-ups for two refinement rounds: harder after a success, repaired after a failure, each under a task that can reach that outcome', () => {
    const followUps = SITES.flatMap((s) => (s.followUps ?? []).map((f) => ({ ...f, site: s.name })));
    const all = SITES.flatMap((s) => [...s.tasks, ...(s.followUps ?? [])]);
    expect(new Set(all.map((t) => t.id)).size).toBe(all.length);
    expect(followUps.some((f) => f.after === 'success') && followUps.some((f) => f.after === 'failure')).toBe(true);
    // Explored ones name the page the exploration must have seen; the others their parent task.
    expect(followUps.filter((f) => f.after === 'explored').length).toBeGreaterThanOrEqual(2);
    for (const f of followUps) {
      if (f.after === 'explored') {
        expect(f.parent, f.id).toMatch(/^\//);
        continue;
      }
      const parent = all.find((t) => t.id === f.parent);
      expect(parent, f.id).toBeDefined();
      // A repair follows a task that fails; a harder task one that can succeed.
      expect(Boolean((parent as { unanswerable?: true }).unanswerable), `${f.id} after ${f.after} of ${f.parent}`).toBe(
        f.after === 'failure',
      );
    }
    const roundOf = (id: string): number => {
      const f = followUps.find((x) => x.id === id);
      return f ? (f.after === 'explored' ? 1 : 1 + roundOf(f.parent)) : 0;
    };
    expect(Math.max(...followUps.map((f) => roundOf(f.id)))).toBe(2);
  });

  for (const site of SITES.filter((s) => s.tasks.length > 0)) {
    it(`${site.name}: every task is solved by its plan and not by doing nothing`, async () => {
      for (const task of [...site.tasks, ...(site.followUps ?? [])]) {
        const start = new URL(task.startPath, suite.sandbox.siteUrl(site.name)).toString();
        expect(
          task.check({ finalAnswer: 'I could not find it.', finalUrl: start }, suite.sandbox.state),
          `${task.id} passes without being done`,
        ).toBe(false);
        // Giving up is not finding out that the site cannot do it.
        expect(
          task.check({ finalAnswer: 'I give up: I cannot complete this task.', finalUrl: start }, suite.sandbox.state),
          `${task.id} passes by giving up`,
        ).toBe(false);
        const session = await suite.pool.newSession();
        try {
          const opened = await session.goto(start);
          if (task.kind === 'not_executable') {
            // A page the real web would serve instead of the site: read by the browser as the obstacle it is.
            const obstacle = obstacleOfLoadError(opened.error) ?? (await session.obstacle());
            expect(obstacle?.reason, `${task.id}: ${opened.error}`).toBe(task.obstacle);
            continue;
          }
          expect(opened.ok, opened.error ?? '').toBe(true);
          // And an ordinary page shows no obstacle (a consent popup is answered first: the shop's daily deals).
          expect(await session.obstacle(), task.id).toBeNull();
          const outcome = await runPlan(session, task);
          expect(outcome.stuck, task.id).toBeUndefined();
          if ('unanswerable' in task) {
            expect(outcome.finalAnswer, `${task.id} found an answer the site does not show`).toBe(NOT_FOUND);
            continue;
          }
          expect(
            task.check(outcome, suite.sandbox.state),
            `${task.id}: check failed for ${JSON.stringify(outcome)}`,
          ).toBe(true);
        } finally {
          await session.close();
        }
      }
    }, 120_000);
  }
});
