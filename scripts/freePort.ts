// A free TCP port for a server this project starts (a service's health port, a test's S3 server).
import { createServer, type AddressInfo } from 'node:net';
import { retry } from '../platform/index.ts';

/**
 * Ports chosen for "any" come from below Linux's ephemeral range (32768–60999 by default): a port the
 * system handed out would be free when checked, yet an outgoing connection of another process (a Kafka
 * client, Chromium) could take it as its local port before the service listens on it.
 */
const ANY_FROM = 20_000;
const ANY_TO = 32_700;

const tryPort = (port: number) =>
  new Promise<number>((resolve, reject) => {
    // Checked on every address, as the services listen.
    const server = createServer()
      .once('error', reject)
      .listen(port, '0.0.0.0', () => {
        const { port: got } = server.address() as AddressInfo;
        server.close(() => resolve(got));
      });
  });

/** The preferred port when it is free, else a free one outside the ephemeral range (0: any). */
export async function freePort(preferred = 0): Promise<number> {
  if (preferred) {
    const got = await tryPort(preferred).catch(() => 0);
    if (got) return got;
  }
  return retry(() => tryPort(ANY_FROM + Math.floor(Math.random() * (ANY_TO - ANY_FROM))), {
    what: 'finding a free port',
    attempts: 50,
    baseMs: 0,
  }).catch(() => tryPort(0));
}
