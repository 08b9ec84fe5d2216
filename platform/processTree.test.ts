import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { childPids, treeCpuSeconds, treePssMb } from './processTree.ts';

// A child burns CPU, starts a grandchild that burns CPU and ends (reaped by the child), then reports what
// getrusage says each used and stays alive: the /proc counters must say the same, the ended grandchild included.
const burn =
  'let x = 0; const until = process.cpuUsage().user + 300_000; while (process.cpuUsage().user < until) for (let i = 0; i < 1e6; i += 1) x += i;';
const grandchild = `${burn} const u = process.cpuUsage(); console.log((u.user + u.system) / 1e6);`;
const child = `
${burn}
const { execFileSync } = require('node:child_process');
const grand = Number(execFileSync(process.execPath, ['-e', ${JSON.stringify(grandchild)}]).toString());
const u = process.cpuUsage();
console.log(JSON.stringify({ own: (u.user + u.system) / 1e6, grand }));
process.stdin.resume();
`;

describe('CPU used by a process tree', () => {
  it('counts the process itself apart from its descendants, the ended ones included', async () => {
    const proc = spawn(process.execPath, ['-e', child], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const [line] = (await once(proc.stdout!, 'data')) as [Buffer];
      const reported = JSON.parse(line.toString()) as { own: number; grand: number };
      const measured = treeCpuSeconds(proc.pid!);
      // /proc counts in 10 ms ticks; the processes go on a little after they report.
      expect(measured.own).toBeGreaterThanOrEqual(reported.own - 0.03);
      expect(measured.own).toBeLessThan(reported.own + 0.1);
      expect(measured.descendants).toBeGreaterThanOrEqual(reported.grand - 0.03);
      expect(measured.descendants).toBeLessThan(reported.grand + 0.1);
    } finally {
      proc.kill();
    }
  });
});

describe('memory of a process tree', () => {
  it("sums the descendants' proportional set size: a grandchild holding 96 MB of its own pages counts in its grandparent's tree", async () => {
    // The child starts a grandchild that fills 96 MB (pages of its own, so its PSS holds all of them) and waits.
    const holder =
      'const b = Buffer.alloc(96 * 1024 * 1024, 1); console.log("filled"); process.stdin.resume(); setInterval(() => b[0]++, 1000);';
    const middle = `const { spawn } = require('node:child_process'); const g = spawn(process.execPath, ['-e', ${JSON.stringify(holder)}], { stdio: ['pipe', 'inherit', 'inherit'] }); process.stdin.resume();`;
    const proc = spawn(process.execPath, ['-e', middle], { stdio: ['pipe', 'pipe', 'inherit'] });
    let grandchildPid: number | undefined;
    try {
      await once(proc.stdout!, 'data');
      grandchildPid = childPids(proc.pid!)[0];
      const tree = await treePssMb(proc.pid!);
      const grandchild = await treePssMb(grandchildPid!);
      expect(grandchild).toBeGreaterThanOrEqual(96);
      // The child's own Node process (about 10 MB here) on top.
      expect(tree).toBeGreaterThan(grandchild + 5);
    } finally {
      if (grandchildPid) process.kill(grandchildPid);
      proc.kill();
    }
  });
});
