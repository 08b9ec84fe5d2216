// At most N trajectories per domain at once in this process, so a site is not hammered.
import pLimit, { type LimitFunction } from 'p-limit';

export class DomainLimiter {
  private readonly limits = new Map<string, LimitFunction>();

  constructor(private readonly perDomain: number) {}

  run<T>(domain: string, fn: () => Promise<T>): Promise<T> {
    let limit = this.limits.get(domain);
    if (!limit) this.limits.set(domain, (limit = pLimit(this.perDomain)));
    return limit(async () => {
      try {
        return await fn();
      } finally {
        if (limit.activeCount <= 1 && limit.pendingCount === 0) this.limits.delete(domain);
      }
    });
  }
}
