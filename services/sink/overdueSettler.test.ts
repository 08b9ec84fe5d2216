import { describe, expect, it } from 'vitest';
import type { TrainingExample } from '../../schemas/types.ts';
import { trainingExample } from '../../test/helpers/samples.ts';
import { OverdueSettler, settleIntervalMs, type Settleable } from './overdueSettler.ts';

/** A sink whose settling takes `ms` and records when each ran; the ones listed in `failing` throw. */
function slowSink(ms: number, failing: number[] = []): Settleable & { runs: Array<{ start: number; end: number }> } {
  const runs: Array<{ start: number; end: number }> = [];
  return {
    runs,
    settleOverdue: async (publish) => {
      const run = { start: performance.now(), end: 0 };
      runs.push(run);
      await new Promise((r) => setTimeout(r, ms));
      run.end = performance.now();
      if (failing.includes(runs.length)) throw new Error(`broker away (run ${runs.length})`);
      await publish([trainingExample()]);
      return [];
    },
  };
}

describe('settling overdue best-of-n tasks', () => {
  it('runs one settling at a time, however fast the ticks come', async () => {
    const sink = slowSink(30);
    const published: TrainingExample[][] = [];
    const settler = new OverdueSettler(
      sink,
      async (e) => void published.push(e),
      () => undefined,
    );
    await Promise.all([settler.tick(), settler.tick(), settler.tick()]);
    expect(sink.runs).toHaveLength(3);
    for (let i = 1; i < sink.runs.length; i += 1)
      expect(sink.runs[i]!.start).toBeGreaterThanOrEqual(sink.runs[i - 1]!.end);
    expect(published).toHaveLength(3);
  });

  it('reports a failed settling and settles again on the next tick', async () => {
    const sink = slowSink(1, [1]);
    const failures: string[] = [];
    const settler = new OverdueSettler(
      sink,
      async () => undefined,
      (error) => void failures.push((error as Error).message),
    );
    await settler.tick();
    await settler.tick();
    expect(failures).toEqual(['broker away (run 1)']);
    expect(sink.runs).toHaveLength(2);
  });

  it('stops ticking, and waits for the settling under way before the sink is closed', async () => {
    const sink = slowSink(80);
    const settler = new OverdueSettler(
      sink,
      async () => undefined,
      () => undefined,
    );
    settler.start(20);
    await new Promise((r) => setTimeout(r, 30));
    await settler.stop();
    const ended = performance.now();
    expect(sink.runs.length).toBeGreaterThanOrEqual(1);
    expect(sink.runs.every((r) => r.end > 0 && r.end <= ended)).toBe(true);
    const after = sink.runs.length;
    await new Promise((r) => setTimeout(r, 60));
    expect(sink.runs).toHaveLength(after);
  });

  it('looks for overdue tasks every quarter of the wait, between a second and a minute', () => {
    expect(settleIntervalMs(1_800_000)).toBe(60_000);
    expect(settleIntervalMs(20_000)).toBe(5_000);
    expect(settleIntervalMs(1_000)).toBe(1_000);
  });
});
