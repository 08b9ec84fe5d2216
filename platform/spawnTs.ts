// Runs one of this project's TypeScript entry points in a new Node process, through tsx as the services
// run: the pipeline harness, `webtrail replay` and the benchmark start services this way.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServiceName } from './config.ts';

/** The project's root folder. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The script that runs a stage (the image runs the same, see the Dockerfile). */
export function stageEntry(stage: ServiceName): string {
  return `services/${stage}/main.ts`;
}

export function spawnTs(
  script: string,
  options: {
    env: NodeJS.ProcessEnv;
    stdio: StdioOptions;
    args?: string[];
    nodeArgs?: string[];
    /** A command that runs node in its place (it must exec it, so the child's pid is node's), e.g. nsenter. */
    prefix?: string[];
  },
): ChildProcess {
  const command = [
    process.execPath,
    ...(options.nodeArgs ?? []),
    '--import',
    'tsx',
    path.join(ROOT, script),
    ...(options.args ?? []),
  ];
  const [file, ...args] = [...(options.prefix ?? []), ...command];
  return spawn(file!, args, { cwd: ROOT, env: options.env, stdio: options.stdio });
}
