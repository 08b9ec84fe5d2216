// robots.txt (RFC 9309) for every top-level page the browser opens: fetched once per origin through the
// egress guard (the same route decision as the browser's own connections, to the one address it checked),
// parsed by robots-parser for webtrail's product token, cached, and its Crawl-delay kept as the site's
// minimum interval between page loads in this process.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import robotsParserModule from 'robots-parser';
import type { Route } from './egressProxy.ts';

// A CommonJS package whose types say `export default`: at run time the default import is the function itself.
const robotsParser = robotsParserModule as unknown as typeof robotsParserModule.default;
export interface RobotsSettings {
  /** Read robots.txt and obey it (the default); off, nothing is fetched and everything is allowed. */
  respect: boolean;
  /** The product token robots.txt groups are matched against (RFC 9309 2.2.1), e.g. "webtrail". */
  productToken: string;
  /** The User-Agent header of the robots.txt request itself. */
  userAgent: string;
  /** How long a fetched robots.txt is used (RFC 9309 2.4: at most 24 hours). */
  cacheTtlMs: number;
  /** How long a site whose robots.txt was unreachable (5xx, network) stays fully disallowed before trying again. */
  unreachableRetryMs: number;
  /** A Crawl-delay above this refuses the site instead of waiting that long between its pages. */
  maxCrawlDelayMs: number;
  fetchTimeoutMs: number;
}

export type RobotsDecision = { allowed: true } | { allowed: false; reason: string };

/** What fetching an origin's robots.txt gave (RFC 9309 2.3.1). */
export type RobotsFetch =
  | { kind: 'found'; body: string }
  | { kind: 'unavailable'; status: number }
  | { kind: 'unreachable'; why: string }
  /** The egress guard refuses the host itself: the page will be refused by the guard too, with its own reason. */
  | { kind: 'refused'; why: string };

/** Routes a connection through the egress guard (EgressProxy.route with the session's policy). */
export type GuardRoute = (protocol: string, host: string, port: string) => Promise<Route>;

/** RFC 9309 2.5: a parser must read at least 500 KiB; beyond it, the rest is ignored. */
const MAX_ROBOTS_BYTES = 512 * 1024;
/** RFC 9309 2.3.1.2: follow at least five consecutive redirects. */
const MAX_REDIRECTS = 5;
/** Origins whose rules one process keeps (the oldest go first): a run over 150k sites must not keep them all. */
const MAX_ORIGINS = 5000;

/** Sets a key in a map bounded to MAX_ORIGINS entries, dropping the oldest entries first. */
function setBounded<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > MAX_ORIGINS) map.delete(map.keys().next().value!);
}

/** The URL of an http(s) page, or undefined for anything else (about:, data:, not a URL): none of robots.txt's business. */
function webPage(rawUrl: string): URL | undefined {
  try {
    const url = new URL(rawUrl);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

export function robotsUrlOf(url: URL): URL {
  return new URL('/robots.txt', url.origin);
}

/** One GET to the address the guard chose, bounded in time and size. */
function getOnce(
  url: URL,
  address: string,
  userAgent: string,
  timeoutMs: number,
): Promise<{ status: number; location: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      {
        method: 'GET',
        headers: { 'user-agent': userAgent, accept: 'text/plain, */*;q=0.5' },
        // The guard's address and no other: no second lookup for a rebinding name to race.
        lookup: (_host, options, callback) => {
          const family = isIP(address) || 4;
          if ((options as { all?: boolean }).all)
            (callback as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address, family }]);
          else callback(null, address, family);
        },
        agent: false,
        timeout: timeoutMs,
      },
      (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          if (size >= MAX_ROBOTS_BYTES) return;
          chunks.push(chunk);
          size += chunk.length;
          if (size >= MAX_ROBOTS_BYTES) response.destroy();
        });
        const done = () =>
          resolve({
            status: response.statusCode ?? 0,
            location: response.headers.location,
            body: Buffer.concat(chunks).subarray(0, MAX_ROBOTS_BYTES).toString('utf8'),
          });
        response.on('end', done);
        response.on('close', done);
        response.on('error', (error) => (size > 0 ? done() : reject(error)));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end();
  });
}

/** Fetches an origin's robots.txt as RFC 9309 2.3.1 reads the outcome, every hop through the guard. */
export async function fetchRobots(
  robotsUrl: URL,
  route: GuardRoute,
  userAgent: string,
  timeoutMs: number,
): Promise<RobotsFetch> {
  let url = robotsUrl;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop += 1) {
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    const decision = await route(url.protocol, url.hostname, port);
    if (!decision.allowed) return { kind: 'refused', why: `the guard refused ${url.host}: ${decision.reason}` };
    let answer: Awaited<ReturnType<typeof getOnce>>;
    try {
      answer = await getOnce(url, decision.address, userAgent, timeoutMs);
    } catch (error) {
      return { kind: 'unreachable', why: (error as Error).message };
    }
    const { status } = answer;
    if (status >= 300 && status < 400 && answer.location) {
      try {
        url = new URL(answer.location, url);
      } catch {
        return { kind: 'unavailable', status };
      }
      continue;
    }
    if (status >= 200 && status < 300) return { kind: 'found', body: answer.body };
    // 429 is a 4xx, but it says "not now", not "no rules": read as unreachable (as Google's crawler does).
    if (status === 429 || status >= 500) return { kind: 'unreachable', why: `robots.txt answered ${status}` };
    return { kind: 'unavailable', status };
  }
  // RFC 9309 2.3.1.2: past the redirects followed, the crawler may assume the file unavailable.
  return { kind: 'unavailable', status: 310 };
}

type Rules =
  | { kind: 'parsed'; robot: ReturnType<typeof robotsParser>; expiresAt: number }
  | { kind: 'allow_all'; why: string; expiresAt: number }
  | { kind: 'disallow_all'; why: string; expiresAt: number }
  | { kind: 'guard_refused'; expiresAt: number };

/** The robots.txt rules of every origin this process visits, fetched once per origin and TTL. */
export class RobotsRules {
  private readonly rules = new Map<string, Promise<Rules>>();
  /** When each origin may load its next page (its Crawl-delay, in this process). */
  private readonly nextPageAt = new Map<string, number>();
  /** Each origin's Crawl-delay, as its robots.txt last said (for pageArrived). */
  private readonly crawlDelays = new Map<string, number>();

  constructor(
    readonly settings: RobotsSettings,
    private readonly fetcher: (robotsUrl: URL, route: GuardRoute) => Promise<RobotsFetch> = (robotsUrl, route) =>
      fetchRobots(robotsUrl, route, settings.userAgent, settings.fetchTimeoutMs),
    private readonly now: () => number = Date.now,
  ) {}

  /** What a trajectory records of the policy it ran under. */
  describe(): string {
    return this.settings.respect ? `rfc9309 for ${this.settings.productToken}` : 'ignored (WEBTRAIL_ROBOTS=ignore)';
  }

  private rulesOf(url: URL, route: GuardRoute): Promise<Rules> {
    const origin = url.origin;
    const cached = this.rules.get(origin);
    const pending = cached ?? this.load(url, route);
    if (!cached) setBounded(this.rules, origin, pending);
    return pending.then((rules) => {
      if (rules.kind === 'guard_refused') {
        if (this.rules.get(origin) === pending) this.rules.delete(origin);
        return rules;
      }
      if (rules.expiresAt > this.now()) return rules;
      if (this.rules.get(origin) === pending) this.rules.delete(origin);
      return this.rulesOf(url, route);
    });
  }

  private async load(url: URL, route: GuardRoute): Promise<Rules> {
    const robotsUrl = robotsUrlOf(url);
    const fetched = await this.fetcher(robotsUrl, route);
    const now = this.now();
    switch (fetched.kind) {
      case 'found':
        return {
          kind: 'parsed',
          robot: robotsParser(robotsUrl.href, fetched.body),
          expiresAt: now + this.settings.cacheTtlMs,
        };
      case 'unavailable':
        return {
          kind: 'allow_all',
          why: `robots.txt answered ${fetched.status}`,
          expiresAt: now + this.settings.cacheTtlMs,
        };
      case 'refused':
        // Not kept: another session's policy may allow the host, and then its robots.txt applies.
        return { kind: 'guard_refused', expiresAt: now };
      case 'unreachable':
        return {
          kind: 'disallow_all',
          why: `robots.txt could not be read (${fetched.why.slice(0, 120)}); the site counts as disallowed for now (RFC 9309 2.3.1.4)`,
          expiresAt: now + this.settings.unreachableRetryMs,
        };
    }
  }

  /** Whether robots.txt lets webtrail open this page (http and https pages; anything else is not its business). */
  async decide(rawUrl: string, route: GuardRoute): Promise<RobotsDecision & { crawlDelayMs?: number }> {
    if (!this.settings.respect) return { allowed: true };
    const url = webPage(rawUrl);
    if (!url) return { allowed: true };
    // The robots.txt itself is always allowed (RFC 9309 2.2.2).
    if (url.pathname === '/robots.txt') return { allowed: true };
    const rules = await this.rulesOf(url, route);
    // The guard refuses the page itself, and says why in its own words (a private address, an opt-out).
    if (rules.kind === 'allow_all' || rules.kind === 'guard_refused') return { allowed: true };
    if (rules.kind === 'disallow_all') return { allowed: false, reason: rules.why };
    const token = this.settings.productToken;
    if (rules.robot.isDisallowed(url.href, token)) {
      const line = rules.robot.getMatchingLineNumber(url.href, token);
      return {
        allowed: false,
        reason: `robots.txt of ${url.host} disallows ${url.pathname} for ${token}${line > 0 ? ` (line ${line})` : ''}`,
      };
    }
    const delayS = rules.robot.getCrawlDelay(token);
    const crawlDelayMs = delayS && Number.isFinite(delayS) && delayS > 0 ? Math.round(delayS * 1000) : 0;
    if (crawlDelayMs > this.settings.maxCrawlDelayMs)
      return {
        allowed: false,
        reason: `robots.txt of ${url.host} asks ${delayS} s between pages, more than WEBTRAIL_ROBOTS_MAX_CRAWL_DELAY_S (${this.settings.maxCrawlDelayMs / 1000} s)`,
      };
    return { allowed: true, crawlDelayMs };
  }

  /**
   * Decides, and when allowed takes the origin's next page-load turn: resolves once its Crawl-delay since
   * the previous page load of this process, and any back-off the site asked for, have passed (turns are
   * handed out in call order). A wait longer than the longest Crawl-delay allowed is a refusal instead.
   */
  async admit(rawUrl: string, route: GuardRoute): Promise<RobotsDecision> {
    const decision = await this.decide(rawUrl, route);
    const url = webPage(rawUrl);
    if (!decision.allowed || !url) return decision;
    const { origin } = url;
    const now = this.now();
    const at = Math.max(now, this.nextPageAt.get(origin) ?? 0);
    if (at - now > this.settings.maxCrawlDelayMs)
      return {
        allowed: false,
        reason: `rate_limited: ${url.host} asked to be left alone for ${Math.ceil((at - now) / 1000)} s more (Retry-After)`,
      };
    if (decision.crawlDelayMs) setBounded(this.crawlDelays, origin, decision.crawlDelayMs);
    if (decision.crawlDelayMs || at > now) setBounded(this.nextPageAt, origin, at + (decision.crawlDelayMs ?? 0));
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
    return { allowed: true };
  }

  /**
   * A page of the origin arrived: its next page waits the Crawl-delay from now, not only from when this one
   * was let go, so a slow answer does not bring two requests closer than the site asked (as it sees them).
   */
  pageArrived(rawUrl: string): void {
    const origin = webPage(rawUrl)?.origin;
    const delay = origin && this.crawlDelays.get(origin);
    if (origin && delay) this.holdUntil(origin, this.now() + delay);
  }

  /** A site answered 429 or 503 with Retry-After: no page of it loads in this process before then. */
  backOff(rawUrl: string, retryAfterMs: number): void {
    const origin = webPage(rawUrl)?.origin;
    if (origin) this.holdUntil(origin, this.now() + Math.min(Math.max(0, retryAfterMs), MAX_BACK_OFF_MS));
  }

  /** No page of the origin loads before this time (a later hold already set stays). */
  private holdUntil(origin: string, until: number): void {
    if (until > (this.nextPageAt.get(origin) ?? 0)) setBounded(this.nextPageAt, origin, until);
  }
}

/** The longest back-off a Retry-After can impose (a longer one is capped: the site is refused meanwhile). */
const MAX_BACK_OFF_MS = 3600_000;

/** A Retry-After header's wait (RFC 9110 10.2.3: seconds, or an HTTP date), or undefined when it has none. */
export function retryAfterMs(header: string | undefined | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
