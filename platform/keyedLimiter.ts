// At most N runs per key at once in this process (p-limit per key, dropped when idle): the rollout keeps a
// site from being hammered (a domain, N from its setting); the sink takes one verdict of a trajectory, and
// of a best-of-n task, at a time, and the refiner one verdict of a site (N = 1).
import pLimit, { type LimitFunction } from 'p-limit';

export class KeyedLimiter {
  private readonly limits = new Map<string, LimitFunction>();

  constructor(private readonly perKey: number) {}

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let limit = this.limits.get(key);
    if (!limit) this.limits.set(key, (limit = pLimit(this.perKey)));
    return limit(async () => {
      try {
        return await fn();
      } finally {
        if (limit.activeCount <= 1 && limit.pendingCount === 0) this.limits.delete(key);
      }
    });
  }
}
