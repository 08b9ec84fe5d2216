// A test hook for the window a crash-safe stage must survive: WEBTRAIL_CRASH_BEFORE_COMMIT=<marker file>
// makes the stage kill itself (SIGKILL) once, at its first offset commit after it has written output:
// its outputs are durable and acknowledged, the broker does not know they were consumed, and the
// restarted stage gets the same input again. The marker file makes it once: it is written before the kill.
import { existsSync, writeFileSync } from 'node:fs';
import type { Logger } from '../platform/logger.ts';
import type { StageMetrics } from '../platform/metrics.ts';

export function crashBeforeCommitHook(env: NodeJS.ProcessEnv, metrics: StageMetrics, log: Logger): (() => Promise<void>) | undefined {
  const marker = env.WEBTRAIL_CRASH_BEFORE_COMMIT;
  if (!marker) return undefined;
  log.warn({ marker }, 'test hook armed: this process kills itself at its first commit after writing output');
  return async () => {
    if (existsSync(marker)) return;
    const produced = (await metrics.produced.get()).values.reduce((sum, v) => sum + v.value, 0);
    if (produced === 0) return;
    writeFileSync(marker, `${process.pid} killed itself before committing, after ${produced} records out\n`);
    log.warn({ produced }, 'test hook: SIGKILL before committing offsets');
    process.kill(process.pid, 'SIGKILL');
    await new Promise(() => undefined);
  };
}
