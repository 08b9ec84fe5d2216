// The short chaos run (npm run chaos -- --short) as a user runs it: its own broker, the pipeline over a
// few sandbox sites, the rollout killed before it committed (a task run twice), the sink's disk full and
// then given room, one SIGKILL of each service and of the broker while work is in flight, then its
// invariants and its chaos-summary.json. The invariants' logic is tested on hand-built runs in scripts/chaosInvariants.test.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { spawnTs } from '../platform/spawnTs.ts';

describe('npm run chaos -- --short', () => {
  it('kills each service and the broker mid-run and every invariant holds', async () => {
    const child = spawnTs('scripts/chaos.ts', {
      args: ['--short'],
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    const faults = stdout.split('\n').filter((l) => /^ {2}[A-Z_]+ [a-z]+ \(round/.test(l));
    expect(faults.map((l) => l.trim().split(' ').slice(0, 2).join(' ')).sort()).toEqual([
      'DISK_FULL sink',
      'REDELIVERY rollout',
      'SIGKILL broker',
      'SIGKILL generator',
      'SIGKILL judge',
      'SIGKILL refiner',
      'SIGKILL rollout',
      'SIGKILL sink',
    ]);
    const invariants = stdout.split('\n').filter((l) => /^ {2}(ok {4}|BREACH) /.test(l));
    expect(invariants).toHaveLength(11);
    expect(invariants.filter((l) => l.includes('BREACH'))).toEqual([]);
    const report = JSON.parse(readFileSync(/report: ([^,]*),/.exec(stdout)![1]!, 'utf8')) as {
      counts: Record<string, number>;
    };
    expect(report.counts.tasks).toBeGreaterThan(0);
    expect(report.counts.examples_in_dataset).toBeGreaterThan(0);
    expect(report.counts.verdicts).toBeGreaterThanOrEqual(report.counts.trajectories!);
    // What the issue asks of the run, from the summary it writes.
    const summary = JSON.parse(readFileSync(/summary: (.*)/.exec(stdout)![1]!.trim(), 'utf8')) as {
      faults: Array<{ kind: string; target: string; at_ms: number; recovered_ms: number | null }>;
      invariants: Record<string, boolean>;
      redelivered_runs: number;
      dead_letters: number;
      examples_topic: number;
      examples_dataset: number;
    };
    expect(summary.redelivered_runs).toBeGreaterThanOrEqual(1);
    expect(summary.dead_letters).toBe(0);
    expect(summary.examples_dataset).toBe(summary.examples_topic);
    expect(Object.values(summary.invariants).every(Boolean)).toBe(true);
    for (const f of summary.faults) expect(f.recovered_ms, `${f.kind} ${f.target}`).not.toBeNull();
  }, 900_000);
});
