// Serves the sandbox web: every site on its own host, <site>.localhost:<port> (loopback, RFC 6761).
// The control endpoints (/__sandbox/*: the tasks, the state, the programmatic checks) answer on a port
// of their own, which the browser guard's allow list never names, so the agent's browser cannot read
// the answers or the checks; on the sites' port they do not exist.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SandboxState } from './state.ts';
import { SITES, findTask, siteForHost } from './sites/index.ts';
import { robotsTxtOf, type Reply, type SandboxRequest } from './types.ts';

export interface Sandbox {
  port: number;
  /** Where the control endpoints answer, e.g. http://127.0.0.1:8701 (never reachable from the agent's browser). */
  controlUrl: string;
  state: SandboxState;
  /** Base URL of a site, e.g. http://shop.localhost:8700/ */
  siteUrl(site: string): string;
  /** Host pattern to allow in the browser guard. */
  allowHost: string;
  /** Whether a task's own check calls it solved (what POST /__sandbox/check answers); undefined for an unknown task. */
  check(evidence: {
    taskId?: string;
    instruction?: string;
    finalAnswer: string | null;
    finalUrl: string;
  }): boolean | undefined;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1_000_000) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, reply: Reply, headers: Record<string, string>): void {
  if ('custom' in reply) return reply.custom(res);
  if ('redirect' in reply)
    return void res.writeHead(reply.status ?? 303, { ...headers, location: reply.redirect }).end();
  if ('json' in reply)
    return void res
      .writeHead(reply.status ?? 200, { ...headers, 'content-type': 'application/json' })
      .end(JSON.stringify(reply.json));
  res.writeHead(reply.status ?? 200, { ...headers, 'content-type': 'text/html; charset=utf-8' }).end(reply.html);
}

/** Where a sandbox on this port serves each site, and the browser guard's setting that allows them all. */
export function sandboxSites(port: number): Pick<Sandbox, 'siteUrl' | 'allowHost'> {
  return { siteUrl: (site) => `http://${site}.localhost:${port}/`, allowHost: `*.localhost:${port}` };
}

export async function startSandbox(
  options: { port?: number; controlPort?: number; host?: string } = {},
): Promise<Sandbox> {
  const state = new SandboxState();
  const sockets = new Set<import('node:net').Socket>();
  const serve = (control: boolean) => {
    const server = createServer((req, res) => {
      void handle(req, res, control).catch((error: Error) => {
        if (!res.headersSent)
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`sandbox error: ${error.message}`);
      });
    });
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    return server;
  };
  const server = serve(false);
  const controlServer = serve(true);

  async function handle(req: IncomingMessage, res: ServerResponse, control: boolean): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const hostName = (req.headers.host ?? '').split(':')[0]!.toLowerCase();
    const cookies = Object.fromEntries(
      (req.headers.cookie ?? '')
        .split(';')
        .map((c) => c.trim().split('='))
        .filter((p) => p.length === 2) as Array<[string, string]>,
    );
    const headers: Record<string, string> = { 'cache-control': 'no-store' };
    let sid = cookies.wt_sid;
    if (!sid) {
      sid = randomUUID();
      headers['set-cookie'] = `wt_sid=${sid}; Path=/; HttpOnly; SameSite=Lax`;
    }
    const body = req.method === 'POST' ? await readBody(req) : '';
    const isJson = (req.headers['content-type'] ?? '').includes('json');
    const request: SandboxRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      sid,
      raw: req,
      form: new URLSearchParams(isJson ? '' : body),
      json: isJson && body ? JSON.parse(body) : null,
    };

    if (control)
      return send(
        res,
        url.pathname.startsWith('/__sandbox/')
          ? sandboxApi(request)
          : { status: 404, json: { error: 'the control port serves /__sandbox/* only' } },
        headers,
      );
    const site = siteForHost(hostName);
    if (!site)
      return send(
        res,
        {
          status: 404,
          html: `<h1>No sandbox site at ${hostName}</h1><p>Sites: ${SITES.map((s) => `${s.name}.localhost`).join(', ')}</p>`,
        },
        headers,
      );
    const userAgent = String(req.headers['user-agent'] ?? '');
    const load =
      req.headers['sec-fetch-dest'] === 'document' && state.pageLoads.length < 100_000
        ? { host: hostName, sid, path: url.pathname, atMs: performance.now(), redirected: false }
        : undefined;
    if (load) state.pageLoads.push(load);
    if (state.robots.userAgents.size < 50) state.robots.userAgents.add(userAgent.slice(0, 300));
    if (site.robots && url.pathname === '/robots.txt') {
      state.robots.fetches += 1;
      return void res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(robotsTxtOf(site.robots));
    }
    if (site.robots?.disallow.some((prefix) => url.pathname.startsWith(prefix)))
      state.robots.disallowedRequests.push({ url: `${hostName}${url.pathname}`, userAgent: userAgent.slice(0, 300) });
    for (const route of site.routes) {
      const reply = route(request, state);
      // A redirect's next hop is the same page load (the browser follows it without asking anyone).
      if (reply && 'redirect' in reply && load) load.redirected = true;
      if (reply) return send(res, reply, headers);
    }
    send(res, { status: 404, html: '<h1>Page not found</h1>' }, headers);
  }

  function check(evidence: {
    taskId?: string;
    instruction?: string;
    finalAnswer: string | null;
    finalUrl: string;
  }): boolean | undefined {
    return findTask(evidence)?.check({ finalAnswer: evidence.finalAnswer, finalUrl: evidence.finalUrl }, state);
  }

  function sandboxApi(req: SandboxRequest): Reply {
    if (req.path === '/__sandbox/state') return { json: state.toJSON() };
    if (req.path === '/__sandbox/robots') return { json: (state.toJSON() as { robots: unknown }).robots };
    if (req.path === '/__sandbox/sites') {
      return {
        json: SITES.map((s) => ({
          name: s.name,
          title: s.title,
          url: siteUrl(s.name),
          unsafe: Boolean(s.unsafe),
          tasks: s.tasks.map((t) => ({ id: t.id, instruction: t.instruction })),
        })),
      };
    }
    if (req.path === '/__sandbox/check' && req.method === 'POST') {
      const body = (req.json ?? {}) as {
        instruction?: string;
        taskId?: string;
        finalAnswer?: string | null;
        finalUrl?: string;
      };
      const solved = check({
        taskId: body.taskId,
        instruction: body.instruction,
        finalAnswer: body.finalAnswer ?? null,
        finalUrl: body.finalUrl ?? '',
      });
      if (solved === undefined) return { status: 404, json: { error: 'no sandbox task with that id or instruction' } };
      return { json: { taskId: findTask(body)!.id, solved } };
    }
    return { status: 404, json: { error: 'unknown sandbox endpoint' } };
  }

  const listen = (target: typeof server, port: number) =>
    new Promise<void>((resolve, reject) => {
      target.once('error', reject);
      target.listen(port, options.host ?? '127.0.0.1', () => resolve());
    });
  await listen(server, options.port ?? 8700);
  const port = (server.address() as AddressInfo).port;
  await listen(controlServer, options.controlPort ?? 0);
  const controlUrl = `http://${options.host ?? '127.0.0.1'}:${(controlServer.address() as AddressInfo).port}`;
  const { siteUrl, allowHost } = sandboxSites(port);
  return {
    port,
    controlUrl,
    state,
    siteUrl,
    allowHost,
    check,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        controlServer.close(() => server.close(() => resolve()));
      }),
  };
}
