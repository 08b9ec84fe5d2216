// The browser guard at the network layer, in real Chromium: every road a hostile page can take towards a
// forbidden address, and a server on that address counting what reaches it, which must count zero. The
// forbidden address is 127.0.0.2 — loopback, which the policy forbids by default (and, for the tests
// that need the rest of loopback open, through the deny list); nothing here leaves this machine.
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findTarget } from '../sandbox/planMatcher.ts';
import type { BrowserPool } from '../browser/browserPool.ts';
import type { BrowserSession } from '../browser/browserSession.ts';
import type { Action, ActionResult } from '../schemas/types.ts';
import { sandboxSuite, testPool } from './helpers/browser.ts';
import { ROOT } from './helpers/processes.ts';

const FORBIDDEN = '127.0.0.2';
let tcpHits = 0;
let udpHits = 0;
let forbiddenServer: Server;
let stun: UdpSocket;
let forbiddenPort = 0;
let stunPort = 0;
let origin: Server;
let originUrl = '';
let strictPool: BrowserPool; // the default policy: loopback forbidden, the test origin allowed by name
let intranetPool: BrowserPool; // private networks allowed, 127.0.0.2 denied: for names and rebinding
let resolverCalls: Record<string, number> = {};

const act = (kind: Action['kind'], elementId: number | null = null, value: string | null = null): Action => ({
  kind,
  elementId,
  value,
  submit: false,
});

function pages(): Record<string, string> {
  const bad = `http://${FORBIDDEN}:${forbiddenPort}`;
  const wait = '<script>setTimeout(() => { document.title = "done" }, 300)</script>';
  return {
    '/redirect': '',
    '/image': `<h1>Image</h1><img src="/redirect" alt="x">${wait}`,
    '/fetch': `<h1>Fetch</h1><script>fetch('/redirect').catch(() => {}); fetch('${bad}/direct', { mode: 'no-cors' }).catch(() => {});</script>${wait}`,
    '/iframe': `<h1>Frame</h1><iframe src="/redirect"></iframe>${wait}`,
    '/meta': `<meta http-equiv="refresh" content="0; url=${bad}/meta"><h1>Meta</h1>`,
    '/form': `<h1>Form</h1><form id="f" method="post" action="${bad}/form"><input name="q" value="1"></form><script>document.getElementById('f').submit()</script>`,
    '/location': `<h1>Location</h1><script>location.href = '${bad}/location'</script>`,
    '/websocket': `<h1>Sockets</h1><script>for (const u of ['ws://${FORBIDDEN}:${forbiddenPort}/ws', 'wss://${FORBIDDEN}:${forbiddenPort}/wss']) { try { new WebSocket(u) } catch (e) {} }</script>${wait}`,
    '/webrtc': `<h1>WebRTC</h1><script>
      (async () => {
        const pc = new RTCPeerConnection({ iceServers: [{ urls: 'stun:${FORBIDDEN}:${stunPort}' }, { urls: 'turn:${FORBIDDEN}:${stunPort}?transport=udp', username: 'u', credential: 'c' }] });
        pc.createDataChannel('x');
        await pc.setLocalDescription(await pc.createOffer());
        pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') document.title = 'gathered'; };
      })();
    </script>`,
    '/leave': `<h1>Leave</h1><script>top.location.href = 'http://elsewhere.test:${forbiddenPort}/away'</script>`,
    '/link': `<h1>Links</h1><a href="${bad}/clicked">Forbidden page</a> <a href="/image">Fine page</a>`,
    '/names': `<h1>Names</h1><img src="http://evil.test:${forbiddenPort}/evil" alt="e"><img src="http://nowhere.test:${forbiddenPort}/x" alt="n">${wait}`,
    '/rebind': `<h1>Rebind</h1>${[1, 2, 3, 4, 5, 6].map((i) => `<img src="http://rebind.test:${forbiddenPort}/r${i}" alt="r">`).join('')}${wait}`,
  };
}

beforeAll(async () => {
  forbiddenServer = createServer((_req, res) => res.end('forbidden content: if you read this, the guard leaked'));
  forbiddenServer.on('connection', () => (tcpHits += 1));
  await new Promise<void>((resolve) => forbiddenServer.listen(0, FORBIDDEN, resolve));
  forbiddenPort = (forbiddenServer.address() as AddressInfo).port;
  stun = createSocket('udp4');
  stun.on('message', () => (udpHits += 1));
  await new Promise<void>((resolve) => stun.bind(0, FORBIDDEN, resolve));
  stunPort = stun.address().port;

  origin = createServer((req, res) => {
    if (req.url === '/redirect')
      return void res.writeHead(302, { location: `http://${FORBIDDEN}:${forbiddenPort}/redirected` }).end();
    const html = pages()[req.url ?? ''];
    if (html === undefined) return void res.writeHead(404).end('no such page');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><title>t</title>${html}`);
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  const originPort = (origin.address() as AddressInfo).port;
  originUrl = `http://127.0.0.1:${originPort}`;

  // Names are answered here, never by DNS: evil.test is the forbidden address, nowhere.test does not
  // resolve, rebind.test answers the allowed address and the forbidden one in turn.
  const resolver = async (host: string): Promise<string[]> => {
    resolverCalls[host] = (resolverCalls[host] ?? 0) + 1;
    if (host === 'evil.test') return [FORBIDDEN];
    if (host === 'good.test') return ['127.0.0.1'];
    if (host === 'rebind.test') return [resolverCalls[host] % 2 === 1 ? '127.0.0.1' : FORBIDDEN];
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  };
  const fast = { WEBTRAIL_BROWSER_NAVIGATION_TIMEOUT_MS: '4000', WEBTRAIL_BROWSER_ACTION_TIMEOUT_MS: '4000' };
  strictPool = testPool(`127.0.0.1:${originPort}`, fast, { resolver });
  intranetPool = testPool(
    '',
    { ...fast, WEBTRAIL_BROWSER_ALLOW_PRIVATE: 'true', WEBTRAIL_BROWSER_DENY_ADDRESSES: `${FORBIDDEN}` },
    { resolver },
  );
});

afterAll(async () => {
  await strictPool?.close();
  await intranetPool?.close();
  await new Promise((r) => origin?.close(r));
  await new Promise((r) => forbiddenServer?.close(r));
  stun?.close();
});

afterEach(() => {
  resolverCalls = {};
});

async function visit(
  pool: BrowserPool,
  path: string,
  during?: (s: BrowserSession) => Promise<void>,
): Promise<BrowserSession> {
  const session = await pool.newSession();
  try {
    await session.goto(`${originUrl}${path}`);
    await during?.(session);
    // Let whatever the page started run out (timers, redirects, ICE gathering).
    await session.page().then((p) => p.waitForTimeout(700));
  } finally {
    await session.close();
  }
  return session;
}

const refusedUrls = (s: BrowserSession) =>
  s.guardEvents.filter((e) => e.kind === 'request_blocked').map((e) => `${e.url} — ${e.detail}`);

describe.each([
  ['the default policy (loopback forbidden)', () => strictPool, /127\.0\.0\.2 is loopback/],
  ['a deny list (127.0.0.2 denied, private networks allowed)', () => intranetPool, /127\.0\.0\.2 is in the deny list/],
])('no connection reaches the forbidden address under %s', (_name, pool, reason) => {
  const roads: Array<[string, string, RegExp]> = [
    ['a 302 of the document', '/redirect', /\/redirected/],
    ['a 302 of an image', '/image', /\/redirected/],
    ['a 302 of a fetch, and a direct fetch', '/fetch', /\/direct/],
    ['a 302 of an iframe', '/iframe', /\/redirected/],
    ['a meta refresh', '/meta', /\/meta/],
    ['an auto-submitted form', '/form', /\/form/],
    ['a script location change', '/location', /\/location/],
    ['a WebSocket (ws and wss)', '/websocket', /https:\/\/127\.0\.0\.2:\d+/],
  ];
  it.each(roads)('%s', async (_road, path, url) => {
    const before = tcpHits;
    const session = await visit(pool(), path);
    expect(tcpHits - before).toBe(0);
    const refused = refusedUrls(session);
    expect(
      refused.some((r) => url.test(r) && reason.test(r)),
      refused.join('\n'),
    ).toBe(true);
  });

  it('a WebRTC STUN and TURN request over UDP', async () => {
    const before = udpHits;
    await visit(pool(), '/webrtc');
    expect(udpHits - before).toBe(0);
  });

  it('a click on a forbidden link (no preconnect on pointer-down), which shows the reason', async () => {
    const before = tcpHits;
    const session = await visit(pool(), '/link', async (s) => {
      const link = findTarget((await s.observe()).text, { kind: 'click', target: 'Forbidden page', role: 'link' });
      const result = await s.act(act('click', link!.id));
      expect(result.url).toContain('/clicked');
      expect((await s.observe()).text).toContain("Blocked by webtrail's browser guard");
    });
    expect(tcpHits - before).toBe(0);
    expect(refusedUrls(session).some((r) => r.includes('/clicked'))).toBe(true);
  });

  it('a goto the agent asks for, refused with the reason before anything is fetched', async () => {
    const before = tcpHits;
    const session = await visit(pool(), '/link', async (s) => {
      const result = await s.act(act('goto', null, `http://${FORBIDDEN}:${forbiddenPort}/goto`));
      expect(result.ok).toBe(false);
      expect(result.error).toMatch(reason);
    });
    expect(tcpHits - before).toBe(0);
    expect(refusedUrls(session).some((r) => r.includes('/goto'))).toBe(true);
  });
});

describe('a saved page pinned to itself (eval:pages, webtrail observe)', () => {
  // Chromium sends Sec-Fetch-Dest only to trustworthy origins: a script sending the tab to a plain-http
  // address must be known as a navigation by what it carries instead, or the tab leaves the page.
  it('stays on the page when its script sends the tab to a plain-http address, and counts the attempt', async () => {
    const before = tcpHits;
    const session = await strictPool.newSession({ pinFirstPage: true, blockOutside: true });
    try {
      // A name, not a loopback literal: Chromium counts all of 127.0.0.0/8 as trustworthy.
      await session.goto(`${originUrl}/leave`);
      await session.page().then((p) => p.waitForTimeout(700));
      expect(session.pinViolations).toBeGreaterThan(0);
      expect((await session.page()).url()).toBe(`${originUrl}/leave`);
      expect((await session.observe()).text).toContain('# Leave');
      // Refused as a navigation away, before any lookup of the name.
      expect(resolverCalls['elsewhere.test']).toBeUndefined();
    } finally {
      await session.close();
    }
    expect(tcpHits - before).toBe(0);
  });
});

describe('names are resolved once, by the proxy, and checked', () => {
  it('refuses a name that resolves to the forbidden address, and one that does not resolve', async () => {
    const before = tcpHits;
    const session = await visit(intranetPool, '/names');
    expect(tcpHits - before).toBe(0);
    const refused = refusedUrls(session);
    expect(refused).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^http:\/\/evil\.test:\d+\/evil — address 127\.0\.0\.2 is in the deny list/),
        expect.stringMatching(/^http:\/\/nowhere\.test:\d+\/x — host nowhere\.test does not resolve/),
      ]),
    );
    expect(resolverCalls['evil.test']).toBeGreaterThan(0);
  });

  it("loads a page through a name only the proxy's resolver knows: it connects to the address it checked", async () => {
    const session = await intranetPool.newSession();
    try {
      const result = await session.goto(`http://good.test:${new URL(originUrl).port}/link`);
      expect(result.ok).toBe(true);
      expect((await session.observe()).text).toContain('Forbidden page');
      expect(resolverCalls['good.test']).toBeGreaterThanOrEqual(2);
    } finally {
      await session.close();
    }
  });

  it('refuses by the default rules a name that resolves to loopback', async () => {
    const session = await visit(strictPool, '/names');
    expect(refusedUrls(session)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/evil\.test:\d+\/evil — host evil\.test resolves to 127\.0\.0\.2 is loopback/),
      ]),
    );
  });

  it('connects to exactly the address it checked when a name changes its answer between lookups', async () => {
    const before = tcpHits;
    const session = await visit(intranetPool, '/rebind');
    expect(tcpHits - before).toBe(0);
    // Six connections, each resolved once: the answers alternated, so half were refused.
    expect(resolverCalls['rebind.test']).toBeGreaterThanOrEqual(6);
    expect(refusedUrls(session).filter((r) => r.includes('rebind.test')).length).toBeGreaterThanOrEqual(3);
  });

  it('a goto checked first and then rebound at connection time is still refused', async () => {
    const before = tcpHits;
    const session = await intranetPool.newSession();
    try {
      // The agent's goto asks the proxy (answer 1: allowed); the connection resolves again (answer 2).
      const result = await session.goto(`http://rebind.test:${forbiddenPort}/page`);
      expect(resolverCalls['rebind.test']).toBeGreaterThanOrEqual(2);
      expect((await session.observe()).text).toContain("Blocked by webtrail's browser guard");
      expect(result.url).toContain('rebind.test');
    } finally {
      await session.close();
    }
    expect(tcpHits - before).toBe(0);
  });
});

describe('what the agent acts on', () => {
  const suite = sandboxSuite();

  /** Opens a hostile page, clicks the button the agent was shown by that name; the result and the title after. */
  async function clickShown(path: string, name: string): Promise<{ id: number; result: ActionResult; title: string }> {
    const session = await suite.pool.newSession();
    try {
      await session.goto(new URL(path, suite.sandbox.siteUrl('hostile')).toString());
      const shown = findTarget((await session.observe()).text, { kind: 'click', target: name, role: 'button' })!;
      const result = await session.act(act('click', shown.id));
      return { id: shown.id, result, title: await (await session.page()).evaluate(() => document.title) };
    } finally {
      await session.close();
    }
  }

  it('a page that copies the marked element fails the action instead of clicking the copy', async () => {
    const { id, result, title } = await clickShown('/duplicate-ids', 'Pay the real invoice');
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(new RegExp(`element \\[${id}\\] is ambiguous: the page duplicated it`));
    expect(title).toBe('Invoices');
  });

  it("ids a page planted in its HTML mean nothing: the agent's [N] is the element it was shown", async () => {
    const { result, title } = await clickShown('/planted-ids', 'Download report');
    expect(result.ok).toBe(true);
    expect(title).toBe('clicked: report');
  });

  it("the sandbox control endpoints cannot be reached from the agent's browser", async () => {
    const session = await suite.pool.newSession();
    try {
      await session.goto(new URL('/', suite.sandbox.siteUrl('shop')).toString());
      const control = await session.act(act('goto', null, `${suite.sandbox.controlUrl}/__sandbox/state`));
      expect(control.ok).toBe(false);
      expect(control.error).toMatch(/^blocked: address 127\.0\.0\.1 is loopback/);
      const viaSite = await session.goto(new URL('/__sandbox/state', suite.sandbox.siteUrl('shop')).toString());
      expect(viaSite.ok).toBe(true);
      const text = (await session.observe()).text;
      expect(text).not.toContain('"tasks"');
      expect(text).toContain('Page not found');
      const fetched = await (
        await session.page()
      ).evaluate(
        async (url) =>
          fetch(url, { method: 'POST', body: '{}' }).then(
            (r) => r.status,
            () => 'refused',
          ),
        `${suite.sandbox.controlUrl}/__sandbox/check`,
      );
      expect(fetched).not.toBe(200);
      // The control port does answer, for the harness.
      expect((await fetch(`${suite.sandbox.controlUrl}/__sandbox/state`)).status).toBe(200);
    } finally {
      await session.close();
    }
  });
});

describe('WebRTC cannot send UDP around the proxy', () => {
  // Its own namespace: loopback and a veth pair kept inside it, so WebRTC has a network to try (see the probe).
  const probe = (control: boolean): { udpHits: number } => {
    const script =
      'ip link set lo up && ip link add wt-probe type veth peer name wt-probe-peer && ip addr add 198.18.0.1/32 dev wt-probe && ip link set wt-probe up && ip link set wt-probe-peer up && exec "$@"';
    const result = spawnSync(
      'unshare',
      [
        '-rn',
        '--',
        'sh',
        '-c',
        script,
        'sh',
        process.execPath,
        '--import',
        'tsx',
        'test/fixtures/webrtcProbe.ts',
        ...(control ? ['--control'] : []),
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
    );
    if (result.status !== 0) throw new Error(`probe failed (${result.status}): ${result.stderr.slice(-2000)}`);
    return JSON.parse(result.stdout.trim().split('\n').pop()!) as { udpHits: number };
  };
  const canUnshare = spawnSync('unshare', ['-rn', 'true']).status === 0;

  it.runIf(canUnshare || process.env.CI === 'true')(
    "sends none with the pool's flags, while the same page without them does",
    () => {
      expect(probe(true).udpHits, 'the probe must see a leak when the WebRTC guard is off').toBeGreaterThan(0);
      expect(probe(false).udpHits).toBe(0);
    },
  );
});
