// robots.txt as RFC 9309 reads it: the fetch over real HTTP on loopback (statuses, redirects, size, who
// asks), and the rules (groups by product token, caching, the unreachable case, Crawl-delay turns).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fetchRobots,
  type GuardRoute,
  retryAfterMs,
  type RobotsFetch,
  RobotsRules,
  type RobotsSettings,
} from './robots.ts';

const UA = 'webtrail/0.1.0 (+https://example.org/bot)';
let server: Server;
let base = '';
const seen: Array<{ path: string; userAgent: string }> = [];
const answers: Record<string, (res: import('node:http').ServerResponse) => void> = {
  '/ok/robots.txt': (res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('User-agent: *\nDisallow: /x\n'),
  '/missing/robots.txt': (res) => res.writeHead(404).end('no'),
  '/gone/robots.txt': (res) => res.writeHead(410).end(),
  '/broken/robots.txt': (res) => res.writeHead(503).end('later'),
  '/busy/robots.txt': (res) => res.writeHead(429, { 'retry-after': '60' }).end(),
  '/moved/robots.txt': (res) => res.writeHead(301, { location: '/ok/robots.txt' }).end(),
  '/huge/robots.txt': (res) =>
    res.writeHead(200).end(`User-agent: *\n${'# filler\n'.repeat(100_000)}Disallow: /late\n`),
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    seen.push({ path, userAgent: String(req.headers['user-agent']) });
    const loop = /^\/loop(\d+)\/robots\.txt$/.exec(path);
    if (loop) return void res.writeHead(302, { location: `/loop${Number(loop[1]) + 1}/robots.txt` }).end();
    (answers[path] ?? ((r) => r.writeHead(404).end()))(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const allowLoopback: GuardRoute = async () => ({ allowed: true, address: '127.0.0.1' });
const fetchAt = (path: string, route: GuardRoute = allowLoopback) =>
  fetchRobots(new URL(`${base}${path}`), route, UA, 5000);

describe('fetching robots.txt', () => {
  it('reads a 2xx body, and says who asks in the User-Agent header', async () => {
    expect(await fetchAt('/ok/robots.txt')).toEqual({ kind: 'found', body: 'User-agent: *\nDisallow: /x\n' });
    expect(seen.find((s) => s.path === '/ok/robots.txt')?.userAgent).toBe(UA);
  });

  it('reads 4xx as "unavailable" (anything allowed) and 5xx and 429 as "unreachable" (RFC 9309 2.3.1.3, 2.3.1.4)', async () => {
    expect(await fetchAt('/missing/robots.txt')).toEqual({ kind: 'unavailable', status: 404 });
    expect(await fetchAt('/gone/robots.txt')).toEqual({ kind: 'unavailable', status: 410 });
    expect((await fetchAt('/broken/robots.txt')).kind).toBe('unreachable');
    expect((await fetchAt('/busy/robots.txt')).kind).toBe('unreachable');
  });

  it('follows five redirects and reads the sixth as unavailable (RFC 9309 2.3.1.2)', async () => {
    expect((await fetchAt('/moved/robots.txt')).kind).toBe('found');
    expect(await fetchAt('/loop0/robots.txt')).toEqual({ kind: 'unavailable', status: 310 });
    // The first request and five redirects followed: six requests, no more.
    expect(seen.filter((s) => s.path.startsWith('/loop')).map((s) => s.path)).toHaveLength(6);
  });

  it('reads at most 512 KiB (RFC 9309 2.5: at least 500 KiB), so a rule past it does not count', async () => {
    const fetched = (await fetchAt('/huge/robots.txt')) as Extract<RobotsFetch, { kind: 'found' }>;
    expect(fetched.kind).toBe('found');
    expect(fetched.body.length).toBe(512 * 1024);
    expect(fetched.body).not.toContain('/late');
  });

  it('asks the guard for every hop and connects to no host it refuses', async () => {
    const asked: string[] = [];
    const refuseAll: GuardRoute = async (_p, host, port) => {
      asked.push(`${host}:${port}`);
      return { allowed: false, reason: 'private address' };
    };
    const before = seen.length;
    const fetched = await fetchAt('/ok/robots.txt', refuseAll);
    expect(fetched).toEqual({ kind: 'refused', why: expect.stringMatching(/guard refused.*private address/) });
    expect(asked).toEqual([`127.0.0.1:${new URL(base).port}`]);
    expect(seen.length).toBe(before);
  });

  it('reads a closed port as unreachable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect((await fetchRobots(new URL(`http://127.0.0.1:${port}/robots.txt`), allowLoopback, UA, 5000)).kind).toBe(
      'unreachable',
    );
  });
});

const SETTINGS: RobotsSettings = {
  respect: true,
  productToken: 'webtrail',
  userAgent: UA,
  cacheTtlMs: 60_000,
  unreachableRetryMs: 10_000,
  maxCrawlDelayMs: 5_000,
  fetchTimeoutMs: 1000,
};

/** Rules over a scripted fetcher and a clock the test moves; counts the fetches per robots.txt URL. */
function rulesWith(answer: (url: URL) => RobotsFetch, settings: Partial<RobotsSettings> = {}) {
  const clock = { now: 1_000_000 };
  const fetches: string[] = [];
  const rules = new RobotsRules(
    { ...SETTINGS, ...settings },
    async (url) => {
      fetches.push(url.href);
      return answer(url);
    },
    () => clock.now,
  );
  return { rules, fetches, clock };
}

describe('robots.txt rules', () => {
  const body = [
    'User-agent: *',
    'Disallow: /private/',
    '',
    'User-agent: webtrail',
    'Disallow: /no-bots/',
    'Allow: /no-bots/public$',
    '',
    'User-agent: otherbot',
    'Disallow: /',
  ].join('\n');

  it("applies the product token's own group, not the others' (RFC 9309 2.2.1)", async () => {
    const { rules } = rulesWith(() => ({ kind: 'found', body }));
    const decide = async (path: string) => (await rules.decide(`http://a.test${path}`, allowLoopback)).allowed;
    expect(await decide('/no-bots/page')).toBe(false);
    expect(await decide('/no-bots/public')).toBe(true);
    // webtrail has a group of its own, so the * group's rules are not webtrail's.
    expect(await decide('/private/page')).toBe(true);
    expect(await decide('/')).toBe(true);
    const refused = await rules.decide('http://a.test/no-bots/page', allowLoopback);
    expect(refused).toEqual({
      allowed: false,
      reason: expect.stringMatching(/a\.test disallows \/no-bots\/page for webtrail/),
    });
  });

  it('fetches once per origin and again after its TTL (RFC 9309 2.4)', async () => {
    const { rules, fetches, clock } = rulesWith(() => ({ kind: 'found', body }));
    await Promise.all([
      rules.decide('http://a.test/1', allowLoopback),
      rules.decide('http://a.test/2', allowLoopback),
      rules.decide('http://b.test/1', allowLoopback),
    ]);
    expect(fetches.sort()).toEqual(['http://a.test/robots.txt', 'http://b.test/robots.txt']);
    clock.now += 59_000;
    await rules.decide('http://a.test/3', allowLoopback);
    expect(fetches).toHaveLength(2);
    clock.now += 2_000;
    await rules.decide('http://a.test/4', allowLoopback);
    expect(fetches).toHaveLength(3);
  });

  it('allows everything when robots.txt is unavailable, disallows everything for a while when unreachable', async () => {
    let answer: RobotsFetch = { kind: 'unavailable', status: 404 };
    const { rules, fetches, clock } = rulesWith(() => answer);
    expect((await rules.decide('http://c.test/anything', allowLoopback)).allowed).toBe(true);
    answer = { kind: 'unreachable', why: 'robots.txt answered 503' };
    const down = rulesWith(() => answer);
    expect(await down.rules.decide('http://c.test/anything', allowLoopback)).toEqual({
      allowed: false,
      reason: expect.stringMatching(/503.*disallowed for now/),
    });
    // Tried again after the retry interval: the site came back with a 404, so it is open.
    answer = { kind: 'unavailable', status: 404 };
    down.clock.now += 9_000;
    expect((await down.rules.decide('http://c.test/anything', allowLoopback)).allowed).toBe(false);
    down.clock.now += 2_000;
    expect((await down.rules.decide('http://c.test/anything', allowLoopback)).allowed).toBe(true);
    expect(down.fetches).toHaveLength(2);
    expect(fetches).toHaveLength(1);
    expect(clock.now).toBe(1_000_000);
  });

  it('never refuses robots.txt itself, nor what is not an http(s) page, and fetches nothing when told to ignore', async () => {
    const { rules, fetches } = rulesWith(() => ({ kind: 'found', body: 'User-agent: *\nDisallow: /' }));
    expect((await rules.decide('http://a.test/robots.txt', allowLoopback)).allowed).toBe(true);
    expect((await rules.decide('about:blank', allowLoopback)).allowed).toBe(true);
    expect((await rules.decide('http://a.test/page', allowLoopback)).allowed).toBe(false);
    const ignoring = rulesWith(() => ({ kind: 'found', body: 'User-agent: *\nDisallow: /' }), { respect: false });
    expect((await ignoring.rules.decide('http://a.test/page', allowLoopback)).allowed).toBe(true);
    expect(ignoring.fetches).toEqual([]);
    expect(fetches).toHaveLength(1);
  });

  it("keeps a site's Crawl-delay between its page loads, and refuses a site that asks more than the limit", async () => {
    const rules = new RobotsRules(SETTINGS, async (url) => ({
      kind: 'found',
      body: url.hostname === 'slow.test' ? 'User-agent: *\nCrawl-delay: 0.25' : 'User-agent: *\nCrawl-delay: 60',
    }));
    const started = performance.now();
    const admitted: number[] = [];
    await Promise.all(
      [1, 2, 3].map(async (i) => {
        expect((await rules.admit(`http://slow.test/${i}`, allowLoopback)).allowed).toBe(true);
        admitted.push(performance.now() - started);
      }),
    );
    admitted.sort((a, b) => a - b);
    // Three loads 0.25 s apart: the second no sooner than 0.25 s, the third no sooner than 0.5 s.
    expect(admitted[1]).toBeGreaterThanOrEqual(245);
    expect(admitted[2]).toBeGreaterThanOrEqual(495);
    expect(await rules.admit('http://greedy.test/', allowLoopback)).toEqual({
      allowed: false,
      reason: expect.stringMatching(/asks 60 s between pages, more than WEBTRAIL_ROBOTS_MAX_CRAWL_DELAY_S \(5 s\)/),
    });
  });
});

describe('Retry-After', () => {
  it('reads seconds and HTTP dates (RFC 9110 10.2.3), and nothing else', () => {
    const now = Date.parse('2026-12-08T00:00:00Z');
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs('Tue, 08 Dec 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Mon, 07 Dec 2026 23:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });

  it('holds the next page load of the site that asked, and refuses one that would wait past the limit', async () => {
    const clock = { now: 1_000_000 };
    const rules = new RobotsRules(
      SETTINGS,
      async () => ({ kind: 'unavailable', status: 404 }),
      () => clock.now,
    );
    rules.backOff('http://busy.test/page', 60_000);
    expect(await rules.admit('http://busy.test/other', allowLoopback)).toEqual({
      allowed: false,
      reason: 'rate_limited: busy.test asked to be left alone for 60 s more (Retry-After)',
    });
    // Another site is not held.
    expect((await rules.admit('http://calm.test/', allowLoopback)).allowed).toBe(true);
    clock.now += 60_000;
    expect((await rules.admit('http://busy.test/other', allowLoopback)).allowed).toBe(true);
  });
});
