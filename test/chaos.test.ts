// The short chaos run (npm run chaos -- --short) as a user runs it: its own broker, the pipeline over a
// few sandbox sites, one SIGKILL of each service and of the broker while work is in flight, then its
// invariants. The invariants' logic is tested on hand-built runs in scripts/chaosInvariants.test.ts.
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
    const faults = stdout.split('\n').filter((l) => /^ {2}(SIGKILL|SKIPPED) /.test(l));
    expect(faults.map((l) => l.trim().split(' ').slice(0, 2).join(' '))).toEqual([
      'SIGKILL generator',
      'SIGKILL rollout',
      'SIGKILL judge',
      'SIGKILL sink',
      'SIGKILL refiner',
      'SIGKILL broker',
    ]);
    const invariants = stdout.split('\n').filter((l) => /^ {2}(ok {4}|BREACH) /.test(l));
    expect(invariants).toHaveLength(9);
    expect(invariants.filter((l) => l.includes('BREACH'))).toEqual([]);
    const report = JSON.parse(readFileSync(/report: (.*)/.exec(stdout)![1]!, 'utf8')) as {
      counts: Record<string, number>;
    };
    expect(report.counts.tasks).toBeGreaterThan(0);
    expect(report.counts.examples_in_dataset).toBeGreaterThan(0);
    expect(report.counts.verdicts).toBeGreaterThanOrEqual(report.counts.trajectories!);
  }, 900_000);
});
