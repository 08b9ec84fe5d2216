// The local servers this project starts (Kafka, s3proxy) are found again by a pid file.
import { readFileSync, rmSync } from 'node:fs';

/** The pid in the file, when that process still runs. */
export function runningPid(pidFile: string): number | null {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

/**
 * Stops the process of a pid file: SIGTERM, then SIGKILL after `graceMs` (at once with `kill`, as a
 * crash would). Returns whether one was running.
 */
export async function stopByPidFile(pidFile: string, options: { graceMs: number; kill?: boolean }): Promise<boolean> {
  const pid = runningPid(pidFile);
  if (pid === null) return false;
  process.kill(pid, options.kill ? 'SIGKILL' : 'SIGTERM');
  const deadline = Date.now() + options.graceMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      rmSync(pidFile, { force: true });
      return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  process.kill(pid, 'SIGKILL');
  rmSync(pidFile, { force: true });
  return true;
}
