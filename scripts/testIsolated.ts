// `npm test`: runs vitest inside a network namespace that has only loopback (`unshare -rn`, then `lo` up),
// so no test — a browser following a hostile page's link, a guard regression — can send a packet off this
// machine. The broker, the sandbox web, Chromium and the scripted LLM all start inside it.
//
// WEBTRAIL_TEST_NETNS: `auto` (default) isolates when the kernel allows it and says loudly when it cannot;
// `require` (the default under CI=true) fails instead; `off` runs in the host's network.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { kafkaPaths, resolveJars } from './localKafka.ts';
import { resolveS3Jar, s3Paths } from './localS3.ts';
import { ROOT } from '../platform/index.ts';

type Mode = 'auto' | 'require' | 'off';

function fail(message: string): never {
  process.stderr.write(`npm test: ${message}\n`);
  process.exit(2);
}

function mode(env: NodeJS.ProcessEnv): Mode {
  const raw = env.WEBTRAIL_TEST_NETNS ?? (env.CI === 'true' ? 'require' : 'auto');
  if (raw === 'auto' || raw === 'require' || raw === 'off') return raw;
  fail(`WEBTRAIL_TEST_NETNS=${JSON.stringify(raw).slice(0, 40)} is not one of auto, require, off`);
}

/** Why a loopback-only namespace cannot be made here, or null when it can. */
function namespaceProblem(): string | null {
  const probe = spawnSync('unshare', ['-rn', '--', 'ip', 'link', 'set', 'lo', 'up'], { encoding: 'utf8' });
  if (probe.error) return `cannot run unshare/ip (${probe.error.message}); install util-linux and iproute2`;
  if (probe.status !== 0)
    return `unshare -rn failed: ${(probe.stderr || probe.stdout).trim().split('\n')[0]} (unprivileged user namespaces may be disabled)`;
  return null;
}

const env = { ...process.env };
const chosen = mode(env);
const vitestArgs = process.argv.slice(2);
const vitestBin = path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
// The chaos run (its own broker and five services, killed and restarted) would starve the other scenario
// tests of CPU on a small machine, so a whole run does it after them, alone; named files run as given.
const CHAOS = 'test/chaos.test.ts';
const phases: string[][] =
  vitestArgs.length > 0
    ? [[vitestBin, 'run', ...vitestArgs]]
    : [
        [vitestBin, 'run', '--exclude', CHAOS],
        [vitestBin, 'run', CHAOS],
      ];

/** Runs every phase (each to the end, so one failure does not hide another's); the worst exit status. */
function runPhases(run: (args: string[]) => number): never {
  let status = 0;
  for (const args of phases) status = Math.max(status, run(args));
  process.exit(status);
}

if (chosen !== 'off') {
  const problem = namespaceProblem();
  if (problem && chosen === 'require')
    fail(
      `the tests must run in a loopback-only network namespace, but ${problem}. Set WEBTRAIL_TEST_NETNS=off to run them in the host's network.`,
    );
  if (problem) {
    process.stderr.write(`\n*** npm test: NOT network-isolated: ${problem}. Tests run in the host's network. ***\n\n`);
  } else {
    const external = (env.KAFKA_BROKERS ?? '')
      .split(',')
      .map((b) => b.trim())
      .filter((b) => b && !/^(127\.\d+\.\d+\.\d+|localhost|\[::1\]):\d+$/.test(b));
    if (external.length > 0)
      fail(
        `KAFKA_BROKERS points off this machine (${external.join(', ')}), which a loopback-only namespace cannot reach; unset it, or set WEBTRAIL_TEST_NETNS=off.`,
      );
    // A broker the developer left running outside is unreachable from inside: the run starts its own, in
    // its own state folder so the two never share a data directory. Its jars are resolved out here, where
    // Maven can reach its repository.
    env.WEBTRAIL_HOME = env.WEBTRAIL_TEST_HOME ?? path.join(ROOT, '.webtrail', 'test-netns');
    resolveJars(kafkaPaths(env));
    // The S3 tests' server (s3proxy) likewise: one jar for every test home.
    env.WEBTRAIL_S3_LIBS ??= path.join(ROOT, '.webtrail', 's3', 'libs');
    resolveS3Jar(s3Paths(env));
    env.WEBTRAIL_NETNS = 'loopback-only';
    runPhases(
      (args) =>
        spawnSync(
          'unshare',
          ['-rn', '--', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', process.execPath, ...args],
          { stdio: 'inherit', env, cwd: ROOT },
        ).status ?? 1,
    );
  }
}
runPhases((args) => spawnSync(process.execPath, args, { stdio: 'inherit', env, cwd: ROOT }).status ?? 1);
