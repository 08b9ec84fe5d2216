// The local schema registry beside the local broker: `npm run kafka:start` starts `webtrail schema-registry`
// (detached, its pid and log in $WEBTRAIL_HOME/schema-registry/) once the broker answers, and
// `npm run kafka:stop` stops it first. With SCHEMA_REGISTRY_URL set, the user's registry is used and
// nothing is started.
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { type Env, ROOT, webtrailHome } from '../platform/index.ts';
import { runningPid, stopByPidFile } from './pidFile.ts';
import { loadRegistryConfig } from '../bus/index.ts';

export function registryPaths(env: Env = process.env): { dir: string; pidFile: string; logFile: string } {
  const dir = path.join(webtrailHome(env), 'schema-registry');
  return { dir, pidFile: path.join(dir, 'registry.pid'), logFile: path.join(dir, 'registry.log') };
}

export async function registryAnswers(url: string, timeoutMs = 1000): Promise<boolean> {
  try {
    const response = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(timeoutMs) });
    return response.ok;
  } catch {
    return false;
  }
}

export interface RegistryStartResult {
  url: string;
  started: boolean;
  external: boolean;
  startMs: number;
}

/**
 * The detached registry outlives whoever started it and serves every pipeline on the broker, so it must not
 * take its starter's WEBTRAIL_TOPIC_PREFIX: the bench deletes its prefixed topics when it ends, and a registry
 * started by it lost its store with them and refused every later registration.
 */
export function registryChildEnv(env: Env): Env {
  const { WEBTRAIL_TOPIC_PREFIX: _prefix, ...rest } = env;
  return rest;
}

export async function startLocalRegistry(
  env: Env = process.env,
  log: (line: string) => void = () => undefined,
): Promise<RegistryStartResult> {
  // The local one listens on loopback at WEBTRAIL_SCHEMA_REGISTRY_PORT (8791: the reference registry's 8081 is the generator's health port).
  const { url, external } = loadRegistryConfig(env);
  if (external) return { url, started: false, external: true, startMs: 0 };
  if (await registryAnswers(url)) return { url, started: false, external: false, startMs: 0 };
  const paths = registryPaths(env);
  mkdirSync(paths.dir, { recursive: true });
  const started = Date.now();
  const logFd = openSync(paths.logFile, 'a');
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/webtrail.js'), 'schema-registry'], {
    cwd: ROOT,
    env: registryChildEnv({ ...process.env, ...env }),
    stdio: ['ignore', logFd, logFd],
    detached: true,
  });
  writeFileSync(paths.pidFile, String(child.pid));
  child.unref();
  log(`starting the schema registry on ${url} (log: ${paths.logFile})`);
  const deadline = started + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || runningPid(paths.pidFile) === null)
      throw new Error(`the schema registry exited during start-up; see ${paths.logFile}`);
    if (await registryAnswers(url)) return { url, started: true, external: false, startMs: Date.now() - started };
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the schema registry did not answer within 60 s; see ${paths.logFile}`);
}

export function stopLocalRegistry(env: Env = process.env): Promise<boolean> {
  return stopByPidFile(registryPaths(env).pidFile, { graceMs: 10_000 });
}
