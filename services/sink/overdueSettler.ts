// Best-of-n tasks whose other attempts never came (dead-lettered, say) are settled on a timer: no verdict
// is being handled to carry their examples. One settling at a time; a failed one is logged and the next
// tick tries again (the tasks stay held until their examples are written and sent).
import type { TrainingExample } from '../../schemas/index.ts';
import type { Decision } from './attemptGroups.ts';

/** How often overdue tasks are looked for: a quarter of the wait, between 1 s and a minute. */
export function settleIntervalMs(attemptsWaitMs: number): number {
  return Math.min(60_000, Math.max(1000, Math.floor(attemptsWaitMs / 4)));
}

export interface Settleable {
  settleOverdue(publish: (examples: TrainingExample[]) => Promise<void>): Promise<Decision[]>;
}

export class OverdueSettler {
  private timer: NodeJS.Timeout | undefined;
  private settling: Promise<void> = Promise.resolve();

  constructor(
    private readonly sink: Settleable,
    private readonly publish: (examples: TrainingExample[]) => Promise<void>,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.tick(), intervalMs);
    this.timer.unref();
  }

  /** Settles what is overdue now, after any settling under way; never rejects. */
  tick(): Promise<void> {
    this.settling = this.settling
      .then(() => this.sink.settleOverdue(this.publish))
      .then(() => undefined, this.onFailure);
    return this.settling;
  }

  /** No more ticks; resolves once the settling under way has ended. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.settling;
  }
}
