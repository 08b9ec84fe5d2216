// The browser's only way out. Every connection Chromium makes — HTTP, HTTPS and WebSocket tunnels
// (CONNECT), redirects, subresources, loopback included — goes through a gate of this proxy on
// 127.0.0.1. The proxy resolves the name once, checks every address against the policy, and opens a
// socket to exactly the address it checked: no second lookup, so DNS rebinding has nothing to race. It
// is the only code that opens sockets for the browser. A refusal answers at once (403 with the reason)
// and is reported to the gate's session. Each session gets its own gate (its own port), so a refusal is
// recorded on the trajectory that caused it, and a saved page's gate can refuse everything outside.
import { lookup } from 'node:dns/promises';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect, isIP, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { listedDomain } from '../platform/index.ts';
import {
  addressDecision,
  canonicalHost,
  isLocalhostName,
  schemeDecision,
  type Decision,
  type EgressPolicy,
} from './egressPolicy.ts';

/** Chromium's bypass rule that removes its implicit "loopback goes direct": loopback is proxied too. */
export const PROXY_LOOPBACK_TOO = '<-loopback>';

/** Resolves a name to its addresses (injectable: tests answer without DNS). */
export type Resolver = (host: string) => Promise<string[]>;

export const systemResolver: Resolver = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

export interface GateEvents {
  /** A connection was refused, with the URL (or host:port of a tunnel) and why. */
  refused(url: string, reason: string): void;
  /** A pinned tab's document tried to navigate away (answered 204, so the tab stays). */
  pinViolation?(url: string): void;
}

export interface GateOptions {
  policy: EgressPolicy;
  /** Keep the first document loaded through this gate; later document loads are answered 204. */
  pinFirstDocument?: boolean;
  events: GateEvents;
}

export interface Gate {
  /** The proxy server URL to give Chromium, e.g. http://127.0.0.1:41234 */
  server: string;
  close(): Promise<void>;
}

export type Route = { allowed: true; address: string } | { allowed: false; reason: string };

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function forwardHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

function forwardRawHeaders(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (!HOP_BY_HOP.has(raw[i]!.toLowerCase())) out.push(raw[i]!, raw[i + 1]!);
  return out;
}

/** A header value a refusal reason can travel in: printable ASCII, bounded. */
const headerSafe = (text: string) => text.replace(/[^\x20-\x7e]/g, '?').slice(0, 200);

export function blockedPage(url: string, reason: string): string {
  const esc = (t: string) => t.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><title>Blocked</title><h1>Blocked by webtrail's browser guard</h1><p>${esc(url.slice(0, 200))}: ${esc(reason)}.</p><p>Go back to continue.</p>`;
}

function splitHostPort(authority: string): { host: string; port: string } | null {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(authority) ?? /^([^:]+):(\d+)$/.exec(authority);
  return match ? { host: match[1]!, port: match[2]! } : null;
}

export class EgressProxy {
  // Keep-alive to upstream servers, keyed by the checked address (the only thing it connects to).
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: 60_000 });
  private readonly gates = new Set<Gate>();

  constructor(private readonly resolver: Resolver = systemResolver) {}

  /** Decides where a connection to host:port may go: the one address to use, or why not. */
  async route(policy: EgressPolicy, protocol: string, rawHost: string, port: string): Promise<Route> {
    const scheme = schemeDecision(protocol);
    if (!scheme.allowed) return scheme;
    // Refused before any lookup: a name looked up is a DNS query leaving the cluster.
    if (policy.refuseAll) return { allowed: false, reason: policy.refuseAll };
    const host = canonicalHost(rawHost);
    if (!host) return { allowed: false, reason: `not a valid host: ${rawHost.slice(0, 80)}` };
    const suppressed = policy.denyDomains && listedDomain(host, policy.denyDomains);
    if (suppressed)
      return {
        allowed: false,
        reason: `${suppressed} is on the operator's suppression list (WEBTRAIL_SUPPRESSION_LIST): it asked not to be visited`,
      };
    let addresses: string[];
    if (isIP(host)) addresses = [host];
    else if (isLocalhostName(host)) addresses = ['127.0.0.1'];
    else addresses = await this.resolver(host).catch(() => []);
    const decision = addressDecision(policy, host, port, addresses);
    return decision.allowed ? { allowed: true, address: addresses[0]! } : decision;
  }

  /** The decision for a URL the agent asked for, without connecting (a clear message before a goto). */
  async check(policy: EgressPolicy, rawUrl: string): Promise<Decision> {
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      return { allowed: false, reason: `not a valid URL: ${rawUrl.slice(0, 100)}` };
    }
    if (url.href === 'about:blank') return { allowed: true };
    const port = url.port || (url.protocol === 'https:' || url.protocol === 'wss:' ? '443' : '80');
    const route = await this.route(policy, url.protocol, url.hostname, port);
    return route.allowed ? { allowed: true } : route;
  }

  async openGate(options: GateOptions): Promise<Gate> {
    const sockets = new Set<Duplex>();
    const server = createServer();
    const track = (socket: Duplex) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    };
    server.on('connection', track);
    let pinned: string | undefined;
    server.on(
      'request',
      (req, res) =>
        void this.forward(req, res, options, (url) => {
          if (!options.pinFirstDocument || !isNavigation(req)) return false;
          if (pinned === undefined) pinned = url;
          return url !== pinned;
        }),
    );
    // A browser may reset a connection while its address is being checked: an error on a socket nobody
    // listens to would end the process, so each is listened to from the start.
    const guarded = (socket: Duplex) => socket.on('error', () => socket.destroy());
    server.on(
      'connect',
      (req: IncomingMessage, socket: Duplex, head: Buffer) =>
        void this.tunnel(req, guarded(socket), head, options, track),
    );
    server.on('upgrade', (req: IncomingMessage, socket: Duplex) => this.upgrade(req, guarded(socket), options));
    server.on('clientError', (_error, socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const gate: Gate = {
      server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => closeServer(server, sockets).finally(() => this.gates.delete(gate)),
    };
    this.gates.add(gate);
    return gate;
  }

  private async forward(
    req: IncomingMessage,
    res: ServerResponse,
    options: GateOptions,
    leavesPin: (url: string) => boolean,
  ): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('a proxy request needs an absolute URL');
      return;
    }
    if (leavesPin(url.href)) {
      options.events.pinViolation?.(url.href);
      res.writeHead(204).end();
      return;
    }
    // Only http: travels as a plain proxy request; https: and WebSockets come as CONNECT.
    if (url.protocol !== 'http:')
      return this.refuseRequest(res, url.href, `${url.protocol} cannot be proxied as plain HTTP`, options);
    const route = await this.route(options.policy, url.protocol, url.hostname, url.port || '80');
    if (!route.allowed) return this.refuseRequest(res, url.href, route.reason, options);
    const upstream = httpRequest({
      host: route.address,
      port: Number(url.port || 80),
      method: req.method,
      path: `${url.pathname}${url.search}`,
      headers: forwardHeaders(req.headers),
      agent: this.agent,
      setHost: false,
    });
    upstream.on('response', (reply) => {
      res.writeHead(reply.statusCode ?? 502, reply.statusMessage, forwardRawHeaders(reply.rawHeaders));
      reply.pipe(res);
      reply.on('error', () => res.destroy());
    });
    upstream.on('error', (error) => {
      if (res.headersSent) res.destroy();
      else
        res
          .writeHead(502, { 'content-type': 'text/plain' })
          .end(
            `webtrail egress proxy: ${url.host} did not answer (${(error as NodeJS.ErrnoException).code ?? error.message})`,
          );
    });
    res.on('close', () => upstream.destroy());
    req.on('error', () => upstream.destroy());
    req.pipe(upstream);
  }

  private refuseRequest(res: ServerResponse, url: string, reason: string, options: GateOptions): void {
    options.events.refused(url, reason);
    res
      .writeHead(403, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'x-webtrail-guard': headerSafe(reason),
      })
      .end(blockedPage(url, reason));
  }

  /** CONNECT host:port — HTTPS, and WebSockets (Chromium tunnels ws: and wss: through a proxy). */
  private async tunnel(
    req: IncomingMessage,
    client: Duplex,
    head: Buffer,
    options: GateOptions,
    track: (s: Duplex) => void,
  ): Promise<void> {
    const target = splitHostPort(req.url ?? '');
    const shown = `https://${req.url ?? ''}`;
    const route = target
      ? await this.route(options.policy, 'https:', target.host, target.port)
      : { allowed: false as const, reason: 'CONNECT needs host:port' };
    if (!route.allowed) {
      options.events.refused(shown, route.reason);
      client.end(
        `HTTP/1.1 403 Forbidden\r\nX-Webtrail-Guard: ${headerSafe(route.reason)}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
      );
      return;
    }
    this.splice(
      client,
      head,
      route.address,
      Number(target!.port),
      'HTTP/1.1 200 Connection Established\r\n\r\n',
      track,
    );
  }

  /** Chromium sends WebSockets as CONNECT; an Upgrade sent as a plain proxy request is refused, not tunnelled. */
  private upgrade(req: IncomingMessage, client: Duplex, options: GateOptions): void {
    const reason = 'a WebSocket through this proxy must use CONNECT';
    options.events.refused(req.url ?? '', reason);
    client.end(
      `HTTP/1.1 403 Forbidden\r\nX-Webtrail-Guard: ${reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
    );
  }

  private splice(
    client: Duplex,
    head: Buffer,
    address: string,
    port: number,
    greeting: string,
    track: (s: Duplex) => void,
  ): void {
    const upstream: Socket = connect({ host: address, port });
    track(upstream);
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      client.write(greeting);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => {
      if (!connected) client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      else client.destroy();
    });
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  async close(): Promise<void> {
    await Promise.all([...this.gates].map((g) => g.close()));
    this.agent.destroy();
  }
}

function closeServer(server: Server, sockets: Set<Duplex>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * A request that would load a document. Chromium sends Sec-Fetch-Dest only to trustworthy origins
 * (https, localhost), so a plain-http navigation is known by what every navigation carries instead:
 * Upgrade-Insecure-Requests and an Accept that asks for HTML first.
 */
export function isNavigation(req: Pick<IncomingMessage, 'headers'>): boolean {
  const dest = req.headers['sec-fetch-dest'];
  if (dest !== undefined) return dest === 'document';
  return req.headers['upgrade-insecure-requests'] === '1' && /^text\/html/.test(req.headers.accept ?? '');
}
