// One Chromium per process, launched on first use and relaunched if it crashes; a fresh context per
// trajectory (BrowserSession). Every connection of the browser goes through the pool's egress proxy:
// each context through its own gate, and the browser itself through a gate that refuses everything.
import { chromium, type Browser } from 'playwright-core';
import { DependencyError } from '../platform/errors.ts';
import type { Logger } from '../platform/logger.ts';
import type { BrowserConfig } from './browserConfig.ts';
import { BrowserSession, type SessionOptions } from './browserSession.ts';
import { EgressProxy, PROXY_LOOPBACK_TOO, systemResolver, type Gate, type Resolver } from './egressProxy.ts';

/** A quiet headless Chromium: no background networking, sync, updates, extensions or QUIC. */
export const BASE_ARGS = [
  '--no-sandbox',
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
  '--mute-audio',
];

/**
 * Roads around the proxy, closed. Chromium may resolve no name itself (so no DNS prefetch, and nothing
 * that skips the proxy can find an address); WebRTC may not send UDP that does not go through the proxy
 * (an HTTP proxy carries none, so STUN and peer UDP stay home). The proxy applies to loopback too
 * (`<-loopback>` in the proxy settings), so the machine itself is not a way around it.
 */
export const NO_OWN_DNS_ARGS = ['--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1'];
export const NO_DIRECT_UDP_ARGS = ['--force-webrtc-ip-handling-policy=disable_non_proxied_udp', '--webrtc-ip-handling-policy=disable_non_proxied_udp'];

export const CHROMIUM_ARGS = [...BASE_ARGS, ...NO_OWN_DNS_ARGS, ...NO_DIRECT_UDP_ARGS];

export interface PoolOptions {
  /** How the proxy resolves names (tests answer without DNS). */
  resolver?: Resolver;
}

export class BrowserPool {
  private browser: Promise<Browser> | undefined;
  private closed = false;
  private browserGate: Gate | undefined;
  readonly proxy: EgressProxy;
  restarts = 0;

  constructor(readonly config: BrowserConfig, private readonly log: Logger, options: PoolOptions = {}) {
    this.proxy = new EgressProxy(options.resolver ?? systemResolver);
  }

  private async launch(): Promise<Browser> {
    // Traffic not tied to a context (there should be none) meets a gate that refuses everything.
    this.browserGate ??= await this.proxy.openGate({
      policy: { allowHosts: [], allowPrivateNetwork: false, denyAddresses: ['0.0.0.0/0', '::/0'] },
      events: { refused: (url, reason) => this.log.warn({ url: url.slice(0, 200), reason }, 'browser-level request refused') },
    });
    try {
      const browser = await chromium.launch({
        executablePath: this.config.executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 30_000,
        proxy: { server: this.browserGate.server, bypass: PROXY_LOOPBACK_TOO },
      });
      browser.on('disconnected', () => {
        if (this.closed) return;
        this.log.warn('browser disconnected; it will be relaunched on next use');
        this.restarts += 1;
        this.browser = undefined;
      });
      return browser;
    } catch (error) {
      this.browser = undefined;
      throw new DependencyError(`cannot launch Chromium (${this.config.executablePath ?? "Playwright's own"}): ${(error as Error).message.split('\n')[0]}; set WEBTRAIL_CHROMIUM or install chromium`, { cause: error });
    }
  }

  async getBrowser(): Promise<Browser> {
    if (this.closed) throw new DependencyError('browser pool is closed', { retriable: false });
    this.browser ??= this.launch();
    return this.browser;
  }

  async newSession(options: SessionOptions = {}): Promise<BrowserSession> {
    const browser = await this.getBrowser();
    return BrowserSession.open(browser, this.config, this.proxy, options);
  }

  async close(): Promise<void> {
    this.closed = true;
    const browser = this.browser;
    this.browser = undefined;
    if (browser) await (await browser.catch(() => undefined))?.close().catch(() => undefined);
    await this.proxy.close();
    this.browserGate = undefined;
  }
}
