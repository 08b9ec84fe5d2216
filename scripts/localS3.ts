// The local S3-compatible server for the S3 blob store's tests and the demo's S3 option: s3proxy's own
// jar, resolved from Maven Central by s3/pom.xml, run on Java 17 with its objects in a local folder.
// State lives in $WEBTRAIL_HOME/s3; its access key is made on first start and kept there (mode 600),
// written to $WEBTRAIL_HOME/s3/env as the AWS variables that point webtrail at it, never printed.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { type Env, parseEnv, ROOT, UserInputError, webtrailHome } from '../platform/index.ts';
import { runningPid, stopByPidFile } from './pidFile.ts';
import { freePort } from './freePort.ts';

const POM = path.join(ROOT, 's3', 'pom.xml');
export const LOCAL_BUCKET = 'webtrail';

export interface S3Paths {
  dir: string;
  libs: string;
  data: string;
  properties: string;
  credentials: string;
  envFile: string;
  pidFile: string;
  logFile: string;
}

export function s3Paths(env: Env = process.env): S3Paths {
  const dir = path.join(webtrailHome(env), 's3');
  return {
    dir,
    // Another home (a test's own server) can use the jar already resolved elsewhere.
    libs: env.WEBTRAIL_S3_LIBS || path.join(dir, 'libs'),
    data: path.join(dir, 'data'),
    properties: path.join(dir, 's3proxy.properties'),
    credentials: path.join(dir, 'credentials.json'),
    envFile: path.join(dir, 'env'),
    pidFile: path.join(dir, 's3proxy.pid'),
    logFile: path.join(dir, 's3proxy.log'),
  };
}

export function pinnedS3Version(): string {
  const match = /<artifactId>s3proxy<\/artifactId>\s*<version>([^<]+)<\/version>/.exec(readFileSync(POM, 'utf8'));
  if (!match?.[1]) throw new Error('s3/pom.xml does not pin s3proxy');
  return match[1];
}

/** Resolves the pinned s3proxy jar into the libs folder once; returns its path. */
export function resolveS3Jar(paths: S3Paths): string {
  const version = pinnedS3Version();
  const jar = path.join(paths.libs, `s3proxy-${version}-jar-with-dependencies.jar`);
  if (existsSync(jar)) return jar;
  const mvn = spawnSync('mvn', ['-v'], { stdio: 'ignore' });
  if (mvn.error || mvn.status !== 0)
    throw new UserInputError('mvn is not available: install Maven (apt-get install -y maven) to fetch s3proxy');
  mkdirSync(paths.libs, { recursive: true });
  const result = spawnSync(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      POM,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${paths.libs}`,
      '-DexcludeTransitive=true',
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (result.status !== 0 || !existsSync(jar))
    throw new Error(`could not resolve s3proxy ${version} with Maven (exit ${result.status})`);
  return jar;
}

export interface LocalS3 {
  endpoint: string;
  bucket: string;
  /** The AWS variables that point an S3 client (and webtrail's blob store) at this server. */
  env: Record<string, string>;
  started: boolean;
  pid: number | null;
}

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

function credentialsOf(paths: S3Paths): Credentials {
  if (existsSync(paths.credentials)) return JSON.parse(readFileSync(paths.credentials, 'utf8')) as Credentials;
  const made = {
    accessKeyId: `webtrail-${randomBytes(4).toString('hex')}`,
    secretAccessKey: randomBytes(24).toString('base64url'),
  };
  writeFileSync(paths.credentials, JSON.stringify(made), { mode: 0o600 });
  return made;
}

const readPid = (paths: S3Paths) => runningPid(paths.pidFile);

/** Whether an S3 server answers HTTP at the endpoint (any status: it refuses anonymous requests). */
export async function s3Answers(endpoint: string, timeoutMs = 1000): Promise<boolean> {
  try {
    await fetch(endpoint, { signal: AbortSignal.timeout(timeoutMs) });
    return true;
  } catch {
    return false;
  }
}

export function s3Port(env: Env): number {
  return parseEnv(z.object({ WEBTRAIL_S3_PORT: z.coerce.number().int().min(1).max(65535).default(9300) }), env)
    .WEBTRAIL_S3_PORT;
}

function describe(
  paths: S3Paths,
  endpoint: string,
  credentials: Credentials,
  started: boolean,
  pid: number | null,
): LocalS3 {
  const env = {
    WEBTRAIL_BLOB_URL: `s3://${LOCAL_BUCKET}/blobs`,
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  };
  writeFileSync(
    paths.envFile,
    `${Object.entries(env)
      .map(([k, v]) => `export ${k}=${v}`)
      .join('\n')}\n`,
    { mode: 0o600 },
  );
  return { endpoint, bucket: LOCAL_BUCKET, env, started, pid };
}

/** Starts the local S3 server unless one this home started already answers. */
export async function startS3(env: Env = process.env, log: (line: string) => void = () => undefined): Promise<LocalS3> {
  const paths = s3Paths(env);
  const endpoint = `http://127.0.0.1:${s3Port(env)}`;
  mkdirSync(paths.dir, { recursive: true });
  const credentials = credentialsOf(paths);
  const running = readPid(paths);
  if (running !== null && (await s3Answers(endpoint))) return describe(paths, endpoint, credentials, false, running);
  if (await s3Answers(endpoint))
    throw new UserInputError(`something else answers on ${endpoint}: set WEBTRAIL_S3_PORT to a free port`);

  const javaCheck = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (javaCheck.error || javaCheck.status !== 0)
    throw new UserInputError('java is not available: install Java 17 (apt-get install -y openjdk-17-jre-headless)');
  const jar = resolveS3Jar(paths);
  // s3proxy's filesystem backend: a bucket is a folder.
  mkdirSync(path.join(paths.data, LOCAL_BUCKET), { recursive: true });
  writeFileSync(
    paths.properties,
    [
      `s3proxy.endpoint=${endpoint}`,
      's3proxy.authorization=aws-v2-or-v4',
      `s3proxy.identity=${credentials.accessKeyId}`,
      `s3proxy.credential=${credentials.secretAccessKey}`,
      'jclouds.provider=filesystem',
      `jclouds.filesystem.basedir=${paths.data}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  chmodSync(paths.properties, 0o600);

  const started = Date.now();
  const logFd = openSync(paths.logFile, 'a');
  const child = spawn('java', ['-Xmx512m', '-jar', jar, '--properties', paths.properties], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
  });
  writeFileSync(paths.pidFile, String(child.pid));
  child.unref();
  log(`starting s3proxy ${pinnedS3Version()} on ${endpoint} (log: ${paths.logFile})`);
  while (Date.now() < started + 60_000) {
    if (child.exitCode !== null || readPid(paths) === null)
      throw new Error(
        `s3proxy exited during start-up; see ${paths.logFile}:\n${readFileSync(paths.logFile, 'utf8').trim().split('\n').slice(-15).join('\n')}`,
      );
    if (await s3Answers(endpoint, 500)) return describe(paths, endpoint, credentials, true, child.pid ?? null);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`s3proxy did not answer within 60 s; see ${paths.logFile}`);
}

/** Stops the server this home started; with `kill` at once (SIGKILL), as a crash would. */
export async function stopS3(env: Env = process.env, options: { kill?: boolean } = {}): Promise<boolean> {
  return stopByPidFile(s3Paths(env).pidFile, { graceMs: 20_000, ...options });
}

/**
 * A server of its own (a test's, the benchmark's): its own home under `home` and a free port, with the jar
 * resolved once in the repository's home. `serverEnv` addresses it for stopS3 and storedObjects.
 */
export async function startPrivateS3(home: string): Promise<{ s3: LocalS3; serverEnv: Record<string, string> }> {
  const serverEnv = {
    WEBTRAIL_HOME: home,
    WEBTRAIL_S3_PORT: String(await freePort()),
    WEBTRAIL_S3_LIBS: process.env.WEBTRAIL_S3_LIBS || path.join(ROOT, '.webtrail', 's3', 'libs'),
  };
  return { s3: await startS3(serverEnv), serverEnv };
}

/** How many objects the server holds under a bucket (from its folder): what a test counts. */
export function storedObjects(env: Env, bucket = LOCAL_BUCKET): string[] {
  const root = path.join(s3Paths(env).data, bucket);
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
}
