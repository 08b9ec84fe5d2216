// Chromium's processes as the kernel sees them (Linux /proc): which browser is ours, its renderers, how
// much memory each holds, whether it runs sandboxed. Read from outside, so a renderer stuck in a page's
// script can neither delay nor lie about any of it.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { commandLine } from '../platform/index.ts';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  readonly args: string[];
}

const PAGE_BYTES = 4096;

/** The command line of a process, as Chromium leaves it; empty when it is gone. */
function argsOf(pid: number): string[] {
  const args = commandLine(pid) ?? [];
  // Chromium's child processes rewrite their title as one space-separated string.
  return args.length === 1 ? args[0]!.split(' ').filter(Boolean) : args;
}

function readProcess(pid: number): ProcessInfo | null {
  try {
    // The command name in stat may hold spaces and parentheses: the fields after its last ')' are fixed.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    // Read on first use: the memory watchdog lists every process 4 times a second but needs the command
    // lines of a browser's descendants only.
    let args: string[] | undefined;
    return {
      pid,
      ppid,
      get args() {
        return (args ??= argsOf(pid));
      },
    };
  } catch {
    return null; // gone between the listing and the read
  }
}

/** Every process this one may see. */
export function listProcesses(): ProcessInfo[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return []; // not Linux: no watchdog beyond the time limits
  }
  return names
    .filter((n) => /^\d+$/.test(n))
    .map((n) => readProcess(Number(n)))
    .filter((p): p is ProcessInfo => p !== null);
}

/** The processes below root (its children, theirs, …), from one listing. */
export function descendants(root: number, all: ProcessInfo[] = listProcesses()): ProcessInfo[] {
  const children = new Map<number, ProcessInfo[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const out: ProcessInfo[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}

/** The process whose command line carries this exact argument (how the pool finds the browser it launched). */
export function processWithArg(arg: string, all: ProcessInfo[] = listProcesses()): ProcessInfo | undefined {
  // The first one: a browser's children copy only the switches they need, but a shell wrapper execs in place.
  return all.find((p) => p.args.includes(arg) && !p.args.some((a) => a.startsWith('--type=')));
}

export const isRenderer = (p: ProcessInfo) => p.args.includes('--type=renderer');

/** Memory a process holds of its own (resident, minus what it shares with others), in MB; null when gone. */
export function ownMemoryMb(pid: number): number | null {
  try {
    const [, resident, shared] = readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ').map(Number);
    return ((resident! - shared!) * PAGE_BYTES) / 2 ** 20;
  } catch {
    return null;
  }
}

/** A process's namespace of one kind (user, pid, net), e.g. "user:[4026531837]"; null when unreadable. */
export function namespaceOf(pid: number, kind: 'user' | 'pid' | 'net'): string | null {
  try {
    return readlinkSync(`/proc/${pid}/ns/${kind}`);
  } catch {
    return null;
  }
}

export function killProcess(pid: number): boolean {
  try {
    process.kill(pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}
