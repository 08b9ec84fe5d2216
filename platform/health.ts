// /healthz (the process works), /readyz (it takes work), /metrics (Prometheus) for each service.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HealthSource {
  live(): boolean;
  ready(): boolean;
  /** Why it is not ready, shown on /readyz (a full disk, say), when there is more to say than "not ok". */
  notReadyReason?(): string | null;
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(port: number, source: HealthSource, registry: Registry): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const answer = (ok: boolean, reason?: string | null) => {
      res
        .writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' })
        .end(ok ? 'ok\n' : `not ok${reason ? `: ${reason}` : ''}\n`);
    };
    if (path === '/healthz') return answer(source.live());
    if (path === '/readyz') {
      const ready = source.ready();
      return answer(ready, ready ? null : source.notReadyReason?.());
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
        (error: Error) => res.writeHead(500).end(error.message),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
