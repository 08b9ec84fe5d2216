// The one retrier: a call run again while it fails in a way that can pass, with exponential backoff and
// jitter, a wait the failure itself asks for (Retry-After), an attempt limit or a deadline, an abort signal,
// a `bail` for failures that never pass, and one log line per retry. Shaped like kafkajs' retrier:
// `retry(async (bail, attempt) => …, options)`.

export function backoffMs(attempt: number, baseMs: number, maxMs = 60_000, factor = 2): number {
  const ceiling = Math.min(maxMs, baseMs * factor ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** What the retrier logs through: any pino logger. */
export interface RetryLog {
  debug(object: object, message: string): void;
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface RetryFailure {
  error: unknown;
  /** The attempt that failed (the first is 1). */
  attempt: number;
  /** How long the retrier waits before the next attempt. */
  waitMs: number;
}

export interface RetryOptions {
  /** What is being tried, for the log line ("decoding a record", "S3 put"). */
  what: string;
  /** Attempts in all, the first included; unlimited by default (until it succeeds, bails or the deadline passes). */
  attempts?: number;
  /** No attempt starts later than this many ms after the first: the retrier gives up rather than wait past it. */
  deadlineMs?: number;
  /** The first wait's ceiling; each later one `factor` times the last (1: always the same), at most maxMs. */
  baseMs?: number;
  maxMs?: number;
  factor?: number;
  /** Waits drawn between half the ceiling and all of it (on by default), so clients do not retry in step. */
  jitter?: boolean;
  signal?: AbortSignal;
  /** Whether a failure may pass; one that may not is thrown at once, as if bailed. Every failure may by default. */
  retriable?(error: unknown): boolean;
  /** A wait the failure asks for itself (an HTTP Retry-After), in ms: used instead of the backoff when given. */
  retryAfterMs?(error: unknown): number | undefined;
  /** Before each wait (counting a metric, resetting state); awaited. */
  onRetry?(failure: RetryFailure): void | Promise<void>;
  /** The error thrown when the attempts or the deadline run out; the last failure by default. */
  exhausted?(error: unknown, attempts: number): unknown;
  /** Where the one line per retry goes (none: silent), at which level (info by default), with these fields. */
  log?: RetryLog;
  level?: 'debug' | 'info' | 'warn' | 'error';
  context?: Record<string, unknown>;
}

/** Thrown by `bail`: carries the failure that must not be tried again. */
class Bail {
  constructor(readonly error: unknown) {}
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs `call` until it succeeds. A failure is tried again unless the call bailed with it, `retriable` says
 * it cannot pass, the signal was aborted, or the attempts or the deadline ran out; then it is thrown.
 */
export async function retry<T>(
  call: (bail: (error: unknown) => never, attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const { attempts = Infinity, baseMs = 100, maxMs = 30_000, factor = 2, jitter = true, signal } = options;
  const started = Date.now();
  const bail = (error: unknown): never => {
    throw new Bail(error);
  };
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call(bail, attempt);
    } catch (caught) {
      if (caught instanceof Bail) throw caught.error;
      if (signal?.aborted) throw caught;
      if (options.retriable && !options.retriable(caught)) throw caught;
      const ceiling = Math.min(maxMs, baseMs * factor ** (attempt - 1));
      const waitMs = options.retryAfterMs?.(caught) ?? (jitter ? backoffMs(attempt, baseMs, maxMs, factor) : ceiling);
      const pastDeadline = options.deadlineMs !== undefined && Date.now() + waitMs - started > options.deadlineMs;
      if (attempt >= attempts || pastDeadline) throw options.exhausted ? options.exhausted(caught, attempt) : caught;
      await options.onRetry?.({ error: caught, attempt, waitMs });
      options.log?.[options.level ?? 'info'](
        { ...options.context, err: messageOf(caught), attempt, waitMs },
        `${options.what} failed; retrying`,
      );
      if (waitMs > 0) await sleep(waitMs, signal);
    }
  }
}
