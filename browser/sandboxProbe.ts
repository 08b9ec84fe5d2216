// Whether this machine can run Chromium with its renderer sandbox: one short sandboxed start, as the pool
// would make it. The local stack (demo, chaos, tests) asks before it starts the browser, and runs without
// the sandbox only when the machine cannot, saying so; a deployment never asks, it fails closed.
import { spawnSync } from 'node:child_process';
import { chromiumCommand } from './browserPool.ts';

let cached: string | null | undefined;

/** Why Chromium cannot sandbox here (the first line of what it said), or null when it can. */
export function chromiumSandboxProblem(binary: string | undefined): string | null {
  if (cached !== undefined) return cached;
  if (!binary) return (cached = 'no Chromium binary to try (set WEBTRAIL_CHROMIUM)');
  const command = chromiumCommand(binary, true);
  const probe = spawnSync(
    command.executablePath!,
    ['--headless', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--dump-dom', 'about:blank'],
    { encoding: 'utf8', timeout: 30_000, env: command.env ?? process.env },
  );
  if (probe.error) return (cached = probe.error.message);
  if (probe.status === 0 && probe.stdout.includes('<html')) return (cached = null);
  const said = (probe.stderr || probe.stdout)
    .split('\n')
    .find((l) => /sandbox|namespace|unshare|denied|not permitted/i.test(l));
  return (cached = (said ?? `exit ${probe.status ?? probe.signal}`).trim().slice(0, 300));
}
