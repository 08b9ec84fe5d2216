// The browser contained from outside: its renderer sandbox on, and pages that hold their renderer (a
// script that never ends, at load, after a click, in a worker) or its memory (array buffers, which the
// script heap limit does not see) stopped by watchdogs that do not wait on that renderer. Each page must
// free its slot within its limit + 5 s, with a reason that says why, and the browser must go on.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../sandbox/server.ts';
import type { BrowserPool } from '../browser/browserPool.ts';
import type { BrowserSession } from '../browser/browserSession.ts';
import { descendants, isRenderer, listProcesses, namespaceOf } from '../browser/chromiumProcesses.ts';
import { findTarget } from '../sandbox/planMatcher.ts';
import { openAndObserve } from '../browser/openPage.ts';
import { expectStillServing, sandboxSetting, testPool } from './helpers/browser.ts';
import { waitFor } from './helpers/kafka.ts';

/** The limits these tests run under; the slot must be free within each + this. */
const LIMIT_MS = 3000;
const SLACK_MS = 5000;

let sandbox: Sandbox;
let pool: BrowserPool;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  pool = testPool(sandbox.allowHost, {
    WEBTRAIL_BROWSER_NAVIGATION_TIMEOUT_MS: String(LIMIT_MS),
    WEBTRAIL_BROWSER_ACTION_TIMEOUT_MS: String(LIMIT_MS),
  });
});
afterAll(async () => {
  await pool?.close();
  await sandbox?.close();
});

const hostileUrl = (path: string) => new URL(path, sandbox.siteUrl('hostile')).toString();

/** Runs body in a fresh session and returns how long until the session was closed (its slot free). */
async function timedSession(body: (session: BrowserSession) => Promise<void>, from: { at?: number } = {}) {
  const session = await pool.newSession();
  try {
    await body(session);
  } finally {
    await session.close();
  }
  return { session, freedAfterMs: Date.now() - (from.at ?? 0) };
}

describe('the renderer sandbox', () => {
  const cannot = Object.keys(sandboxSetting()).length > 0;
  it.skipIf(cannot)(
    'runs every renderer sandboxed: no --no-sandbox, renderers in namespaces of their own',
    async () => {
      const session = await pool.newSession();
      try {
        expect((await session.goto(new URL('/', sandbox.siteUrl('gov')).toString())).ok).toBe(true);
        const [browserPid] = pool.browserPids;
        expect(browserPid).toBeDefined();
        const all = listProcesses();
        const tree = [all.find((p) => p.pid === browserPid)!, ...descendants(browserPid!, all)];
        expect(tree.flatMap((p) => p.args).filter((a) => a === '--no-sandbox')).toEqual([]);
        const renderers = tree.filter(isRenderer);
        expect(renderers.length).toBeGreaterThan(0);
        // Chromium's namespace sandbox: each renderer in its own user and network namespace, not the browser's.
        for (const renderer of renderers) {
          expect(namespaceOf(renderer.pid, 'user')).not.toBe(namespaceOf(browserPid!, 'user'));
          expect(namespaceOf(renderer.pid, 'net')).not.toBe(namespaceOf(browserPid!, 'net'));
          // and seccomp-bpf filtering its system calls (2 = filter mode)
          expect(readFileSync(`/proc/${renderer.pid}/status`, 'utf8')).toMatch(/^Seccomp:\s+2$/m);
        }
      } finally {
        await session.close();
      }
    },
  );
});

describe('pages that hold their renderer', () => {
  it('stops a script that never ends after a click, and frees the slot within the action limit + 5 s', async () => {
    const clicked: { at?: number } = {};
    const { session, freedAfterMs } = await timedSession(async (session) => {
      expect((await session.goto(hostileUrl('/loop-on-click'))).ok).toBe(true);
      const button = findTarget((await session.observe()).text, { kind: 'click', target: 'Spin the wheel' });
      clicked.at = Date.now();
      const result = await session.act({ kind: 'click', elementId: button!.id, value: null, submit: false });
      expect(result.ok).toBe(false);
      expect(result.error).toMatch(/^hung: the action click /);
      // Nothing more waits on that renderer: the next call answers at once with the same reason.
      const again = Date.now();
      await expect(session.observe()).rejects.toThrow(/^hung:/);
      expect(Date.now() - again).toBeLessThan(500);
    }, clicked);
    expect(session.stopped).toMatch(/^hung: /);
    expect(session.guardEvents.map((e) => e.kind)).toContain('time_limit');
    expect(freedAfterMs).toBeLessThan(LIMIT_MS + SLACK_MS);
  });

  // The case that took 399 s against a 10 s limit: a scroll is a page.evaluate, which no Playwright timeout bounds.
  it('stops a page whose script started looping after it loaded, when the next action finds it so', async () => {
    const scrolled: { at?: number } = {};
    const { session, freedAfterMs } = await timedSession(async (session) => {
      expect((await session.goto(hostileUrl('/loop-later'))).ok).toBe(true);
      await new Promise((r) => setTimeout(r, 800));
      scrolled.at = Date.now();
      const result = await session.act({ kind: 'scroll', elementId: null, value: 'down', submit: false });
      expect(result.error).toMatch(/^hung: the action scroll did not finish within its 3000 ms limit/);
    }, scrolled);
    expect(session.stopped).toMatch(/^hung: /);
    expect(freedAfterMs).toBeLessThan(LIMIT_MS + SLACK_MS);
  });

  it('stops a script that never ends while the page loads, within the navigation limit + 5 s', async () => {
    const started = { at: Date.now() };
    const { session, freedAfterMs } = await timedSession(async (session) => {
      started.at = Date.now();
      const result = await session.goto(hostileUrl('/loop-at-load'));
      expect(result.ok).toBe(false);
    }, started);
    expect(session.stopped).toMatch(/^hung: opening the page /);
    expect(freedAfterMs).toBeLessThan(LIMIT_MS + SLACK_MS);
  });

  it("gives the generator's home-page visit the same limits: a looping home page is a site that cannot be screened", async () => {
    const started = Date.now();
    const opened = await openAndObserve(pool, hostileUrl('/loop-at-load'));
    expect(opened).toMatchObject({ ok: false, observation: null });
    expect(opened.error).toMatch(/^hung: opening the page /);
    expect(Date.now() - started).toBeLessThan(LIMIT_MS + SLACK_MS);
  });

  it('works beside a worker that never ends, and closes it with its page', async () => {
    const { session, freedAfterMs } = await timedSession(async (session) => {
      expect((await session.goto(hostileUrl('/loop-in-worker'))).ok).toBe(true);
      const observation = await session.observe();
      expect(observation.text).toContain('A worker is busy');
      const home = findTarget(observation.text, { kind: 'click', target: 'Home' });
      const result = await session.act({ kind: 'click', elementId: home!.id, value: null, submit: false });
      expect(result).toMatchObject({ ok: true, navigated: true });
      expect((await session.observe()).text).toContain('Hostile pages');
    });
    expect(session.stopped).toBeNull();
    expect(freedAfterMs).toBeGreaterThan(0);
  });

  it('ends the session when the trajectory time runs out during an action, with a timeout: reason', async () => {
    const session = await pool.newSession({ trajectoryTimeoutMs: 2500 });
    try {
      expect((await session.goto(hostileUrl('/loop-on-click'))).ok).toBe(true);
      const button = findTarget((await session.observe()).text, { kind: 'click', target: 'Spin the wheel' });
      const started = Date.now();
      const result = await session.act({ kind: 'click', elementId: button!.id, value: null, submit: false });
      expect(result.error).toMatch(/^timeout: the trajectory's time limit \(2.5 s\) ran out during the action click/);
      expect(Date.now() - started).toBeLessThan(LIMIT_MS + SLACK_MS);
    } finally {
      await session.close();
    }
  });
});

describe('memory outside the script heap', () => {
  it('stops a renderer that fills a 4 GB typed array, with a memory: reason; the browser goes on', async () => {
    const lean = testPool(sandbox.allowHost, {
      WEBTRAIL_BROWSER_MAX_PAGE_HEAP_MB: '256',
      WEBTRAIL_BROWSER_MAX_RENDERER_MB: '1024',
    });
    try {
      const started = Date.now();
      const session = await lean.newSession();
      try {
        await session.goto(hostileUrl('/array-bomb'));
        await waitFor(() => session.stopped ?? undefined, 20_000, 'the array bomb to be stopped');
        expect(session.stopped).toMatch(/^memory: .* over the 1024 MB limit \(WEBTRAIL_BROWSER_MAX_RENDERER_MB\)/);
        expect(session.guardEvents.map((e) => e.kind)).toContain('page_crashed');
      } finally {
        await session.close();
      }
      expect(Date.now() - started).toBeLessThan(LIMIT_MS + SLACK_MS + 5000);
      expect(lean.memoryKills).toBeGreaterThanOrEqual(1);
      await expectStillServing(lean, sandbox.siteUrl('gov'));
    } finally {
      await lean.close();
    }
  });
});
