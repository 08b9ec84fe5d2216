// Browser environment settings, from WEBTRAIL_BROWSER_* variables.
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { bool, type Env, UserInputError, parseEnv, tokenizerSetting } from '../platform/index.ts';
import { invalidDenyEntries, invalidNat64Prefixes } from './egressPolicy.ts';

export interface BrowserConfig {
  /** Chromium binary; undefined lets Playwright use its own browser. */
  executablePath: string | undefined;
  actionTimeoutMs: number;
  navigationTimeoutMs: number;
  trajectoryTimeoutMs: number;
  settleMs: number;
  maxDomNodes: number;
  maxObservationTokens: number;
  /** The tokenizer family the observation budget counts in (platform/tokenizer.ts). */
  tokenizer: string;
  allowHosts: string[];
  allowPrivateNetwork: boolean;
  /** Addresses and CIDR ranges refused even for allowed hosts or private networks. */
  denyAddresses: string[];
  /** This network's own NAT64 prefixes (the well-known ones are always read). */
  nat64Prefixes: string[];
  maxTabs: number;
  maxDialogs: number;
  /** Script heap one page's renderer may use before V8 stops it (the page crashes, the browser stays). */
  maxPageHeapMb: number;
  /** Memory one renderer process may hold, array buffers and images included; over it, it is stopped. */
  maxRendererMb: number;
  /** Run Chromium without its renderer sandbox (an explicit opt-out, for machines that cannot sandbox). */
  noSandbox: boolean;
  /** Contexts (trajectories) one Chromium process holds; more open another process. */
  maxContextsPerProcess: number;
  viewport: { width: number; height: number };
  screenshotQuality: number;
  /** Who is visiting: appended to Chromium's own user agent, and the robots.txt product token. */
  identity: { productToken: string; contactUrl: string };
  robots: {
    respect: boolean;
    cacheTtlMs: number;
    unreachableRetryMs: number;
    maxCrawlDelayMs: number;
  };
  /** Where the operator's opt-out list of domains is kept (files and http(s) URLs). */
  suppressionList: string[];
  /** Answer cookie-consent popups by opting out (autoconsent, consent.ts) before the page is read. */
  consentOptOut: boolean;
}

const list = (v: string) =>
  v
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
const int = (d: number) => z.coerce.number().int().positive().default(d);

const schema = z.object({
  WEBTRAIL_CHROMIUM: z.string().optional(),
  WEBTRAIL_BROWSER_ACTION_TIMEOUT_MS: int(10_000),
  WEBTRAIL_BROWSER_NAVIGATION_TIMEOUT_MS: int(20_000),
  WEBTRAIL_BROWSER_TRAJECTORY_TIMEOUT_MS: int(600_000),
  WEBTRAIL_BROWSER_SETTLE_MS: int(1_500),
  WEBTRAIL_BROWSER_MAX_DOM_NODES: int(30_000),
  WEBTRAIL_OBSERVATION_MAX_TOKENS: int(6_000),
  WEBTRAIL_TOKENIZER: tokenizerSetting,
  WEBTRAIL_BROWSER_ALLOW_HOSTS: z.string().default(''),
  WEBTRAIL_BROWSER_ALLOW_PRIVATE: z.enum(['true', 'false']).default('false'),
  WEBTRAIL_BROWSER_DENY_ADDRESSES: z
    .string()
    .default('')
    .superRefine((v, ctx) => {
      const bad = invalidDenyEntries(list(v));
      if (bad.length > 0) ctx.addIssue({ code: 'custom', message: `not an address or CIDR range: ${bad.join(', ')}` });
    }),
  WEBTRAIL_BROWSER_NAT64_PREFIXES: z
    .string()
    .default('')
    .superRefine((v, ctx) => {
      const bad = invalidNat64Prefixes(list(v));
      if (bad.length > 0)
        ctx.addIssue({
          code: 'custom',
          message: `not an IPv6 prefix of length 32, 40, 48, 56, 64 or 96 (RFC 6052): ${bad.join(', ')}`,
        });
    }),
  WEBTRAIL_BROWSER_MAX_TABS: int(5),
  WEBTRAIL_BROWSER_MAX_DIALOGS: int(10),
  WEBTRAIL_BROWSER_MAX_PAGE_HEAP_MB: z.coerce.number().int().min(64).max(16_384).default(1024),
  WEBTRAIL_BROWSER_MAX_RENDERER_MB: z.coerce.number().int().min(128).max(65_536).default(2048),
  WEBTRAIL_BROWSER_NO_SANDBOX: bool.default(false),
  WEBTRAIL_BROWSER_MAX_CONTEXTS_PER_PROCESS: z.coerce.number().int().min(1).max(64).default(4),
  // Every pixel is rendered, kept and screenshotted each step: beyond 4K a page costs gigabytes.
  WEBTRAIL_BROWSER_VIEWPORT: z
    .string()
    .regex(/^\d+x\d+$/, 'expected WIDTHxHEIGHT, e.g. 1280x800')
    .default('1280x800')
    .refine(
      (v) =>
        v
          .split('x')
          .map(Number)
          .every((n) => n >= 200 && n <= 4096),
      'each side from 200 to 4096 pixels, e.g. 1280x800',
    ),
  WEBTRAIL_SCREENSHOT_QUALITY: z.coerce.number().int().min(1).max(100).default(60),
  // RFC 9309 2.2.1: a product token is letters, underscores and hyphens.
  WEBTRAIL_USER_AGENT_TOKEN: z
    .string()
    .regex(/^[A-Za-z_-]{1,40}$/, 'letters, "_" and "-" only (an RFC 9309 product token), e.g. webtrail')
    .default('webtrail'),
  WEBTRAIL_USER_AGENT_CONTACT: z
    .string()
    .default('')
    .refine(
      (v) => v === '' || /^(https?:\/\/[^\s()]+|mailto:[^\s()@]+@[^\s()]+)$/.test(v),
      'an http(s) URL or a mailto: address where site owners can reach the operator, e.g. https://example.org/webtrail-bot',
    ),
  WEBTRAIL_ROBOTS: z.enum(['respect', 'ignore']).default('respect'),
  WEBTRAIL_ROBOTS_CACHE_TTL_S: z.coerce.number().int().min(1).max(86_400).default(86_400),
  WEBTRAIL_ROBOTS_UNREACHABLE_RETRY_S: z.coerce.number().int().min(1).max(86_400).default(600),
  WEBTRAIL_ROBOTS_MAX_CRAWL_DELAY_S: z.coerce.number().min(0).max(3600).default(30),
  WEBTRAIL_SUPPRESSION_LIST: z.string().default(''),
  WEBTRAIL_CONSENT: z.enum(['opt_out', 'leave']).default('opt_out'),
});

export function defaultChromium(): string | undefined {
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
}

export function loadBrowserConfig(env: Env = process.env): BrowserConfig {
  const raw = parseEnv(schema, env);
  if (raw.WEBTRAIL_BROWSER_MAX_RENDERER_MB <= raw.WEBTRAIL_BROWSER_MAX_PAGE_HEAP_MB)
    throw new UserInputError(
      `invalid configuration: WEBTRAIL_BROWSER_MAX_RENDERER_MB (${raw.WEBTRAIL_BROWSER_MAX_RENDERER_MB}) must be above WEBTRAIL_BROWSER_MAX_PAGE_HEAP_MB (${raw.WEBTRAIL_BROWSER_MAX_PAGE_HEAP_MB}): a renderer holds its script heap and more`,
    );
  const [width, height] = raw.WEBTRAIL_BROWSER_VIEWPORT.split('x').map(Number) as [number, number];
  return {
    executablePath: raw.WEBTRAIL_CHROMIUM ?? defaultChromium(),
    actionTimeoutMs: raw.WEBTRAIL_BROWSER_ACTION_TIMEOUT_MS,
    navigationTimeoutMs: raw.WEBTRAIL_BROWSER_NAVIGATION_TIMEOUT_MS,
    trajectoryTimeoutMs: raw.WEBTRAIL_BROWSER_TRAJECTORY_TIMEOUT_MS,
    settleMs: raw.WEBTRAIL_BROWSER_SETTLE_MS,
    maxDomNodes: raw.WEBTRAIL_BROWSER_MAX_DOM_NODES,
    maxObservationTokens: raw.WEBTRAIL_OBSERVATION_MAX_TOKENS,
    tokenizer: raw.WEBTRAIL_TOKENIZER,
    allowHosts: list(raw.WEBTRAIL_BROWSER_ALLOW_HOSTS),
    allowPrivateNetwork: raw.WEBTRAIL_BROWSER_ALLOW_PRIVATE === 'true',
    denyAddresses: list(raw.WEBTRAIL_BROWSER_DENY_ADDRESSES),
    nat64Prefixes: list(raw.WEBTRAIL_BROWSER_NAT64_PREFIXES),
    maxTabs: raw.WEBTRAIL_BROWSER_MAX_TABS,
    maxDialogs: raw.WEBTRAIL_BROWSER_MAX_DIALOGS,
    maxPageHeapMb: raw.WEBTRAIL_BROWSER_MAX_PAGE_HEAP_MB,
    maxRendererMb: raw.WEBTRAIL_BROWSER_MAX_RENDERER_MB,
    noSandbox: raw.WEBTRAIL_BROWSER_NO_SANDBOX,
    maxContextsPerProcess: raw.WEBTRAIL_BROWSER_MAX_CONTEXTS_PER_PROCESS,
    viewport: { width, height },
    screenshotQuality: raw.WEBTRAIL_SCREENSHOT_QUALITY,
    identity: { productToken: raw.WEBTRAIL_USER_AGENT_TOKEN, contactUrl: raw.WEBTRAIL_USER_AGENT_CONTACT },
    robots: {
      respect: raw.WEBTRAIL_ROBOTS === 'respect',
      cacheTtlMs: raw.WEBTRAIL_ROBOTS_CACHE_TTL_S * 1000,
      unreachableRetryMs: raw.WEBTRAIL_ROBOTS_UNREACHABLE_RETRY_S * 1000,
      maxCrawlDelayMs: raw.WEBTRAIL_ROBOTS_MAX_CRAWL_DELAY_S * 1000,
    },
    suppressionList: list(raw.WEBTRAIL_SUPPRESSION_LIST),
    consentOptOut: raw.WEBTRAIL_CONSENT === 'opt_out',
  };
}
