// The egress proxy spoken to directly over loopback, for the answers Chromium's own traffic does not
// exercise: a closed upstream, a plain-HTTP WebSocket upgrade, an https: URL sent as a plain request.
import { connect, createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EgressProxy, type Gate } from './egressProxy.ts';

let proxy: EgressProxy;
let gate: Gate;
let lookups = 0;
const refused: string[] = [];

/** Sends raw bytes to the gate and returns the first line of its answer. */
function ask(raw: string, through: Gate = gate): Promise<string> {
  const port = Number(new URL(through.server).port);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(raw));
    let reply = '';
    socket.on('data', (d) => {
      reply += d.toString('latin1');
      if (reply.includes('\r\n')) {
        socket.destroy();
        resolve(reply.split('\r\n')[0]!);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(reply.split('\r\n')[0] ?? ''));
  });
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

beforeAll(async () => {
  proxy = new EgressProxy(async (name) => {
    lookups += 1;
    // A slow name server: the browser can give up on the connection while its address is being checked.
    if (name === 'slow.test') await new Promise((r) => setTimeout(r, 300));
    return ['127.0.0.1'];
  });
  gate = await proxy.openGate({
    policy: { allowHosts: [], allowPrivateNetwork: true, denyAddresses: ['127.0.0.2'] },
    events: { refused: (url, reason) => refused.push(`${url} — ${reason}`) },
  });
});
afterAll(async () => {
  await proxy.close();
});

describe('egress proxy answers', () => {
  it('refuses a CONNECT to a forbidden address with the reason', async () => {
    expect(await ask('CONNECT 127.0.0.2:443 HTTP/1.1\r\nHost: 127.0.0.2:443\r\n\r\n')).toBe('HTTP/1.1 403 Forbidden');
    expect(refused.at(-1)).toBe('https://127.0.0.2:443 — address 127.0.0.2 is in the deny list');
  });

  it('answers 502 when an allowed upstream does not accept the connection', async () => {
    const port = await closedPort();
    expect(await ask(`CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`)).toBe(
      'HTTP/1.1 502 Bad Gateway',
    );
  });

  it('refuses a WebSocket upgrade sent as a plain request instead of tunnelling it', async () => {
    const reply = await ask(
      'GET http://127.0.0.1:9/ws HTTP/1.1\r\nHost: 127.0.0.1:9\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    expect(reply).toBe('HTTP/1.1 403 Forbidden');
    expect(refused.at(-1)).toBe('http://127.0.0.1:9/ws — a WebSocket through this proxy must use CONNECT');
  });

  it('refuses an https: URL sent as a plain request without resolving its name', async () => {
    const before = lookups;
    expect(await ask('GET https://somewhere.test/ HTTP/1.1\r\nHost: somewhere.test\r\n\r\n')).toBe(
      'HTTP/1.1 403 Forbidden',
    );
    expect(lookups).toBe(before);
    expect(refused.at(-1)).toBe('https://somewhere.test/ — https: cannot be proxied as plain HTTP');
  });

  it('outlives a browser that resets its connection while the address is being checked', async () => {
    const port = Number(new URL(gate.server).port);
    const socket = connect({ host: '127.0.0.1', port }, () =>
      socket.write('CONNECT slow.test:443 HTTP/1.1\r\nHost: slow.test:443\r\n\r\n'),
    );
    socket.on('error', () => undefined);
    await new Promise((r) => setTimeout(r, 60));
    socket.resetAndDestroy();
    await new Promise((r) => setTimeout(r, 500));
    // Still here, and still answering.
    expect(await ask('CONNECT 127.0.0.2:443 HTTP/1.1\r\nHost: 127.0.0.2:443\r\n\r\n')).toBe('HTTP/1.1 403 Forbidden');
  });
});

describe('what the proxy refuses before it looks anything up', () => {
  it("refuses the browser's own requests (no task's) without resolving their names", async () => {
    const own = await proxy.openGate({
      policy: { allowHosts: [], allowPrivateNetwork: true, denyAddresses: [], refuseAll: 'belongs to no task' },
      events: { refused: (url, reason) => refused.push(`${url} — ${reason}`) },
    });
    try {
      const before = lookups;
      expect(
        await ask('CONNECT update.googleapis.com:443 HTTP/1.1\r\nHost: update.googleapis.com:443\r\n\r\n', own),
      ).toBe('HTTP/1.1 403 Forbidden');
      expect(refused.at(-1)).toBe('https://update.googleapis.com:443 — belongs to no task');
      expect(await ask('GET http://clients2.google.com/time HTTP/1.1\r\nHost: clients2.google.com\r\n\r\n', own)).toBe(
        'HTTP/1.1 403 Forbidden',
      );
      expect(lookups).toBe(before);
    } finally {
      await own.close();
    }
  });

  // The gate runs in intranet mode with 127.0.0.2 denied: each IPv6 spelling that embeds it is refused
  // (the mapped one would otherwise connect to 127.0.0.2 itself).
  it.each([
    ['IPv4-mapped', '::ffff:127.0.0.2'],
    ['IPv4-compatible', '::7f00:2'],
    ['NAT64', '64:ff9b::7f00:2'],
    ['6to4', '2002:7f00:2::1'],
    ['Teredo', '2001:0:7f00:2::1'],
  ])('refuses the %s spelling of a denied address in intranet mode', async (_form, address) => {
    expect(await ask(`CONNECT [${address}]:443 HTTP/1.1\r\nHost: [${address}]:443\r\n\r\n`)).toBe(
      'HTTP/1.1 403 Forbidden',
    );
    expect(refused.at(-1)).toMatch(/127\.0\.0\.2.* in the deny list$/);
  });
});
