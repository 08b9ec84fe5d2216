// A small disk for the chaos run's datasets: a size-limited tmpfs mounted on a folder inside a mount
// namespace of the run's own (held by a sleeping process), so nothing outside the run sees it and no
// privilege beyond the run's namespace is needed. A service runs on it through `wrap` (nsenter), the disk
// is given room by a remount, and what it holds is copied out before the namespace goes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';

export interface SmallDisk {
  /** Put before a command to run it in the namespace where the folder is the small disk. */
  wrap: string[];
  /** Gives the disk this many KiB in all. */
  grow(kib: number): void;
  /** Copies what the disk holds into a folder outside it. */
  copyOut(to: string): void;
  close(): void;
}

function run(args: string[]): void {
  const done = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
  if (done.status !== 0)
    throw new Error(`${args.join(' ')} failed: ${(done.stderr || done.stdout || String(done.error)).trim()}`);
}

/** Mounts a tmpfs of `kib` KiB on `dir` in a mount namespace of its own; throws with why when it cannot. */
export async function makeSmallDisk(dir: string, kib: number): Promise<SmallDisk> {
  mkdirSync(dir, { recursive: true });
  const holder: ChildProcess = spawn(
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount -t tmpfs -o "size=$1k" webtrail-small-disk "$0" && echo mounted && exec sleep 1000000',
      dir,
      String(kib),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let said = '';
  holder.stderr!.on('data', (d: Buffer) => (said += d.toString()));
  await new Promise<void>((resolve, reject) => {
    holder.stdout!.on('data', (d: Buffer) => d.toString().includes('mounted') && resolve());
    holder.once('exit', (code) =>
      reject(new Error(`cannot mount a small disk on ${dir} (unshare -m, exit ${code}): ${said.trim()}`)),
    );
    holder.once('error', reject);
  });
  const pid = String(holder.pid);
  // nsenter would start in the namespace's root folder: the command keeps ours.
  const enter = ['nsenter', '-t', pid, '-m', `--wd=${process.cwd()}`, '--'];
  return {
    wrap: enter,
    grow: (size) => run([...enter, 'mount', '-o', `remount,size=${size}k`, dir]),
    copyOut: (to) => {
      mkdirSync(to, { recursive: true });
      run([...enter, 'cp', '-a', `${dir}/.`, to]);
    },
    close: () => void holder.kill('SIGKILL'),
  };
}
