// A process and its descendants, read from Linux's /proc: who its children are, what they were started
// with, how much memory and CPU the tree uses. For the benchmark, the tests that look at Chromium, and the
// start-up waits (a service still importing on a loaded machine is busy, not stuck).
import { readFileSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** Linux counts process CPU time in clock ticks of 1/100 s (USER_HZ, the same on every architecture Node runs on). */
const TICKS_PER_S = 100;

/** The live children of a process (those of every one of its threads). */
export function childPids(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
  );
}

/** What a process was started with, or null once it has ended. */
export function commandLine(pid: number): string[] | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return null;
  }
}

/**
 * Memory of a process and all its descendants (Chromium's processes are its children), in MB, as
 * proportional set size: shared pages are split among the processes that map them, so summing over
 * Chromium's many processes does not count its shared libraries once per process (summed RSS does).
 */
export async function treePssMb(pid: number): Promise<number> {
  let kb = 0;
  // Read through libuv's threads: the kernel walks each process's page tables to answer, about 80 ms for
  // six contexts' Chromium, which read synchronously stalled everything else in the reading process.
  const visit = async (p: number) => {
    try {
      const rollup = await readFile(`/proc/${p}/smaps_rollup`, 'utf8');
      kb += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      for (const child of childPids(p)) await visit(child);
    } catch {
      // the process ended meanwhile
    }
  };
  await visit(pid);
  return kb / 1024;
}

/**
 * CPU-seconds used so far by a process itself and by its descendants: the live ones, and the ended ones
 * once reaped (a parent's cutime), so Chromium's renderers that came and went are counted.
 */
export function treeCpuSeconds(pid: number): { own: number; descendants: number } {
  const ticks = (p: number) => {
    const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    const fields = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    return { own: fields[11]! + fields[12]!, reaped: fields[13]! + fields[14]! };
  };
  const descendants = (p: number, reaped: number): number =>
    reaped +
    childPids(p).reduce((sum, child) => {
      try {
        const t = ticks(child);
        return sum + t.own + descendants(child, t.reaped);
      } catch {
        return sum; // ended meanwhile
      }
    }, 0);
  try {
    const top = ticks(pid);
    return { own: top.own / TICKS_PER_S, descendants: descendants(pid, top.reaped) / TICKS_PER_S };
  } catch {
    return { own: 0, descendants: 0 };
  }
}
