import { describe, expect, it } from 'vitest';
import { backoffMs, retry, type RetryLog } from './retry.ts';

/** A log that keeps its lines. */
function recordingLog(): RetryLog & {
  lines: Array<{ level: string; object: Record<string, unknown>; message: string }>;
} {
  const lines: Array<{ level: string; object: Record<string, unknown>; message: string }> = [];
  const at = (level: string) => (object: object, message: string) =>
    void lines.push({ level, object: object as Record<string, unknown>, message });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A call that fails `failures` times with the given errors, then answers. */
function failing(failures: number, error: (n: number) => unknown = (n) => new Error(`failure ${n}`)) {
  const calls: number[] = [];
  return {
    calls,
    call: async (_bail: (e: unknown) => never, attempt: number) => {
      calls.push(attempt);
      if (calls.length <= failures) throw error(calls.length);
      return 'answer';
    },
  };
}

describe('retry', () => {
  it('tries again until the call answers, one log line per retry with the attempt and the wait', async () => {
    const log = recordingLog();
    const f = failing(2);
    expect(await retry(f.call, { what: 'reading', baseMs: 1, log, level: 'warn', context: { offset: '7' } })).toBe(
      'answer',
    );
    expect(f.calls).toEqual([1, 2, 3]);
    expect(log.lines.map((l) => [l.level, l.message, l.object.attempt, l.object.err, l.object.offset])).toEqual([
      ['warn', 'reading failed; retrying', 1, 'failure 1', '7'],
      ['warn', 'reading failed; retrying', 2, 'failure 2', '7'],
    ]);
  });

  it('gives up after its attempts with the last failure, or the error it is told to throw then', async () => {
    const f = failing(10);
    await expect(retry(f.call, { what: 'x', attempts: 3, baseMs: 1 })).rejects.toThrow('failure 3');
    expect(f.calls).toEqual([1, 2, 3]);
    const g = failing(10);
    await expect(
      retry(g.call, {
        what: 'x',
        attempts: 2,
        baseMs: 1,
        exhausted: (e, n) => new Error(`gave up after ${n}: ${(e as Error).message}`),
      }),
    ).rejects.toThrow('gave up after 2: failure 2');
  });

  it('stops at once on a bail or a failure that cannot pass, without waiting or logging', async () => {
    const log = recordingLog();
    let calls = 0;
    await expect(
      retry(
        async (bail) => {
          calls += 1;
          return bail(new Error('refused for good'));
        },
        { what: 'x', baseMs: 10_000, log },
      ),
    ).rejects.toThrow('refused for good');
    expect(calls).toBe(1);
    const f = failing(5, (n) =>
      Object.assign(new Error(`status ${n === 1 ? 503 : 400}`), { status: n === 1 ? 503 : 400 }),
    );
    await expect(
      retry(f.call, { what: 'x', baseMs: 1, log, retriable: (e) => (e as { status: number }).status >= 500 }),
    ).rejects.toThrow('status 400');
    expect(f.calls).toEqual([1, 2]);
    expect(log.lines).toHaveLength(1);
  });

  it('waits what the failure asks for (Retry-After) instead of its own backoff', async () => {
    const waits: number[] = [];
    const f = failing(2, () => Object.assign(new Error('429'), { retryAfterMs: 30 }));
    const started = Date.now();
    await retry(f.call, {
      what: 'x',
      baseMs: 1,
      retryAfterMs: (e) => (e as { retryAfterMs: number }).retryAfterMs,
      onRetry: ({ waitMs }) => void waits.push(waitMs),
    });
    expect(waits).toEqual([30, 30]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('gives up rather than wait past its deadline', async () => {
    const f = failing(100);
    const started = Date.now();
    await expect(retry(f.call, { what: 'x', baseMs: 40, factor: 1, jitter: false, deadlineMs: 100 })).rejects.toThrow(
      /failure/,
    );
    // Waits of 40 ms: attempts at 0, 40 and 80 ms; a fourth would start at 120, past the deadline.
    expect(f.calls).toEqual([1, 2, 3]);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('stops waiting when its signal is aborted, and tries nothing more', async () => {
    const controller = new AbortController();
    const f = failing(100);
    const pending = retry(f.call, { what: 'x', baseMs: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('drain deadline')), 20);
    await expect(pending).rejects.toThrow('drain deadline');
    expect(f.calls).toEqual([1]);
  });

  it('draws each wait between half its ceiling and all of it, the ceiling doubling up to its maximum', () => {
    for (let i = 0; i < 200; i += 1) {
      const first = backoffMs(1, 100, 1000);
      expect(first).toBeGreaterThanOrEqual(50);
      expect(first).toBeLessThanOrEqual(100);
      const third = backoffMs(3, 100, 1000);
      expect(third).toBeGreaterThanOrEqual(200);
      expect(third).toBeLessThanOrEqual(400);
      const capped = backoffMs(10, 100, 1000);
      expect(capped).toBeGreaterThanOrEqual(500);
      expect(capped).toBeLessThanOrEqual(1000);
    }
  });
});
