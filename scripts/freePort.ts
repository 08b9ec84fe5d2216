// A free TCP port on loopback for a server this project starts (a service's health port, a test's S3 server).
import { createServer, type AddressInfo } from 'node:net';

/** The preferred port when it is free, else any free one (0: any). */
export async function freePort(preferred = 0): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const server = createServer().once('error', reject).listen(port, '127.0.0.1', () => {
        const { port: got } = server.address() as AddressInfo;
        server.close(() => resolve(got));
      });
    });
  return tryPort(preferred).catch(() => tryPort(0));
}
