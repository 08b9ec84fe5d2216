// Browser helpers for tests: a pool allowed to reach the sandbox web, and a plan runner.
import { defaultChromium, loadBrowserConfig } from '../../browser/browserConfig.ts';
import { chromiumSandboxProblem } from '../../browser/sandboxProbe.ts';
import { BrowserPool, type PoolOptions } from '../../browser/browserPool.ts';
import type { BrowserSession } from '../../browser/browserSession.ts';
import { silentLogger } from '../../platform/logger.ts';
import { afterAll, beforeAll, expect } from 'vitest';
import { planAction } from '../../sandbox/planMatcher.ts';
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';
import type { SandboxTask } from '../../sandbox/types.ts';

/**
 * Tests run Chromium sandboxed wherever this machine allows it; where it does not, they say so once and
 * run it without (the explicit opt-out), so the rest of the suite still speaks.
 */
export function sandboxSetting(): Record<string, string> {
  const problem = chromiumSandboxProblem(defaultChromium());
  if (!problem) return {};
  if (!warned) process.stderr.write(`tests: Chromium runs WITHOUT its sandbox on this machine: ${problem}\n`);
  warned = true;
  return { WEBTRAIL_BROWSER_NO_SANDBOX: '1' };
}
let warned = false;

export function testPool(allowHost: string, env: Record<string, string> = {}, options: PoolOptions = {}): BrowserPool {
  return new BrowserPool(
    loadBrowserConfig({
      WEBTRAIL_BROWSER_ALLOW_HOSTS: allowHost,
      WEBTRAIL_BROWSER_SETTLE_MS: '800',
      ...sandboxSetting(),
      ...env,
    }),
    silentLogger,
    options,
  );
}

/** The pool still serves a normal page (the gov site's home) after a page that hurt its renderer, with no browser restarted. */
export async function expectStillServing(pool: BrowserPool, govUrl: string): Promise<void> {
  const next = await pool.newSession();
  try {
    expect((await next.goto(new URL('/', govUrl).toString())).ok).toBe(true);
    expect((await next.observe()).text).toContain('Apply for a permit');
    expect(pool.restarts).toBe(0);
  } finally {
    await next.close();
  }
}

/** Follows a task's plan in a session; returns the final answer and URL, or where it got stuck. */
export async function runPlan(
  session: BrowserSession,
  task: SandboxTask,
): Promise<{ finalAnswer: string | null; finalUrl: string; stuck?: string }> {
  for (const step of task.plan) {
    const observation = await session.observe();
    const action = planAction(observation.text, step);
    if (!action)
      return {
        finalAnswer: null,
        finalUrl: observation.facts.url,
        stuck: `no element for ${JSON.stringify(step)} in:\n${observation.text}`,
      };
    if (action.kind === 'answer') return { finalAnswer: action.value, finalUrl: observation.facts.url };
    const result = await session.act(action);
    if (!result.ok)
      return { finalAnswer: null, finalUrl: result.url, stuck: `${JSON.stringify(step)} failed: ${result.error}` };
  }
  return { finalAnswer: null, finalUrl: '', stuck: 'plan has no answer step' };
}

/** The sandbox web and a pool allowed to reach it, for the enclosing suite (closed after it). */
export function sandboxSuite(env: Record<string, string> = {}): { sandbox: Sandbox; pool: BrowserPool } {
  const suite = {} as { sandbox: Sandbox; pool: BrowserPool };
  beforeAll(async () => {
    suite.sandbox = await startSandbox({ port: 0 });
    suite.pool = testPool(suite.sandbox.allowHost, env);
  });
  afterAll(async () => {
    await suite.pool?.close();
    await suite.sandbox?.close();
  });
  return suite;
}
