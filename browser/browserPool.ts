// Chromium processes launched on demand, each holding at most WEBTRAIL_BROWSER_MAX_CONTEXTS_PER_PROCESS
// contexts, so one crash or leak costs a few trajectories, not all; a process that crashes is replaced on
// next use, an extra one that empties is closed. A fresh context per trajectory (BrowserSession). Every connection of the browser goes through the pool's egress proxy:
// each context through its own gate, and the browser itself through a gate that refuses everything.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import {
  DependencyError,
  errorMessage,
  loadTokenizer,
  type Logger,
  RefreshingDomainList,
  webtrailVersion,
} from '../platform/index.ts';
import { RobotsRules } from './robots.ts';
import type { BrowserConfig } from './browserConfig.ts';
import { BrowserSession, type SessionOptions } from './browserSession.ts';
import {
  descendants,
  isRenderer,
  killProcess,
  listProcesses,
  ownMemoryMb,
  processWithArg,
} from './chromiumProcesses.ts';
import { EgressProxy, PROXY_LOOPBACK_TOO, systemResolver, type Gate, type Resolver } from './egressProxy.ts';

/**
 * Playwright's own --disable-features list, as playwright-core 1.65.1 passes it. Chromium keeps only the
 * last --disable-features switch, so a list of ours must carry Playwright's as well or it silently
 * re-enables them; test/chromiumSwitches.test.ts reads both lists off running browsers and fails when an
 * upgrade of Playwright changes its own.
 */
export const PLAYWRIGHT_DISABLED_FEATURES = [
  'AvoidUnnecessaryBeforeUnloadCheckSync',
  'DestroyProfileOnBrowserClose',
  'HttpsUpgrades',
  'HttpsFirstBalancedModeAutoEnable',
  'LensOverlay',
  'MediaRouter',
  'PaintHolding',
  'ThirdPartyStoragePartitioning',
  'AvoidCorsURLLoaderRestartOnRedirect',
  'TcpPortRandomizationWin',
  'OptimizationHints',
  'NetworkTimeServiceQuerying',
  'AimEnabled',
  'PreconnectToSearch',
  'msForceBrowserSignIn',
  'msEdgeUpdateLaunchServicesPreferredVersion',
];

/**
 * Chromium's own calls home from the pages it shows, off: autofill asks Google's server about every form
 * it parses (the form's signature, from every site visited), which the egress proxy would otherwise see
 * as one refused or forwarded request per form page, in the trajectory's guard events.
 */
export const QUIET_DISABLED_FEATURES = ['AutofillServerCommunication'];

/**
 * A quiet headless Chromium: no background networking, sync, updates, extensions, QUIC, autofill server,
 * crash reports, phishing model, domain reliability reports or field-trial downloads. Its renderer sandbox
 * stays on (see the pool); `--no-sandbox` is added only by the explicit opt-out.
 */
export const BASE_ARGS = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
  '--disable-quic',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--no-first-run',
  '--no-default-browser-check',
  '--metrics-recording-only',
  '--disable-breakpad',
  '--disable-client-side-phishing-detection',
  '--disable-domain-reliability',
  '--disable-field-trial-config',
  '--disable-component-extensions-with-background-pages',
  '--no-pings',
  '--mute-audio',
  `--disable-features=${[...PLAYWRIGHT_DISABLED_FEATURES, ...QUIET_DISABLED_FEATURES].join(',')}`,
];

/**
 * Roads around the proxy, closed. Chromium may resolve no name itself (so no DNS prefetch, and nothing
 * that skips the proxy can find an address); WebRTC may not send UDP that does not go through the proxy
 * (an HTTP proxy carries none, so STUN and peer UDP stay home). The proxy applies to loopback too
 * (`<-loopback>` in the proxy settings), so the machine itself is not a way around it.
 */
export const NO_OWN_DNS_ARGS = ['--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1'];
export const NO_DIRECT_UDP_ARGS = [
  '--force-webrtc-ip-handling-policy=disable_non_proxied_udp',
  '--webrtc-ip-handling-policy=disable_non_proxied_udp',
];

export const CHROMIUM_ARGS = [...BASE_ARGS, ...NO_OWN_DNS_ARGS, ...NO_DIRECT_UDP_ARGS];

/** Started instead of Chromium when this process is root (Chromium will not sandbox as root). */
const AS_USER_LAUNCHER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'chromium-as-user.sh');

/**
 * What to start for a Chromium binary: the binary itself, or, sandboxed by a root process, the launcher
 * that runs it as an ordinary user of a user namespace of its own (told the binary in its environment).
 */
export function chromiumCommand(
  binary: string | undefined,
  sandboxed: boolean,
): { executablePath: string | undefined; env?: NodeJS.ProcessEnv } {
  if (!sandboxed || process.getuid?.() !== 0) return { executablePath: binary };
  if (!binary)
    throw new DependencyError('running as root, Chromium is sandboxed only when WEBTRAIL_CHROMIUM names its binary', {
      retriable: false,
    });
  return { executablePath: AS_USER_LAUNCHER, env: { ...process.env, CHROMIUM_AS_USER_BINARY: binary } };
}

/** How often the memory watchdog reads each renderer's memory. */
const MEMORY_CHECK_MS = 250;

export interface PoolOptions {
  /** How the proxy resolves names (tests answer without DNS). */
  resolver?: Resolver;
  /** How long an extra process may stay empty before it is closed (so contexts that come and go do not relaunch it each time). */
  idleProcessMs?: number;
}

/** One Chromium process and the contexts it holds or is opening. */
interface ChromiumProcess {
  browser: Promise<Browser>;
  /** The browser process's id, found by its marker once it runs (undefined off Linux). */
  pid?: number;
  /** The sessions it holds, told when the memory watchdog stops one of its renderers. */
  sessions: Set<BrowserSession>;
  contexts: number;
  /** No longer offered for new contexts (retired by the pool, or went away). */
  gone: boolean;
  /** Closed by the pool itself (so its disconnect is not a crash). */
  retired: boolean;
  idleTimer?: NodeJS.Timeout;
  /** Chromium's own user agent with webtrail's identification appended (read once the browser runs). */
  userAgent?: Promise<string>;
}

/** The identification webtrail appends to Chromium's user agent: `token/version (+contact)`. */
export function identification(identity: BrowserConfig['identity']): string {
  return `${identity.productToken}/${webtrailVersion}${identity.contactUrl ? ` (+${identity.contactUrl})` : ''}`;
}

/** Chromium's own user agent (Browser.getVersion), with the identification after it. */
async function identifiedUserAgent(browser: Browser, identity: BrowserConfig['identity']): Promise<string> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const { userAgent } = (await cdp.send('Browser.getVersion')) as { userAgent: string };
    return `${userAgent} ${identification(identity)}`;
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}

export class BrowserPool {
  private processes: ChromiumProcess[] = [];
  private closed = false;
  private browserGate: Gate | undefined;
  readonly proxy: EgressProxy;
  /** Processes that went away unasked (crashed or killed). */
  restarts = 0;
  /** Renderers the memory watchdog stopped. */
  memoryKills = 0;
  private memoryTimer: NodeJS.Timeout | undefined;
  private warnedNoSandbox = false;

  private readonly idleProcessMs: number;
  /** The operator's opt-out list: its domains are refused at every connection of every session. */
  readonly suppression: RefreshingDomainList;
  /** robots.txt of every site this process visits. */
  readonly robots: RobotsRules;

  constructor(
    readonly config: BrowserConfig,
    private readonly log: Logger,
    options: PoolOptions = {},
  ) {
    this.proxy = new EgressProxy(options.resolver ?? systemResolver);
    // The budget's tokenizer, loaded now: a family that is not installed stops the service at start.
    loadTokenizer(config.tokenizer);
    this.idleProcessMs = options.idleProcessMs ?? 10_000;
    this.suppression = new RefreshingDomainList(
      config.suppressionList,
      'WEBTRAIL_SUPPRESSION_LIST',
      10 * 60_000,
      (error) =>
        this.log.warn(
          { err: errorMessage(error) },
          'the suppression list could not be read again; the last one read stays',
        ),
    );
    this.robots = new RobotsRules({
      respect: config.robots.respect,
      productToken: config.identity.productToken,
      // Chromium's own part is not known before a browser runs; robots.txt requests identify webtrail alone.
      userAgent: identification(config.identity),
      cacheTtlMs: config.robots.cacheTtlMs,
      unreachableRetryMs: config.robots.unreachableRetryMs,
      maxCrawlDelayMs: config.robots.maxCrawlDelayMs,
      fetchTimeoutMs: Math.min(config.navigationTimeoutMs, 10_000),
    });
  }

  /** Chromium processes running or starting. */
  get processCount(): number {
    return this.processes.length;
  }

  private async launch(proc: ChromiumProcess): Promise<Browser> {
    // Traffic not tied to a context (there should be none) meets a gate that refuses everything.
    this.browserGate ??= await this.proxy.openGate({
      policy: {
        allowHosts: [],
        allowPrivateNetwork: false,
        denyAddresses: [],
        refuseAll: "the browser's own requests belong to no task",
      },
      events: {
        refused: (url, reason) => this.log.warn({ url: url.slice(0, 200), reason }, 'browser-level request refused'),
      },
    });
    const marker = `--webtrail-browser=${randomBytes(6).toString('hex')}`;
    const binary = this.config.executablePath;
    if (this.config.noSandbox && !this.warnedNoSandbox) {
      this.warnedNoSandbox = true;
      this.log.warn(
        'Chromium runs WITHOUT its renderer sandbox (WEBTRAIL_BROWSER_NO_SANDBOX): one renderer exploit runs as this process',
      );
    }
    try {
      const browser = await chromium.launch({
        ...chromiumCommand(binary, !this.config.noSandbox),
        headless: true,
        timeout: 30_000,
        // Without this Playwright adds --no-sandbox itself.
        chromiumSandbox: !this.config.noSandbox,
        // The heap limit applies to each renderer: a page over it crashes alone, its browser goes on.
        args: [
          ...CHROMIUM_ARGS,
          ...(this.config.noSandbox ? ['--no-sandbox'] : []),
          `--js-flags=--max-old-space-size=${this.config.maxPageHeapMb}`,
          marker,
        ],
        proxy: { server: this.browserGate.server, bypass: PROXY_LOOPBACK_TOO },
      });
      // Playwright starts it as a child of this process (the launcher execs in place).
      proc.pid = processWithArg(marker, descendants(process.pid))?.pid;
      this.watchMemory();
      browser.on('disconnected', () => {
        if (this.closed || proc.retired) return;
        this.log.warn({ contexts: proc.contexts }, 'browser disconnected; another will be launched on next use');
        this.restarts += 1;
        this.forget(proc);
      });
      return browser;
    } catch (error) {
      this.forget(proc);
      const first = (error as Error).message.split('\n')[0];
      const sandbox = /sandbox|namespace|unshare/i.test((error as Error).message);
      throw new DependencyError(
        sandbox && !this.config.noSandbox
          ? `cannot start Chromium's renderer sandbox (${first}): this machine does not allow user namespaces to this process; allow them (a seccomp profile that permits them, kernel.unprivileged_userns_clone=1), or run without the sandbox with WEBTRAIL_BROWSER_NO_SANDBOX=1 where nothing else can`
          : `cannot launch Chromium (${binary ?? "Playwright's own"}): ${first}; set WEBTRAIL_CHROMIUM or install chromium`,
        { cause: error },
      );
    }
  }

  private forget(proc: ChromiumProcess): void {
    proc.gone = true;
    this.processes = this.processes.filter((p) => p !== proc);
  }

  /** The fullest process with room (so extra processes empty and close), or a new one. */
  private processWithRoom(): ChromiumProcess {
    const withRoom = this.processes.filter((p) => p.contexts < this.config.maxContextsPerProcess);
    const fullest = withRoom.sort((a, b) => b.contexts - a.contexts)[0];
    if (fullest) return fullest;
    const proc = { contexts: 0, gone: false, retired: false, sessions: new Set() } as unknown as ChromiumProcess;
    proc.browser = this.launch(proc);
    this.processes.push(proc);
    return proc;
  }

  private release(proc: ChromiumProcess): void {
    proc.contexts -= 1;
    // The last process stays warm; an extra one that stays empty for a while is closed.
    const idle = () => proc.contexts === 0 && !proc.gone && this.processes.length > 1;
    if (!idle()) return;
    clearTimeout(proc.idleTimer);
    proc.idleTimer = setTimeout(() => {
      if (!idle()) return;
      proc.retired = true;
      this.forget(proc);
      void proc.browser.then((b) => b.close()).catch(() => undefined);
    }, this.idleProcessMs).unref();
  }

  async newSession(options: SessionOptions = {}): Promise<BrowserSession> {
    if (this.closed) throw new DependencyError('browser pool is closed', { retriable: false });
    const proc = this.processWithRoom();
    proc.contexts += 1;
    clearTimeout(proc.idleTimer);
    let session: BrowserSession;
    try {
      const browser = await proc.browser;
      proc.userAgent ??= identifiedUserAgent(browser, this.config.identity).catch((error: unknown) => {
        proc.userAgent = undefined;
        throw error;
      });
      const web = {
        userAgent: await proc.userAgent,
        // A saved page's session (blockOutside) reaches no website: nothing of robots.txt applies.
        robots: options.ignoreRobots || options.blockOutside ? undefined : this.robots,
        denyDomains: await this.suppression.domains(),
      };
      session = await BrowserSession.open(browser, this.config, this.proxy, options, web, {
        // A context that does not close in time: its process is killed, the other sessions in it fail over.
        closeStuck: () => {
          this.log.warn({ pid: proc.pid }, 'a browser context did not close in time; its Chromium process is killed');
          if (proc.pid) killProcess(proc.pid);
        },
      });
    } catch (error) {
      this.release(proc);
      throw error;
    }
    proc.sessions.add(session);
    session.onClose(() => {
      proc.sessions.delete(session);
      this.release(proc);
    });
    return session;
  }

  /** The browser processes' ids (for tests and the demo, which check how they run). */
  get browserPids(): number[] {
    return this.processes.map((p) => p.pid).filter((pid): pid is number => pid !== undefined);
  }

  /**
   * The memory watchdog: every renderer of every browser, read from outside (a renderer busy in a page's
   * script cannot answer anything), stopped once it holds more than the limit. The V8 heap flag covers
   * only script objects; array buffers, images and canvases live outside it. The browser goes on; the
   * sessions of that process are told, so the page that crashed ends its trajectory with `memory:`.
   */
  private watchMemory(): void {
    if (this.memoryTimer) return;
    this.memoryTimer = setInterval(() => {
      const watched = this.processes.filter((p) => p.pid !== undefined);
      if (watched.length === 0) return;
      const all = listProcesses();
      for (const proc of watched)
        for (const renderer of descendants(proc.pid!, all).filter(isRenderer)) {
          const mb = ownMemoryMb(renderer.pid);
          if (mb === null || mb <= this.config.maxRendererMb) continue;
          for (const session of proc.sessions) session.noteRendererStopped(Math.round(mb), this.config.maxRendererMb);
          if (killProcess(renderer.pid)) {
            this.memoryKills += 1;
            this.log.warn(
              { pid: renderer.pid, mb: Math.round(mb), limitMb: this.config.maxRendererMb },
              'a renderer went over its memory limit and was stopped',
            );
          }
        }
    }, MEMORY_CHECK_MS).unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.memoryTimer);
    this.memoryTimer = undefined;
    const processes = this.processes;
    this.processes = [];
    for (const proc of processes) clearTimeout(proc.idleTimer);
    await Promise.all(
      processes.map(async (p) => (await p.browser.catch(() => undefined))?.close().catch(() => undefined)),
    );
    await this.proxy.close();
    this.browserGate = undefined;
  }
}
