// Every sandbox task can be solved in the real browser by following its plan, and its check tells a
// solved task from an unsolved one.
import { describe, expect, it } from 'vitest';
import { SITES } from '../sandbox/sites/index.ts';
import { runPlan, sandboxSuite } from './helpers/browser.ts';

const suite = sandboxSuite();

describe('sandbox web', () => {
  it('has at least six sites with five checkable tasks each, plus an unsafe site', () => {
    const withTasks = SITES.filter((s) => s.tasks.length >= 5);
    expect(withTasks.length).toBeGreaterThanOrEqual(6);
    expect(SITES.some((s) => s.unsafe)).toBe(true);
  });

  for (const site of SITES.filter((s) => s.tasks.length > 0)) {
    it(`${site.name}: every task is solved by its plan and not by doing nothing`, async () => {
      for (const task of site.tasks) {
        const start = new URL(task.startPath, suite.sandbox.siteUrl(site.name)).toString();
        expect(task.check({ finalAnswer: 'I could not find it.', finalUrl: start }, suite.sandbox.state), `${task.id} passes without being done`).toBe(false);
        const session = await suite.pool.newSession();
        try {
          const opened = await session.goto(start);
          expect(opened.ok, opened.error ?? '').toBe(true);
          const outcome = await runPlan(session, task);
          expect(outcome.stuck, task.id).toBeUndefined();
          expect(task.check(outcome, suite.sandbox.state), `${task.id}: check failed for ${JSON.stringify(outcome)}`).toBe(true);
        } finally {
          await session.close();
        }
      }
    }, 120_000);
  }
});
