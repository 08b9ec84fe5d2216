// Test hooks for the windows a crash-safe stage must survive, each killing the stage (SIGKILL) once, at
// the first offset commit after it has written output:
// - WEBTRAIL_CRASH_BEFORE_COMMIT=<marker file>: its outputs are durable and acknowledged, the broker does
//   not know they were consumed, and the restarted stage gets the same input again;
// - WEBTRAIL_CRASH_AFTER_COMMIT=<marker file>: the broker has recorded the commit; whatever the stage had
//   not made durable by then is lost for good.
// The marker file makes each once: it is written before the kill.
import { existsSync, writeFileSync } from 'node:fs';
import type { Logger, StageMetrics } from '../platform/index.ts';

export function crashHook(
  when: 'before' | 'after',
  env: NodeJS.ProcessEnv,
  metrics: StageMetrics,
  log: Logger,
): (() => Promise<void>) | undefined {
  const marker = when === 'before' ? env.WEBTRAIL_CRASH_BEFORE_COMMIT : env.WEBTRAIL_CRASH_AFTER_COMMIT;
  if (!marker) return undefined;
  log.warn(
    { marker, when },
    `test hook armed: this process kills itself at its first commit after writing output (${when} committing)`,
  );
  return async () => {
    if (existsSync(marker)) return;
    const produced = (await metrics.produced.get()).values.reduce((sum, v) => sum + v.value, 0);
    if (produced === 0) return;
    writeFileSync(marker, `${process.pid} killed itself ${when} committing, after ${produced} records out\n`);
    log.warn({ produced }, `test hook: SIGKILL ${when} committing offsets`);
    process.kill(process.pid, 'SIGKILL');
    await new Promise(() => undefined);
  };
}
