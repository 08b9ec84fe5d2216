import { describe, expect, it } from 'vitest';
import type { Step } from '../../schemas/types.ts';
import { trajectory } from '../../test/helpers/samples.ts';
import type { Observation } from '../../browser/observation.ts';
import type { GuardEvent } from '../../browser/browserSession.ts';
import type { LlmClient } from '../../llm/llmClient.ts';
import { loadPrompt } from '../../llm/prompts.ts';
import {
  actionsTaken,
  type AgentBrowser,
  attemptSeed,
  attemptsFor,
  loopSignature,
  runTrajectory,
  targetBoxOf,
} from './agentLoop.ts';
import { loadRolloutConfig } from './config.ts';

const step = (kind: NonNullable<Step['action']>['kind'], ok: boolean): Step => ({
  ...trajectory().steps[0]!,
  action: { kind, elementId: null, value: null, submit: false },
  result: {
    ok,
    error: ok ? null : 'no such element',
    navigated: false,
    newTab: false,
    url: 'https://shop.example.com/',
  },
});

describe('the actions an agent is told it has taken', () => {
  it('counts what acted on the page: not waits for a slow page, not failures, not the answer', () => {
    // click ✓, wait ✓, type ✓, click ✗, scroll ✓, wait ✓, answer: 3 by hand.
    expect(
      actionsTaken([
        step('click', true),
        step('wait', true),
        step('type', true),
        step('click', false),
        step('scroll', true),
        step('wait', true),
        step('answer', true),
      ]),
    ).toBe(3);
  });
});

describe('the acted-on element outlined in the screenshot', () => {
  const element = (id: number, box: { x: number; y: number; width: number; height: number }) =>
    ({ id, box }) as Observation['elements'][number];
  const observation = {
    text: '',
    tokens: 0,
    groups: [],
    omitted: { proseLines: 0, elements: 0, groups: 0, domTruncated: false },
    elements: [
      element(3, { x: 40, y: 900, width: 120, height: 30 }),
      element(7, { x: 5, y: 10, width: 20, height: 20 }),
    ],
    facts: {
      url: 'https://shop.example.com/',
      title: 'Shop',
      scrollY: 600,
      viewportHeight: 720,
      viewportWidth: 1280,
      pageHeight: 3000,
    },
  } satisfies Observation;

  it('is the element box moved by the scroll, since the screenshot shows the viewport', () => {
    // Page y 900 with the page scrolled 600 px down: 300 px from the viewport's top.
    expect(targetBoxOf(observation, { kind: 'click', elementId: 3, value: null, submit: false })).toEqual({
      x: 40,
      y: 300,
      width: 120,
      height: 30,
      viewportWidth: 1280,
      viewportHeight: 720,
    });
  });

  it('is null for an action without an element, or one the agent made up', () => {
    expect(targetBoxOf(observation, { kind: 'scroll', elementId: null, value: 'down', submit: false })).toBeNull();
    expect(targetBoxOf(observation, { kind: 'click', elementId: 99, value: null, submit: false })).toBeNull();
  });
});

describe('what counts as the same step for loop detection', () => {
  const page = (first: number) =>
    `# Shop\n[${first}] link "Mugs" → /mugs\n[${first + 1}] button "Add to cart"\nPrice: $12.50`;
  const click = (id: number) => ({ kind: 'click' as const, elementId: id, value: null, submit: false });

  it('is the same page and the same element, whatever numbers the observations gave them', () => {
    // Observed twice, numbered from 45 and then from 63: "Add to cart" is 46, then 64.
    expect(loopSignature({ observation: page(45), action: click(46) })).toBe(
      loopSignature({ observation: page(63), action: click(64) }),
    );
  });

  it('differs for another element, another value or another page', () => {
    const base = loopSignature({ observation: page(45), action: click(46) });
    expect(loopSignature({ observation: page(45), action: click(45) })).not.toBe(base);
    expect(loopSignature({ observation: page(45), action: { ...click(46), kind: 'hover' } })).not.toBe(base);
    expect(loopSignature({ observation: `${page(45)}\nIn your cart: 1`, action: click(46) })).not.toBe(base);
  });
});

describe('how many attempts a task gets (best-of-n)', () => {
  const base = trajectory().task;
  const followUp = (round: number) => ({
    ...base,
    lineage: {
      parentTaskId: 'p',
      rootTaskId: 'r',
      round,
      direction: 'harder',
      reason: '',
      verdictId: 'v',
      parentSuccess: 1,
    },
  });

  it('is the setting for every task from the named round on, one before it, and one for an exploration', () => {
    expect(attemptsFor(base, { attempts: 3, attemptsFromRound: 0 })).toBe(3);
    expect(attemptsFor(base, { attempts: 3, attemptsFromRound: 1 })).toBe(1);
    expect(attemptsFor(followUp(1), { attempts: 3, attemptsFromRound: 1 })).toBe(3);
    expect(attemptsFor(followUp(1), { attempts: 3, attemptsFromRound: 2 })).toBe(1);
    expect(attemptsFor({ ...base, kind: 'explore' }, { attempts: 3, attemptsFromRound: 0 })).toBe(1);
  });

  it('gives each attempt its own seed, the same for the same task and attempt (a redelivered task samples as before)', () => {
    const seeds = [0, 1, 2].map((i) => attemptSeed('task-1', i));
    expect(new Set(seeds).size).toBe(3);
    expect(attemptSeed('task-1', 1)).toBe(seeds[1]);
    expect(attemptSeed('task-2', 1)).not.toBe(seeds[1]);
    // A non-negative 31-bit integer: what every server's seed field takes.
    for (const seed of seeds) expect(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 31).toBe(true);
  });
});

/** A browser that shows one unchanging page; what it did is counted, and a hook may change its state. */
function fakeBrowser(hooks: { onGoto?: (b: FakeBrowser) => void; onAct?: (b: FakeBrowser) => void } = {}) {
  const url = 'https://shop.example.com/';
  const observation: Observation = {
    text: '# Shop\n[1] link "Mugs" → /mugs\n[2] button "Add to cart"',
    tokens: 20,
    elements: [],
    groups: [],
    omitted: { proseLines: 0, elements: 0, groups: 0, domTruncated: false },
    facts: { url, title: 'Shop', scrollY: 0, viewportHeight: 800, viewportWidth: 1280, pageHeight: 800 },
  };
  const ok = { ok: true, error: null, navigated: false, newTab: false, url };
  const browser: FakeBrowser = {
    calls: { observe: 0, act: 0 },
    guardEvents: [],
    remainingMs: 60_000,
    stopped: null,
    goto: async () => (hooks.onGoto?.(browser), browser.gotoResult ?? ok),
    observe: async () => ((browser.calls.observe += 1), observation),
    act: async () => ((browser.calls.act += 1), hooks.onAct?.(browser), ok),
    screenshot: async () => Buffer.alloc(0),
    close: async () => undefined,
  };
  return browser;
}
type FakeBrowser = AgentBrowser & {
  calls: { observe: number; act: number };
  guardEvents: GuardEvent[];
  stopped: string | null;
  gotoResult?: Awaited<ReturnType<AgentBrowser['goto']>>;
};

/** A model that gives the same reply every step. */
const sameReply = (action: object): LlmClient => ({
  model: 'fixed',
  complete: async <T>() => {
    const raw = JSON.stringify({ thought: '', action });
    return {
      value: JSON.parse(raw) as T,
      raw,
      usage: { promptTokens: 1, completionTokens: 1, calls: 1, latencyMs: 0 },
    };
  },
});

async function run(browser: FakeBrowser, llm: LlmClient, env: Record<string, string> = {}) {
  return runTrajectory(
    trajectory().task,
    {
      openBrowser: async () => browser,
      llm,
      prompt: loadPrompt('agent', 'v1'),
      blobs: null,
      config: loadRolloutConfig(env),
      now: () => Date.now(),
    },
    new AbortController().signal,
  );
}

describe('how a trajectory ends', () => {
  it('ends a loop: the same action on an unchanged page, the set number of times', async () => {
    const browser = fakeBrowser();
    const t = await run(browser, sameReply({ kind: 'click', elementId: 2 }), { WEBTRAIL_ROLLOUT_LOOP_REPEATS: '3' });
    expect(t.status).toBe('error');
    expect(t.statusReason).toBe('loop: click [2] repeated 3 times on an unchanged page');
    // Found at the third identical step, not later.
    expect(t.steps).toHaveLength(3);
  });

  it('ends not executable, without asking the model, when the start page is an obstacle or never loads for the site', async () => {
    let asked = 0;
    const counting: LlmClient = {
      ...sameReply({ kind: 'answer', value: 'x' }),
      complete: async () => ((asked += 1), sameReply({ kind: 'answer', value: 'x' }).complete({} as never)),
    };
    const walled = fakeBrowser();
    walled.obstacle = async () => ({ reason: 'captcha', detail: 'a CAPTCHA on the page (.cf-turnstile)' });
    const t = await run(walled, counting);
    expect([t.status, t.statusReason, t.notExecutable]).toEqual([
      'blocked',
      'captcha: a CAPTCHA on the page (.cf-turnstile)',
      { reason: 'captcha', detail: 'a CAPTCHA on the page (.cf-turnstile)' },
    ]);
    expect(t.steps).toHaveLength(0);
    const down = fakeBrowser({
      onGoto: (b) => {
        b.gotoResult = {
          ok: false,
          error: 'page.goto: net::ERR_NAME_NOT_RESOLVED at https://gone.example/',
          navigated: false,
          newTab: false,
          url: '',
        };
      },
    });
    expect((await run(down, counting)).notExecutable).toEqual({
      reason: 'down',
      detail: 'the start page did not load (ERR_NAME_NOT_RESOLVED)',
    });
    expect(asked).toBe(0);
    // A page with no obstacle: the agent is asked, and the trajectory is an ordinary one.
    const fine = fakeBrowser();
    fine.obstacle = async () => null;
    const answered = await run(fine, counting);
    expect([answered.status, answered.notExecutable, asked]).toEqual(['answered', null, 1]);
  });

  it('ends not executable when a page the agent reaches is a challenge', async () => {
    const browser = fakeBrowser();
    browser.obstacle = async () => null;
    // The click navigates, and the page it reaches is a bot challenge.
    browser.act = async () => {
      browser.obstacle = async () => ({ reason: 'bot_wall', detail: 'a bot challenge' });
      return { ok: true, error: null, navigated: true, newTab: false, url: 'https://shop.example.com/next' };
    };
    const t = await run(browser, sameReply({ kind: 'click', elementId: 2 }));
    expect(t.notExecutable?.reason).toBe('bot_wall');
    expect(t.steps).toHaveLength(1);
  });

  it('keeps the consent popups refused while a page was read: the start page on the trajectory, a reached one on its step', async () => {
    const browser = fakeBrowser();
    const refused = (url: string): GuardEvent => ({
      kind: 'consent_opted_out',
      detail: 'opted out of the Complianz banner consent popup (autoconsent 16.23.0)',
      url,
      atMs: 1,
    });
    browser.obstacle = async () => (browser.guardEvents.push(refused('https://shop.example.com/')), null);
    let clicks = 0;
    browser.act = async () => {
      clicks += 1;
      browser.obstacle = async () => (
        clicks === 1 ? browser.guardEvents.push(refused('https://shop.example.com/next')) : 0,
        null
      );
      return { ok: true, error: null, navigated: clicks === 1, newTab: false, url: 'https://shop.example.com/next' };
    };
    const t = await run(browser, sameReply({ kind: 'click', elementId: 2 }), { WEBTRAIL_ROLLOUT_LOOP_REPEATS: '3' });
    expect(t.startGuardEvents.map((e) => [e.kind, e.url])).toEqual([
      ['consent_opted_out', 'https://shop.example.com/'],
    ]);
    expect(t.steps[0]!.guardEvents.map((e) => [e.kind, e.url])).toEqual([
      ['consent_opted_out', 'https://shop.example.com/next'],
    ]);
    expect(t.steps.slice(1).flatMap((s) => s.guardEvents)).toEqual([]);
  });

  it('keeps what the guard did while the start page opened, even when it never loaded', async () => {
    const event = (kind: GuardEvent['kind'], detail: string): GuardEvent => ({
      kind,
      detail,
      url: 'https://shop.example.com/',
      atMs: 1,
    });
    const browser = fakeBrowser({
      onGoto: (b) => {
        b.guardEvents.push(event('download_refused', 'download of payload.exe refused'));
        b.guardEvents.push(event('dialog_answered', 'alert: You won!'));
        b.gotoResult = { ok: false, error: 'Download is starting', navigated: false, newTab: false, url: '' };
      },
    });
    const t = await run(browser, sameReply({ kind: 'answer', value: 'x' }));
    expect(t.steps).toHaveLength(0);
    expect(t.status).toBe('error');
    expect(t.startGuardEvents.map((e) => e.kind)).toEqual(['download_refused', 'dialog_answered']);
  });

  it("ends at once with the browser's reason when a page held its renderer, and asks nothing more of it", async () => {
    const reason = 'hung: the action click did not finish within its 10000 ms limit';
    const browser = fakeBrowser({ onAct: (b) => (b.stopped = reason) });
    const t = await run(browser, sameReply({ kind: 'click', elementId: 2 }));
    expect(t.status).toBe('error');
    expect(t.statusReason).toBe(reason);
    expect(t.steps).toHaveLength(1);
    // One observation for the step; none for the final page, which would only keep the slot waiting.
    expect(browser.calls.observe).toBe(1);
  });
});
