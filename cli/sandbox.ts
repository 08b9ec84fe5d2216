// webtrail sandbox: serves the sandbox web until interrupted.
import { SITES, startSandbox } from '../sandbox/index.ts';
import { UserInputError } from '../platform/index.ts';

export async function serveSandbox(port: number, print: (line: string) => void): Promise<void> {
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UserInputError(`--port: '${port}' is not a port number`);
  const sandbox = await startSandbox({ port, controlPort: port === 0 ? 0 : port + 1 }).catch(
    (error: NodeJS.ErrnoException) => {
      throw error.code === 'EADDRINUSE'
        ? new UserInputError(
            `port ${port} or ${port + 1} (the control port) is in use: pick another with --port or WEBTRAIL_SANDBOX_PORT`,
          )
        : error;
    },
  );
  print(`sandbox web on port ${sandbox.port} (Chromium resolves *.localhost to this machine):`);
  for (const site of SITES)
    print(
      `  ${sandbox.siteUrl(site.name).padEnd(36)} ${site.title}${site.unsafe ? ' (unsafe: for screening)' : ''}${site.tasks.length ? `, ${site.tasks.length} tasks` : ''}`,
    );
  print(
    `tasks and checks (not reachable from the agent's browser): ${sandbox.controlUrl}/__sandbox/sites, POST /__sandbox/check`,
  );
  print(`allow it in the browser guard with WEBTRAIL_BROWSER_ALLOW_HOSTS='${sandbox.allowHost}'`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sandbox.close();
}
