// A polite visitor in real Chromium on the sandbox web: it says who it is, reads robots.txt and never
// loads a page it disallows (the site itself counts what reaches it), and never connects to a site on the
// operator's suppression list. The sandbox library's robots.txt closes /staff/ and asks 0.2 s between pages.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserPool } from '../browser/browserPool.ts';
import { startSandbox, type Sandbox } from '../sandbox/server.ts';
import { findTarget } from '../sandbox/planMatcher.ts';
import { testPool } from './helpers/browser.ts';

const CONTACT = 'https://example.org/webtrail-bot';
let sandbox: Sandbox;
let pool: BrowserPool;
let ignoringPool: BrowserPool;
let suppressingPool: BrowserPool;
const servers: Server[] = [];
let slowUrl = '';
const slowArrivals: number[] = [];
let busyUrl = '';
const busyArrivals: number[] = [];

/** A site on loopback with its own robots.txt, recording when each of its pages was asked for. */
async function site(
  robots: [number, string],
  arrivals: number[],
  page: (res: ServerResponse, nth: number) => void,
): Promise<string> {
  const server = createServer((req, res) => {
    if (req.url === '/robots.txt') return void res.writeHead(robots[0]).end(robots[1]);
    arrivals.push(performance.now());
    page(res, arrivals.length);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  // A site that asks a whole second between pages.
  slowUrl = await site([200, 'User-agent: *\nCrawl-delay: 1\n'], slowArrivals, (res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end('<title>Slow</title><h1>A page</h1>'),
  );
  // A site that answers its first page load with 429 and Retry-After: 2.
  busyUrl = await site([404, ''], busyArrivals, (res, nth) =>
    nth === 1
      ? res.writeHead(429, { 'retry-after': '2', 'content-type': 'text/html' }).end('<h1>Slow down</h1>')
      : res.writeHead(200, { 'content-type': 'text/html' }).end('<title>Busy</title><h1>Served</h1>'),
  );
  const dir = mkdtempSync(path.join(tmpdir(), 'webtrail-suppression-'));
  const list = path.join(dir, 'opted-out.txt');
  writeFileSync(list, '# sites that asked not to be visited\nlibrary.localhost\n');
  pool = testPool(`${sandbox.allowHost},${new URL(slowUrl).host},${new URL(busyUrl).host}`, {
    WEBTRAIL_USER_AGENT_CONTACT: CONTACT,
  });
  ignoringPool = testPool(sandbox.allowHost, { WEBTRAIL_ROBOTS: 'ignore', WEBTRAIL_CONSENT: 'leave' });
  suppressingPool = testPool(sandbox.allowHost, { WEBTRAIL_SUPPRESSION_LIST: list });
});
afterAll(async () => {
  await Promise.all([pool?.close(), ignoringPool?.close(), suppressingPool?.close()]);
  await sandbox?.close();
  for (const server of servers) await new Promise<void>((resolve) => server.close(() => resolve()));
});

const disallowed = () => sandbox.state.robots.disallowedRequests.map((r) => r.url);

describe('a polite visitor', () => {
  it("names itself after Chromium's own user agent, to the pages and to robots.txt", async () => {
    const session = await pool.newSession();
    try {
      expect((await session.goto(sandbox.siteUrl('shop'))).ok).toBe(true);
    } finally {
      await session.close();
    }
    const agents = [...sandbox.state.robots.userAgents];
    // What the site received: Chromium's own user agent with webtrail's token, version and contact after it.
    expect(agents).toContainEqual(
      expect.stringMatching(
        new RegExp(`Chrome/[\\d.]+ .*webtrail/0\\.1\\.0 \\(\\+${CONTACT.replace(/[./]/g, '\\$&')}\\)$`),
      ),
    );
    // The robots.txt request names webtrail alone (no browser made it).
    expect(agents).toContain(`webtrail/0.1.0 (+${CONTACT})`);
  });

  it('never loads a page robots.txt disallows: neither by a click nor by going there, and tells the agent why', async () => {
    const fetchesBefore = sandbox.state.robots.fetches;
    const session = await pool.newSession();
    try {
      expect((await session.goto(sandbox.siteUrl('library'))).ok).toBe(true);
      const home = await session.observe();
      const staff = findTarget(home.text, { kind: 'click', role: 'link', target: 'Staff' });
      expect(staff, home.text).toBeDefined();
      await session.act({ kind: 'click', elementId: staff!.id, value: null, submit: false });
      const shown = await session.observe();
      expect(shown.text).toMatch(/Blocked by webtrail's browser guard/);
      expect(shown.text).toMatch(/robots\.txt of library\.localhost:\d+ disallows \/staff\/ for webtrail/);
      expect(shown.text).not.toContain('Head librarian');

      const direct = await session.goto(new URL('/staff/', sandbox.siteUrl('library')).toString());
      expect(direct.ok).toBe(false);
      expect(direct.error).toMatch(/^blocked: robots\.txt of library\.localhost:\d+ disallows \/staff\//);
      expect(
        session.guardEvents.filter((e) => e.kind === 'robots_disallowed').map((e) => new URL(e.url).pathname),
      ).toEqual(['/staff/', '/staff/']);
      expect(session.robotsPolicy).toBe('rfc9309 for webtrail');
    } finally {
      await session.close();
    }
    // The site saw its robots.txt asked for once (this process caches it) and no request for /staff/.
    expect(sandbox.state.robots.fetches - fetchesBefore).toBe(1);
    expect(disallowed()).toEqual([]);
  });

  it("keeps a site's Crawl-delay between its page loads, as the site measures them", async () => {
    const session = await pool.newSession();
    try {
      for (const page of ['/a', '/b', '/c']) expect((await session.goto(`${slowUrl}${page}`)).ok).toBe(true);
    } finally {
      await session.close();
    }
    expect(slowArrivals).toHaveLength(3);
    // Crawl-delay: 1 — the site saw each page at least a second after the one before (the page itself loads in ms).
    expect(slowArrivals[1]! - slowArrivals[0]!).toBeGreaterThanOrEqual(990);
    expect(slowArrivals[2]! - slowArrivals[1]!).toBeGreaterThanOrEqual(990);
  });

  it('waits out a 429 with Retry-After before the next page of that site, in every session of the process', async () => {
    const first = await pool.newSession();
    try {
      await first.goto(`${busyUrl}/a`);
    } finally {
      await first.close();
    }
    const second = await pool.newSession();
    try {
      expect((await second.goto(`${busyUrl}/b`)).ok).toBe(true);
      expect((await second.observe()).text).toContain('Served');
    } finally {
      await second.close();
    }
    expect(busyArrivals).toHaveLength(2);
    // Retry-After: 2 — the site saw the next page load at least two seconds after the 429.
    expect(busyArrivals[1]! - busyArrivals[0]!).toBeGreaterThanOrEqual(1990);
  });

  it('loads the disallowed page when the operator switches robots.txt off for the run (the site counts it)', async () => {
    const session = await ignoringPool.newSession();
    try {
      const staff = await session.goto(new URL('/staff/', sandbox.siteUrl('library')).toString());
      expect(staff.ok).toBe(true);
      expect((await session.observe()).text).toContain('Head librarian: Margaret Okafor');
      expect(session.robotsPolicy).toBe('ignored (WEBTRAIL_ROBOTS=ignore)');
    } finally {
      await session.close();
    }
    expect(disallowed()).toEqual([expect.stringMatching(/^library\.localhost\/staff\/$/)]);
    sandbox.state.robots.disallowedRequests.length = 0;
  });

  it('connects to no site on the suppression list, and to the others as before', async () => {
    const fetchesBefore = sandbox.state.robots.fetches;
    const session = await suppressingPool.newSession();
    try {
      const refused = await session.goto(sandbox.siteUrl('library'));
      expect(refused.ok).toBe(false);
      expect(refused.error).toMatch(
        /library\.localhost is on the operator's suppression list \(WEBTRAIL_SUPPRESSION_LIST\)/,
      );
      // A subdomain of a listed domain is listed too.
      const mirror = await session.goto(sandbox.siteUrl('library').replace('library.', 'www.library.'));
      expect(mirror.ok).toBe(false);
      expect((await session.goto(sandbox.siteUrl('shop'))).ok).toBe(true);
    } finally {
      await session.close();
    }
    // Not even its robots.txt was asked for.
    expect(sandbox.state.robots.fetches).toBe(fetchesBefore);
  });

  it("opts out of a consent manager's popup (never accepts), and tells a wall that stays from a page", async () => {
    const deals = new URL('/deals', sandbox.siteUrl('shop')).toString();
    const session = await pool.newSession();
    try {
      expect((await session.goto(deals)).ok).toBe(true);
      // Complianz's banner, answered by autoconsent's own rule for it: the page is there to be read.
      expect(await session.obstacle()).toBeNull();
      expect(session.guardEvents.filter((e) => e.kind === 'consent_opted_out').map((e) => e.detail)).toEqual([
        expect.stringMatching(/^opted out of the Complianz banner consent popup \(autoconsent \d+\.\d+\.\d+\)$/),
      ]);
      expect((await session.observe()).text).toMatch(/Wednesday: Enamel Kettle/);
      // What the site recorded of this visitor's choice: refused (its cookie says so on the next page too).
      await expect.poll(() => [...sandbox.state.consentChoices.values()]).toEqual(['deny']);
      // A consent-or-pay wall no rule answers: the page cannot be done.
      expect((await session.goto(new URL('/club', sandbox.siteUrl('shop')).toString())).ok).toBe(true);
      expect(await session.obstacle()).toMatchObject({ reason: 'consent', detail: /^a consent wall covers the page/ });
    } finally {
      await session.close();
    }
    // With consent popups left alone for the run, the banner's wall stays and says so.
    const leaving = await ignoringPool.newSession();
    try {
      expect((await leaving.goto(deals)).ok).toBe(true);
      expect(await leaving.obstacle()).toMatchObject({ reason: 'consent' });
    } finally {
      await leaving.close();
    }
    expect([...sandbox.state.consentChoices.values()]).toEqual(['deny']);
  });
});
