// A browser context for one trajectory: guarded network, tabs, observation and actions, each bounded in
// time. Everything a guard refused is recorded in guardEvents with its reason.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Frame, Locator, Page, Request, Route as PlaywrightRoute } from 'playwright-core';
import type { Action, ActionResult } from '../schemas/index.ts';
import { DependencyError, loadTokenizer, retry, type Tokenizer } from '../platform/index.ts';
import type { BrowserConfig } from './browserConfig.ts';
import type { EgressPolicy } from './egressPolicy.ts';
import { blockedPage, PROXY_LOOPBACK_TOO, type EgressProxy, type Gate } from './egressProxy.ts';
import {
  AUTOCONSENT_VERSION,
  CONSENT_DRAIN_SOURCE,
  CONSENT_LIMIT_MS,
  CONSENT_POPUP_WAIT_MS,
  CONSENT_START_SOURCE,
  consentProgress,
  type ConsentMessage,
  type ConsentOutcome,
  evalReplySource,
  initReplySource,
  NO_CONSENT,
} from './consent.ts';
import { type Obstacle, obstacleOfPage, PAGE_SIGNALS_SOURCE, type PageSignals } from './obstacles.ts';
import { type GuardRoute, type RobotsDecision, type RobotsRules, retryAfterMs } from './robots.ts';
import { IsolatedWorld } from './isolatedWorld.ts';
import { PageDevtools } from './pageDevtools.ts';
import { renderObservation, type Observation, type RawObservation } from './observation.ts';

export const OBSERVE_SOURCE = readFileSync(
  path.join(path.dirname(fileURLToPath(import.meta.url)), 'inPage', 'observe.js'),
  'utf8',
)
  .replace(/^\s*\/\/.*$/gm, '')
  .trim()
  // One expression, called as (source)(options): a formatter's closing semicolon is not part of it.
  .replace(/;$/, '');

/** Marks the element an action is about to act on with a one-shot nonce (run in the isolated world). */
const MARK_ATTR = 'data-wt-act';
const MARK_SOURCE = `(({ id, nonce }) => {
  const registry = globalThis.__webtrailIds;
  if (registry && registry.marked) registry.marked.removeAttribute('${MARK_ATTR}');
  const el = registry && registry.byId.get(id) && registry.byId.get(id).deref();
  if (!el || !el.isConnected) return false;
  el.setAttribute('${MARK_ATTR}', nonce);
  registry.marked = el;
  return true;
})`;

/**
 * A tab's link groups: the [N] of each (by its first link's id; numbered from the tab's element counter,
 * so no element shares it), those its last observation showed collapsed, and those the agent opened.
 */
interface TabGroups {
  ids: Map<number, number>;
  shown: number[];
  open: Set<number>;
}

export interface GuardEvent {
  kind:
    | 'request_blocked'
    | 'download_refused'
    | 'dialog_answered'
    | 'dialog_loop'
    | 'popup_refused'
    | 'popup_followed'
    | 'time_limit'
    | 'dom_cap'
    | 'page_crashed'
    | 'robots_disallowed'
    | 'rate_limited'
    | 'consent_opted_out';
  detail: string;
  url: string;
  atMs: number;
}

/** What the pool does for a session that its browser cannot. */
export interface SessionHooks {
  /** The context did not close within CLOSE_LIMIT_MS: kill its browser process. */
  closeStuck(): void;
}

/** How long past its limit a call may run before the watchdog stops the page (Playwright's own timeouts answer first). */
export const WATCHDOG_GRACE_MS = 500;
/** How long the watchdog waits for the renderer to stop a script, and for a responsiveness probe. */
const RENDERER_ANSWER_MS = 1000;
/** How long a memory-watchdog kill explains a crash that follows it. */
const KILL_EXPLAINS_CRASH_MS = 5000;

export const HEAP_CRASH_REASON =
  "memory: the page's renderer crashed, most often by going over the script heap limit (WEBTRAIL_BROWSER_MAX_PAGE_HEAP_MB); the browser was kept";

export interface SessionOptions {
  /** Extra hosts allowed for this session only (a local file's server). */
  allowHosts?: string[];
  /** Refuses every connection not to an allowed host (for saved pages that would reach out). */
  blockOutside?: boolean;
  /** Keeps the tab on the first page it loads: a saved snapshot's scripts must not navigate it away. */
  pinFirstPage?: boolean;
  /** Run the page's scripts (default true). */
  javaScriptEnabled?: boolean;
  trajectoryTimeoutMs?: number;
  /** Do not read robots.txt (implied by blockOutside: a saved page's own server is no website). */
  ignoreRobots?: boolean;
}

/** What the pool gives every session of how to behave on the web. */
export interface SessionWeb {
  /** The User-Agent header and navigator.userAgent: Chromium's own, with webtrail's identification. */
  userAgent: string | undefined;
  /** robots.txt, applied to every top-level page load; undefined: not read. */
  robots: RobotsRules | undefined;
  /** The operator's opt-out list: every connection to these domains (and their subdomains) is refused. */
  denyDomains: ReadonlySet<string>;
}

export class BrowserSession {
  readonly guardEvents: GuardEvent[] = [];
  private readonly tabs: Page[] = [];
  private active = 0;
  private readonly nextIds = new WeakMap<Page, number>();
  /** The link groups of each tab (see TabGroups). */
  private readonly tabGroups = new WeakMap<Page, TabGroups>();
  private readonly dialogCounts = new WeakMap<Page, number>();
  /** Each tab's last page load: its HTTP status and Retry-After (what obstacle() reads of it). */
  private readonly lastDocuments = new WeakMap<Page, { status: number; retryAfter: string | null }>();
  private readonly deadline: number;
  /** Requests still waiting for their response (what settling waits for). */
  private readonly awaitingResponse = new Set<Request>();
  /** A page's renderer died (most often: its script heap went over the limit); the browser is unaffected. */
  crashed = false;
  /**
   * Why nothing more can be done in this session, or null: a page that held its renderer past a limit
   * (`hung:`), the trajectory's time (`timeout:`), a renderer that crashed or was stopped (`memory:`).
   */
  stopped: string | null = null;
  private rendererStopped: { atMs: number; mb: number; limitMb: number } | undefined;
  /** Navigations a pinned page's scripts attempted (and were refused). */
  pinViolations = 0;
  /** The page's script files that did not load (refused, missing or failed): its scripts run half-equipped. */
  scriptsFailed = 0;
  private lastNetworkChange = Date.now();
  private readonly devtools: PageDevtools;
  /** What the observation budget counts in. */
  private readonly tokenizer: Tokenizer;
  private readonly world: IsolatedWorld;

  private constructor(
    private readonly context: BrowserContext,
    private readonly gate: Gate,
    private readonly config: BrowserConfig,
    private readonly proxy: EgressProxy,
    private readonly policy: EgressPolicy,
    private readonly hooks: SessionHooks | undefined,
    private readonly web: SessionWeb,
  ) {
    this.deadline = Date.now() + config.trajectoryTimeoutMs;
    this.tokenizer = loadTokenizer(config.tokenizer);
    this.devtools = new PageDevtools(context);
    this.world = new IsolatedWorld(this.devtools, `webtrail-${randomBytes(6).toString('hex')}`);
  }

  static async open(
    browser: Browser,
    config: BrowserConfig,
    proxy: EgressProxy,
    options: SessionOptions,
    web: SessionWeb,
    hooks?: SessionHooks,
  ): Promise<BrowserSession> {
    const policy: EgressPolicy = {
      allowHosts: [...config.allowHosts, ...(options.allowHosts ?? [])],
      allowPrivateNetwork: config.allowPrivateNetwork,
      denyAddresses: config.denyAddresses,
      nat64Prefixes: config.nat64Prefixes,
      onlyAllowedHosts: options.blockOutside,
      denyDomains: web.denyDomains,
    };
    // The session's own gate, so what it refuses is recorded on this trajectory. It opens before the
    // context, and the context makes no request before the session exists (its first page comes in install).
    let session: BrowserSession | undefined;
    const gate = await proxy.openGate({
      policy,
      pinFirstDocument: options.pinFirstPage,
      events: {
        refused: (url, reason) => session?.record('request_blocked', reason, url),
        pinViolation: () => {
          if (session) session.pinViolations += 1;
        },
      },
    });
    let context: BrowserContext | undefined;
    try {
      context = await browser.newContext({
        acceptDownloads: false,
        serviceWorkers: 'block',
        viewport: config.viewport,
        javaScriptEnabled: options.javaScriptEnabled ?? true,
        bypassCSP: false,
        proxy: { server: gate.server, bypass: PROXY_LOOPBACK_TOO },
        ...(web.userAgent ? { userAgent: web.userAgent } : {}),
      });
      session = new BrowserSession(
        context,
        gate,
        { ...config, trajectoryTimeoutMs: options.trajectoryTimeoutMs ?? config.trajectoryTimeoutMs },
        proxy,
        policy,
        hooks,
        web,
      );
      await session.install();
      return session;
    } catch (error) {
      await context?.close().catch(() => undefined);
      await gate.close();
      throw error;
    }
  }

  private record(kind: GuardEvent['kind'], detail: string, url: string): void {
    this.guardEvents.push({ kind, detail, url: url.slice(0, 300), atMs: Date.now() });
  }

  private async install(): Promise<void> {
    this.context.setDefaultTimeout(this.config.actionTimeoutMs);
    this.context.setDefaultNavigationTimeout(this.config.navigationTimeoutMs);
    // A request counts until its response arrives, not until its body is read: a page that never reads
    // a fetch's body (fire-and-forget) never sees 'requestfinished', and settling would wait to its cap.
    const track = (pending: boolean) => (request: Request) => {
      if (pending) this.awaitingResponse.add(request);
      else this.awaitingResponse.delete(request);
      this.lastNetworkChange = Date.now();
    };
    this.context.on('request', track(true));
    this.context.on('response', (response) => {
      track(false)(response.request());
      const status = response.status();
      if (isTopLevel(response.request())) {
        const retryAfter = response.headers()['retry-after'] ?? null;
        this.lastDocuments.set(response.frame().page(), { status, retryAfter });
        this.web.robots?.pageArrived(response.url());
        // The site asked to be left alone: every page load of it in this process waits (robotsGate).
        const wait = status === 429 || status === 503 ? retryAfterMs(retryAfter) : undefined;
        if (wait !== undefined) this.web.robots?.backOff(response.url(), wait);
      }
      if (status >= 400 && response.request().resourceType() === 'script') this.scriptsFailed += 1;
    });
    this.context.on('requestfinished', track(false));
    this.context.on('requestfailed', (request) => {
      track(false)(request);
      if (request.resourceType() === 'script') this.scriptsFailed += 1;
    });
    this.context.on('page', (page) => this.adopt(page));
    // Playwright's routes apply to every tab from its first request (popups included), before it is sent.
    if (this.web.robots) await this.context.route('**/*', (route, request) => this.robotsGate(route, request));
    const first = await this.context.newPage();
    if (!this.tabs.includes(first)) this.adopt(first);
  }

  private adopt(page: Page): void {
    if (this.tabs.includes(page)) return;
    if (this.tabs.length >= this.config.maxTabs) {
      this.record('popup_refused', `more than ${this.config.maxTabs} tabs`, page.url());
      void page.close().catch(() => undefined);
      return;
    }
    this.tabs.push(page);
    if (this.tabs.length > 1) {
      this.record('popup_followed', 'a new tab opened and became the active tab', page.url());
      this.active = this.tabs.length - 1;
    }
    page.on('dialog', (dialog) => {
      const count = (this.dialogCounts.get(page) ?? 0) + 1;
      this.dialogCounts.set(page, count);
      if (count === this.config.maxDialogs + 1) {
        this.record('dialog_loop', `more than ${this.config.maxDialogs} dialogs: the page was closed`, page.url());
        void page.close().catch(() => undefined);
        return;
      }
      if (count <= this.config.maxDialogs)
        this.record('dialog_answered', `${dialog.type()}: ${dialog.message().slice(0, 120)}`, page.url());
      const answer = dialog.type() === 'beforeunload' ? dialog.accept() : dialog.dismiss();
      void answer.catch(() => undefined);
    });
    // Opened now, while the renderer answers: the watchdog's way in when it no longer does.
    void this.devtools.session(page).catch(() => undefined);
    page.on('crash', () => {
      this.crashed = true;
      const killed = this.rendererStopped;
      if (killed && Date.now() - killed.atMs < KILL_EXPLAINS_CRASH_MS) {
        const reason = `memory: the page's renderer held ${killed.mb} MB, over the ${killed.limitMb} MB limit (WEBTRAIL_BROWSER_MAX_RENDERER_MB), and was stopped; the browser was kept`;
        this.stopped ??= reason;
        this.record('page_crashed', reason, page.url());
        return;
      }
      this.stopped ??= HEAP_CRASH_REASON;
      this.record(
        'page_crashed',
        `the page's renderer crashed (script heap limit ${this.config.maxPageHeapMb} MB)`,
        page.url(),
      );
    });
    page.on('download', (download) => {
      this.record('download_refused', `download of ${download.suggestedFilename()} refused`, download.url());
      void download.cancel().catch(() => undefined);
    });
    page.on('close', () => {
      const index = this.tabs.indexOf(page);
      if (index >= 0) this.tabs.splice(index, 1);
      if (this.active >= this.tabs.length) this.active = Math.max(0, this.tabs.length - 1);
    });
  }

  /** The active tab; a fresh blank one if every tab was closed (e.g. by the dialog guard). */
  async page(): Promise<Page> {
    const current = this.tabs[this.active];
    if (current && !current.isClosed()) return current;
    const page = await this.context.newPage();
    this.adopt(page);
    this.active = this.tabs.indexOf(page);
    return page;
  }

  get tabCount(): number {
    return this.tabs.length;
  }

  get remainingMs(): number {
    return this.deadline - Date.now();
  }

  private timeout(limitMs: number): number {
    const remaining = this.remainingMs;
    if (remaining <= 0) {
      this.stopped ??= this.deadlineReason('the next action');
      throw new DependencyError(this.stopped, { retriable: false });
    }
    return Math.max(1, Math.min(limitMs, remaining));
  }

  /** Why a call that passed its limit ended the session: the trajectory's time, or a page that held its renderer. */
  private limitReason(what: string, byDeadline: boolean, hung: string): string {
    return byDeadline ? this.deadlineReason(what) : `hung: ${what} ${hung}, and its scripts were stopped`;
  }

  private deadlineReason(what: string): string {
    return `timeout: the trajectory's time limit (${this.config.trajectoryTimeoutMs / 1000} s) ran out during ${what}`;
  }

  /** The pool's memory watchdog stopped one of this browser's renderers (perhaps this session's). */
  noteRendererStopped(mb: number, limitMb: number): void {
    this.rendererStopped = { atMs: Date.now(), mb, limitMb };
  }

  /**
   * Runs a call that needs the page's renderer, watched from outside: Playwright's timeouts and ours wait
   * on that renderer, and a page's endless script holds it for good. Past its limit (plus a grace for
   * Playwright's own timeout to answer first) the page's scripts are stopped and the session ends:
   * `hung:` when the call's own limit passed, `timeout:` when the trajectory's did.
   */
  private async watched<T>(
    what: string,
    page: Page | undefined,
    limitMs: number,
    work: () => Promise<T>,
    settleMs = 0,
  ): Promise<T> {
    if (this.stopped) throw new DependencyError(this.stopped, { retriable: false });
    const byDeadline = this.remainingMs <= limitMs;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => {
          const reason = this.limitReason(
            what,
            byDeadline,
            `did not finish within its ${limitMs} ms limit${settleMs ? ` (and ${settleMs} ms to settle)` : ''}: the page kept its renderer busy`,
          );
          void this.halt(page, reason).then(() => reject(new DependencyError(reason, { retriable: false })));
        },
        limitMs + settleMs + WATCHDOG_GRACE_MS,
      );
    });
    try {
      return await Promise.race([work(), expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends the session for a page that will not give its renderer back: its scripts are terminated (CDP). */
  private async halt(page: Page | undefined, reason: string): Promise<void> {
    this.stopped ??= reason;
    this.record('time_limit', reason, page?.url() ?? '');
    if (!page || page.isClosed()) return;
    const terminated = this.devtools
      .session(page)
      .then((cdp) => cdp.send('Runtime.terminateExecution'))
      .catch(() => undefined);
    await Promise.race([terminated, sleep(RENDERER_ANSWER_MS)]);
  }

  /** Whether the page's renderer still answers (a Playwright timeout may mean a busy page, or a slow one). */
  private async responsive(page: Page): Promise<boolean> {
    const answered = this.devtools
      .session(page)
      .then((cdp) => cdp.send('Runtime.evaluate', { expression: '0' }))
      .then(
        () => true,
        () => true, // an error is an answer: the renderer is not stuck
      );
    return Promise.race([answered, sleep(RENDERER_ANSWER_MS).then(() => false)]);
  }

  /** A click on a collapsed link group's [N] opens it: the next observation lists its links. */
  private openGroup(page: Page, id: number | null | undefined): boolean {
    const groups = this.tabGroups.get(page);
    if (id === null || id === undefined || !groups?.shown.includes(id)) return false;
    groups.open.add(id);
    return true;
  }

  /** Opens a URL in the active tab, through the guard. */
  async goto(url: string): Promise<ActionResult> {
    return this.run((page) => this.guardedGoto(page, url), this.config.navigationTimeoutMs, 'opening the page');
  }

  /** Observes the active tab: the whole page, frames and shadow roots included. */
  async observe(
    maxTokens = this.config.maxObservationTokens,
    options: { collapseGroups?: boolean } = {},
  ): Promise<Observation> {
    // A crashed or halted page never answers: without this the observation would wait out its whole timeout.
    if (this.stopped) throw new Error(this.stopped); // a crash sets it too
    const page = await this.page();
    const raw = await this.watched('the observation', page, this.timeout(this.config.actionTimeoutMs), () =>
      this.evaluateObservation(page),
    );
    if (raw.truncated) this.record('dom_cap', `DOM walk stopped after ${this.config.maxDomNodes} nodes`, page.url());
    // The tab list is part of what the model reads, so it comes out of the same budget.
    const tabs =
      this.tabs.length > 1
        ? `\n\nTabs (switch_tab with the number):\n${this.tabs.map((t, i) => `${i === this.active ? '*' : ' '}${i}: ${t.url().slice(0, 80)}`).join('\n')}`
        : '';
    const tabTokens = tabs ? this.tokenizer.count(tabs) : 0;
    let groups = this.tabGroups.get(page);
    if (!groups) this.tabGroups.set(page, (groups = { ids: new Map(), shown: [], open: new Set() }));
    const { ids } = groups;
    const groupId = (firstLink: number) => {
      let id = ids.get(firstLink);
      if (id === undefined) {
        id = this.nextIds.get(page) ?? 1;
        this.nextIds.set(page, id + 1);
        ids.set(firstLink, id);
      }
      return id;
    };
    const observation = renderObservation(raw, Math.max(1, maxTokens - tabTokens), {
      tokenizer: this.tokenizer,
      openGroups: groups.open,
      groupId,
      collapseGroups: options.collapseGroups,
    });
    groups.shown = observation.groups;
    observation.text += tabs;
    observation.tokens += tabTokens;
    return observation;
  }

  private evaluateObservation(page: Page): Promise<RawObservation> {
    return retry(
      async () => {
        const nextId = this.nextIds.get(page) ?? 1;
        const raw = await this.world.evaluate<RawObservation>(
          page,
          `(${OBSERVE_SOURCE})(${JSON.stringify({ nextId, maxNodes: this.config.maxDomNodes })})`,
        );
        this.nextIds.set(page, raw.nextId);
        return raw;
      },
      {
        // The page navigated while being walked (a redirect, a script): walk the new page once it has loaded.
        what: 'observing the page',
        attempts: 3,
        baseMs: 0,
        retriable: (error) => /context was destroyed|navigat/i.test((error as Error).message),
        onRetry: () =>
          page.waitForLoadState('domcontentloaded', { timeout: this.config.settleMs }).catch(() => undefined),
      },
    );
  }

  async screenshot(): Promise<Buffer> {
    if (this.stopped) throw new Error(this.stopped);
    const page = await this.page();
    return this.watched('the screenshot', page, this.timeout(this.config.actionTimeoutMs), () =>
      this.devtools.jpeg(page, this.config.screenshotQuality),
    );
  }

  /** An attribute of the element the agent calls [id] (offline evaluations map ids to a dataset's own). */
  async attributeOf(id: number, name: string): Promise<string | null> {
    const page = await this.page();
    return (await this.locate(page, id)).getAttribute(name, { timeout: this.config.actionTimeoutMs });
  }

  /** Runs one agent action; returns what happened after the page settles. Never throws. */
  async act(action: Action): Promise<ActionResult> {
    if (action.kind === 'answer')
      return { ok: true, error: null, navigated: false, newTab: false, url: (await this.page()).url() };
    return this.run((page) => this.perform(page, action), this.config.actionTimeoutMs, `the action ${action.kind}`);
  }

  private async run(step: (page: Page) => Promise<void>, limitMs: number, what: string): Promise<ActionResult> {
    if (this.stopped)
      return {
        ok: false,
        error: this.stopped,
        navigated: false,
        newTab: false,
        url: this.tabs[this.active]?.url() ?? '',
      };
    const page = await this.page().catch(() => undefined);
    const before = page?.url() ?? '';
    const tabsBefore = this.tabs.length;
    let navigated = false;
    const onNavigate = (frame: Frame) => {
      if (frame === page?.mainFrame()) navigated = true;
    };
    page?.on('framenavigated', onNavigate);
    let error: string | null = null;
    const byDeadline = this.remainingMs <= limitMs;
    try {
      if (!page) throw new Error('no page');
      // The action's own limit, then settling: the watchdog allows both.
      const limit = this.timeout(limitMs);
      await this.watched(
        what,
        page,
        limit,
        async () => {
          await step(page);
          await this.settle();
        },
        Math.min(this.config.settleMs, limit),
      );
    } catch (caught) {
      error = cleanError(caught);
      // Playwright gave up waiting: a slow page, or one whose script holds its renderer for good.
      if (page && !this.stopped && /Timeout \d+ms exceeded/.test(error) && !(await this.responsive(page))) {
        await this.halt(
          page,
          this.limitReason(what, byDeadline, "timed out and the page's renderer no longer answers"),
        );
      }
      if (this.stopped) error = this.stopped;
    } finally {
      page?.off('framenavigated', onNavigate);
    }
    if (this.stopped) return { ok: false, error, navigated, newTab: false, url: page?.url() ?? '' };
    const after = await this.page().catch(() => undefined);
    const url = after?.url() ?? '';
    return {
      ok: error === null,
      error,
      navigated: navigated || url !== before,
      newTab: this.tabs.length > tabsBefore,
      url,
    };
  }

  /**
   * Waits until the page is quiet: no request in flight for a moment (what a click's fetch or
   * navigation starts), then the document parsed. Bounded by the settle time and the deadline.
   * (Playwright's load states cannot do this: once reached they resolve at once.)
   */
  private async settle(): Promise<void> {
    const end = Date.now() + Math.min(this.config.settleMs, Math.max(0, this.remainingMs));
    await new Promise((r) => setTimeout(r, 60));
    for (let now = Date.now(); now < end; now = Date.now()) {
      const quietAt = this.lastNetworkChange + 150;
      if (this.awaitingResponse.size === 0 && now >= quietAt) break;
      // With nothing in flight, wake when the page would have been quiet long enough, not on the next tick.
      await new Promise((r) =>
        setTimeout(r, Math.max(1, Math.min(end - now, this.awaitingResponse.size > 0 ? 40 : quietAt - now))),
      );
    }
    const page = await this.page();
    await page.waitForLoadState('domcontentloaded', { timeout: Math.max(1, end - Date.now()) }).catch(() => undefined);
  }

  /**
   * The element the agent means by [id]: looked up in the isolated world's map (a page cannot plant or
   * move an id there), marked with a one-shot nonce, and found by that mark; a mark found on more than
   * one element (the page copied it) is an error, never a click on the first.
   */
  private async locate(page: Page, id: number | null): Promise<Locator> {
    if (id === null || id === undefined) throw new Error('this action needs an element id');
    const nonce = randomBytes(8).toString('hex');
    const marked = await this.world
      .evaluate<boolean>(page, `${MARK_SOURCE}(${JSON.stringify({ id, nonce })})`)
      .catch(() => false);
    if (!marked) throw new Error(`element [${id}] is no longer on the page; observe again and use a current id`);
    const found: Locator[] = [];
    let count = 0;
    for (const frame of page.frames()) {
      const locator = frame.locator(`[${MARK_ATTR}="${nonce}"]`);
      const n = await locator.count().catch(() => 0);
      if (n > 0) found.push(locator);
      count += n;
    }
    if (count === 0) throw new Error(`element [${id}] is no longer on the page; observe again and use a current id`);
    if (count > 1)
      throw new Error(`element [${id}] is ambiguous: the page duplicated it (${count} copies); observe again`);
    return found[0]!;
  }

  /**
   * Goes to a URL the agent chose. The egress proxy guards the connection itself; asking it first gives
   * the agent a plain reason instead of a browser error page (and keeps file: and friends out of goto).
   */
  private async guardedGoto(page: Page, url: string): Promise<void> {
    const verdict = await this.proxy.check(this.policy, url);
    if (!verdict.allowed) {
      this.record('request_blocked', verdict.reason, url);
      throw new Error(`blocked: ${verdict.reason}`);
    }
    // Decided here for a plain answer; the page load itself waits its Crawl-delay turn in robotsGate.
    const robots = await this.web.robots?.decide(url, this.guardRoute);
    if (robots && !robots.allowed) {
      this.record('robots_disallowed', robots.reason, url);
      throw new Error(`blocked: ${robots.reason}`);
    }
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: this.timeout(this.config.navigationTimeoutMs) });
  }

  /** How the robots.txt fetch goes out: the session's own egress decision, to the address it checked. */
  private readonly guardRoute: GuardRoute = (protocol, host, port) =>
    this.proxy.route(this.policy, protocol, host, port);

  /**
   * Whether the active tab shows a page that cannot be done (a CAPTCHA, a bot wall, a login wall, rate
   * limiting, a site answering 5xx), read from its last load's status and a few DOM markers; null if not.
   */
  async obstacle(): Promise<Obstacle | null> {
    if (this.stopped) return null;
    const page = await this.page();
    const consent = this.config.consentOptOut ? await this.answerConsent(page).catch(() => null) : null;
    const raw = await this.watched(
      'reading the page for obstacles',
      page,
      this.timeout(this.config.actionTimeoutMs),
      () =>
        this.world.evaluate<Omit<PageSignals, 'url' | 'status' | 'retryAfter' | 'consent'>>(page, PAGE_SIGNALS_SOURCE),
    ).catch(() => null);
    if (!raw) return null;
    const last = this.lastDocuments.get(page);
    return obstacleOfPage({
      ...raw,
      consent,
      url: page.url(),
      status: last?.status ?? null,
      retryAfter: last?.retryAfter ?? null,
    });
  }

  /**
   * Opts out of the page's cookie-consent popup, once per document: autoconsent runs in the isolated
   * world and is answered from here (its configuration and rules, its checks of the page's globals) until
   * it finds no consent manager, finishes, or runs out of time. An opt-out is recorded as a guard event.
   */
  private async answerConsent(page: Page): Promise<ConsentOutcome> {
    const inWorld = <T>(what: string, expression: string) =>
      this.watched(what, page, this.timeout(this.config.actionTimeoutMs), () =>
        this.world.evaluate<T>(page, expression),
      );
    if (!(await inWorld<boolean>('starting the consent library', CONSENT_START_SOURCE))) return NO_CONSENT;
    const until = Date.now() + Math.min(CONSENT_LIMIT_MS, Math.max(0, this.remainingMs - this.config.actionTimeoutMs));
    let outcome = NO_CONSENT;
    let cmpSince: number | null = null;
    while (!outcome.finished && Date.now() < until) {
      const messages = await inWorld<ConsentMessage[]>('reading the consent library', CONSENT_DRAIN_SOURCE);
      for (const message of messages) {
        if (message.type === 'init') await inWorld('configuring the consent library', initReplySource(page.url()));
        else if (message.type === 'eval') {
          // The library's own snippet (a test of the consent manager's globals), run where those live.
          const result = await this.watched('a consent check', page, this.timeout(this.config.actionTimeoutMs), () =>
            page.evaluate(message.code),
          ).catch(() => false);
          await inWorld('answering the consent library', evalReplySource(message.id, result === true));
        }
      }
      outcome = consentProgress(outcome, messages);
      if (outcome.cmp !== null) cmpSince ??= Date.now();
      // A consent manager whose popup is not open (consent given before, or not asked here): nothing to do.
      if (!outcome.popup && cmpSince !== null && Date.now() - cmpSince > CONSENT_POPUP_WAIT_MS) break;
      // Its answers come within milliseconds of a reply: wait only when it had nothing to say.
      if (!outcome.finished && !messages.some((m) => m.type === 'init' || m.type === 'eval')) await sleep(20);
    }
    if (outcome.popup && outcome.optedOut)
      this.record(
        'consent_opted_out',
        `opted out of the ${outcome.cmp} consent popup (autoconsent ${AUTOCONSENT_VERSION})`,
        page.url(),
      );
    return outcome;
  }

  /** What a trajectory records of the robots.txt policy its pages were loaded under. */
  get robotsPolicy(): string {
    return this.web.robots?.describe() ?? 'not read (this session opens no website)';
  }

  /**
   * Every top-level page load (a goto, a click that navigates, a redirect's first hop, a popup) is held
   * until robots.txt allows it and the site's Crawl-delay has passed; a disallowed one is answered here
   * with the guard's page, and the site never sees the request.
   */
  private async robotsGate(route: PlaywrightRoute, request: Request): Promise<void> {
    const robots = this.web.robots;
    if (!robots || !isTopLevel(request)) return route.fallback();
    const url = request.url();
    const decision = await robots.admit(url, this.guardRoute).catch((error: unknown): RobotsDecision => ({
      allowed: false,
      reason: `robots.txt could not be applied: ${cleanError(error)}`,
    }));
    if (decision.allowed) return route.fallback().catch(() => undefined);
    this.record(
      decision.reason.startsWith('rate_limited:') ? 'rate_limited' : 'robots_disallowed',
      decision.reason,
      url,
    );
    await route
      .fulfill({ status: 403, contentType: 'text/html; charset=utf-8', body: blockedPage(url, decision.reason) })
      .catch(() => undefined);
  }

  private async perform(page: Page, action: Action): Promise<void> {
    const timeout = this.timeout(this.config.actionTimeoutMs);
    const value = action.value ?? '';
    switch (action.kind) {
      case 'click':
        if (this.openGroup(page, action.elementId)) return;
        return (await this.locate(page, action.elementId)).click({ timeout });
      case 'hover':
        return (await this.locate(page, action.elementId)).hover({ timeout });
      case 'type': {
        const target = await this.locate(page, action.elementId);
        try {
          await target.fill(value, { timeout });
        } catch {
          await target.click({ timeout });
          await page.keyboard.press('ControlOrMeta+a');
          await page.keyboard.type(value);
        }
        if (action.submit) await target.press('Enter', { timeout });
        return;
      }
      case 'select': {
        const target = await this.locate(page, action.elementId);
        const tag = await target.evaluate((el) => el.tagName);
        if (tag === 'SELECT') {
          const byLabel = await target.selectOption({ label: value }, { timeout }).catch(() => null);
          if (byLabel === null || byLabel.length === 0) {
            const options = await target.evaluate((el) =>
              Array.from((el as HTMLSelectElement).options).map((o) => ({ value: o.value, label: o.label.trim() })),
            );
            const match =
              options.find((o) => o.value === value) ??
              options.find((o) => o.label.toLowerCase() === value.toLowerCase()) ??
              options.find((o) => o.label.toLowerCase().includes(value.toLowerCase()));
            if (!match)
              throw new Error(
                `no option "${value}"; options are: ${options
                  .slice(0, 20)
                  .map((o) => o.label)
                  .join(', ')}`,
              );
            await target.selectOption(match.value, { timeout });
          }
          return;
        }
        // A custom dropdown: open it, then pick the option by its text.
        await target.click({ timeout });
        const option = page.getByRole('option', { name: value, exact: false }).first();
        await option.click({ timeout: Math.min(timeout, 5000) });
        return;
      }
      case 'check':
      case 'uncheck': {
        // Click only when the state differs, and do not insist on reading it back: checking a box
        // often submits a filter form and the element is gone afterwards.
        const target = await this.locate(page, action.elementId);
        const want = action.kind === 'check';
        const checked = await target
          .isChecked({ timeout })
          .catch(async () => (await target.getAttribute('aria-checked')) === 'true');
        if (checked !== want) await target.click({ timeout });
        return;
      }
      case 'scroll': {
        if (action.elementId !== null && action.elementId !== undefined) {
          return (await this.locate(page, action.elementId)).scrollIntoViewIfNeeded({ timeout });
        }
        const direction = value.toLowerCase() === 'up' ? -1 : 1;
        const moved = await page.evaluate(
          (dy) => {
            const before = window.scrollY;
            window.scrollBy({ top: dy, behavior: 'instant' });
            return window.scrollY !== before;
          },
          direction * Math.round(this.config.viewport.height * 0.8),
        );
        // Tell the agent, so it does not scroll a page that is all in view again and again.
        if (!moved)
          throw new Error(
            direction < 0
              ? 'the page did not scroll: already at the top'
              : 'the page did not scroll: already at the bottom',
          );
        return;
      }
      case 'press':
        if (!value) throw new Error('press needs a key, e.g. Enter');
        return page.keyboard.press(value);
      case 'go_back':
        await page.goBack({ waitUntil: 'domcontentloaded', timeout });
        return;
      case 'go_forward':
        await page.goForward({ waitUntil: 'domcontentloaded', timeout });
        return;
      case 'goto':
        return this.guardedGoto(page, value);
      case 'new_tab': {
        const tab = await this.context.newPage();
        this.active = this.tabs.indexOf(tab);
        if (value) await this.guardedGoto(tab, value);
        return;
      }
      case 'switch_tab': {
        const index = Number(value);
        if (!Number.isInteger(index) || index < 0 || index >= this.tabs.length)
          throw new Error(`no tab ${value}; there are ${this.tabs.length} tabs (0-${this.tabs.length - 1})`);
        this.active = index;
        await this.tabs[index]!.bringToFront();
        return;
      }
      case 'wait': {
        const seconds = Math.min(10, Math.max(0, Number(value) || 1));
        await page.waitForTimeout(Math.min(seconds * 1000, timeout));
        return;
      }
      default:
        throw new Error(`unknown action ${String(action.kind)}`);
    }
  }

  /** Closes the context (browser-side: it answers even when a renderer does not); past its limit the pool kills the process. */
  async close(): Promise<void> {
    const closed = this.context.close().then(
      () => true,
      () => true,
    );
    if (!(await Promise.race([closed, sleep(CLOSE_LIMIT_MS).then(() => false)]))) this.hooks?.closeStuck();
    await this.gate.close();
  }

  /** Called once the session's context is gone (closed, or its browser went away). */
  onClose(listener: () => void): void {
    this.context.once('close', listener);
  }

  /** The browser process this session's context lives in. */
  get browser(): Browser | null {
    return this.context.browser();
  }
}

/** A tab's own page load (not a frame's, not a worker's). */
function isTopLevel(request: Request): boolean {
  try {
    return request.isNavigationRequest() && request.frame().parentFrame() === null;
  } catch {
    return false; // a request with no frame (a worker's) is no page load
  }
}

/** Playwright errors carry a call log; the first line is what an agent (and a person) needs. */
export function cleanError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message
    .split('\n')[0]!
    .replace(/^(locator|page|frame)\.\w+: /, '')
    .replace(/^Error: /, '')
    .slice(0, 300);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** How long a session's context may take to close before its whole browser process is killed. */
export const CLOSE_LIMIT_MS = 4000;
