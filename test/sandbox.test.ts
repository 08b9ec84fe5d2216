// Every sandbox task can be solved in the real browser by following its plan, and its check tells a
// solved task from an unsolved one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../sandbox/server.ts';
import { SITES } from '../sandbox/sites/index.ts';
import type { BrowserPool } from '../browser/browserPool.ts';
import { runPlan, testPool } from './helpers/browser.ts';

let sandbox: Sandbox;
let pool: BrowserPool;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  pool = testPool(sandbox.allowHost);
});
afterAll(async () => {
  await pool?.close();
  await sandbox?.close();
});

describe('sandbox web', () => {
  it('has at least six sites with five checkable tasks each, plus an unsafe site', () => {
    const withTasks = SITES.filter((s) => s.tasks.length >= 5);
    expect(withTasks.length).toBeGreaterThanOrEqual(6);
    expect(SITES.some((s) => s.unsafe)).toBe(true);
  });

  for (const site of SITES.filter((s) => s.tasks.length > 0)) {
    it(`${site.name}: every task is solved by its plan and not by doing nothing`, async () => {
      for (const task of site.tasks) {
        const start = new URL(task.startPath, sandbox.siteUrl(site.name)).toString();
        expect(task.check({ finalAnswer: 'I could not find it.', finalUrl: start }, sandbox.state), `${task.id} passes without being done`).toBe(false);
        const session = await pool.newSession();
        try {
          const opened = await session.goto(start);
          expect(opened.ok, opened.error ?? '').toBe(true);
          const outcome = await runPlan(session, task);
          expect(outcome.stuck, task.id).toBeUndefined();
          expect(task.check(outcome, sandbox.state), `${task.id}: check failed for ${JSON.stringify(outcome)}`).toBe(true);
        } finally {
          await session.close();
        }
      }
    }, 120_000);
  }
});
