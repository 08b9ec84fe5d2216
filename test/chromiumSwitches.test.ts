// What Chromium is actually started with, read back off the running processes: Chromium keeps only the
// last --disable-features, so webtrail's list must carry Playwright's, and must turn off its own calls home.
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { childPids, commandLine } from '../platform/index.ts';
import { loadBrowserConfig } from '../browser/browserConfig.ts';
import { PLAYWRIGHT_DISABLED_FEATURES, QUIET_DISABLED_FEATURES } from '../browser/browserPool.ts';
import { findTask } from '../sandbox/sites/index.ts';
import { runPlan, sandboxSuite } from './helpers/browser.ts';

/** The command lines of the Chromium browser processes this test process started (not their helpers). */
function chromiumCommandLines(): string[][] {
  return childPids(process.pid)
    .map(commandLine)
    .filter((argv): argv is string[] => argv?.includes('--remote-debugging-pipe') ?? false);
}

/** The features a command line disables, as Chromium reads it: the last --disable-features only. */
const disabledFeatures = (argv: string[]) =>
  (argv.filter((a) => a.startsWith('--disable-features=')).at(-1) ?? '--disable-features=')
    .slice('--disable-features='.length)
    .split(',')
    .filter(Boolean);

const suite = sandboxSuite();

describe('the switches Chromium runs with', () => {
  it('include every feature Playwright itself disables (the copy in browserPool.ts is current)', async () => {
    const before = new Set(chromiumCommandLines().map((a) => a.join(' ')));
    const bare = await chromium.launch({
      executablePath: loadBrowserConfig().executablePath,
      headless: true,
      args: ['--no-sandbox'],
    });
    try {
      const started = chromiumCommandLines().filter((a) => !before.has(a.join(' ')));
      expect(started).toHaveLength(1);
      expect(disabledFeatures(started[0]!).sort()).toEqual([...PLAYWRIGHT_DISABLED_FEATURES].sort());
    } finally {
      await bare.close();
    }
  });

  it("disable Playwright's features and autofill's server in the pool's browser, and a form page asks nothing of the outside", async () => {
    const session = await suite.pool.newSession();
    try {
      const task = findTask({
        instruction:
          'Apply to the City Permit Office for a street party permit for Katherine Johnson, born 1918-08-26, email kj@example.com, at 9 Orbit Lane, Newport, postcode NP1 9ZZ, and ask for email updates.',
      })!;
      expect((await session.goto(new URL(task.startPath, suite.sandbox.siteUrl(task.site)).toString())).ok).toBe(true);
      const run = await runPlan(session, task);
      expect(run.stuck).toBeUndefined();
      const pools = chromiumCommandLines().filter((a) =>
        a.some((x) => x.startsWith('--js-flags=--max-old-space-size')),
      );
      expect(pools).toHaveLength(1);
      const features = disabledFeatures(pools[0]!);
      for (const feature of [...PLAYWRIGHT_DISABLED_FEATURES, ...QUIET_DISABLED_FEATURES])
        expect(features).toContain(feature);
      // Autofill would have asked its server about each form: through the proxy, a refused request each.
      await new Promise((r) => setTimeout(r, 1000));
      expect(session.guardEvents).toEqual([]);
    } finally {
      await session.close();
    }
  });
});
