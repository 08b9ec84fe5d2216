// One Chromium per process, launched on first use and relaunched if it crashes; a fresh context per
// trajectory (BrowserSession).
import { chromium, type Browser } from 'playwright-core';
import { DependencyError } from '../platform/errors.ts';
import type { Logger } from '../platform/logger.ts';
import type { BrowserConfig } from './browserConfig.ts';
import { BrowserSession, type SessionOptions } from './browserSession.ts';

const CHROMIUM_ARGS = [
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

export class BrowserPool {
  private browser: Promise<Browser> | undefined;
  private closed = false;
  restarts = 0;

  constructor(readonly config: BrowserConfig, private readonly log: Logger) {}

  private launch(): Promise<Browser> {
    const launched = chromium
      .launch({ executablePath: this.config.executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 })
      .then((browser) => {
        browser.on('disconnected', () => {
          if (this.closed) return;
          this.log.warn('browser disconnected; it will be relaunched on next use');
          this.restarts += 1;
          this.browser = undefined;
        });
        return browser;
      })
      .catch((error: Error) => {
        this.browser = undefined;
        throw new DependencyError(`cannot launch Chromium (${this.config.executablePath ?? "Playwright's own"}): ${error.message.split('\n')[0]}; set WEBTRAIL_CHROMIUM or install chromium`, { cause: error });
      });
    return launched;
  }

  async getBrowser(): Promise<Browser> {
    if (this.closed) throw new DependencyError('browser pool is closed', { retriable: false });
    this.browser ??= this.launch();
    return this.browser;
  }

  async newSession(options: SessionOptions = {}): Promise<BrowserSession> {
    const browser = await this.getBrowser();
    return BrowserSession.open(browser, this.config, options);
  }

  async close(): Promise<void> {
    this.closed = true;
    const browser = this.browser;
    this.browser = undefined;
    if (browser) await (await browser.catch(() => undefined))?.close().catch(() => undefined);
  }
}
