// Every error webtrail raises on purpose, each saying whether trying again can help (as kafkajs'
// KafkaJSError does). The runtime retries retriable errors with backoff and dead-letters the rest.

export class WebtrailError extends Error {
  readonly retriable: boolean;
  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
  }
}

/** Bad user input or configuration: report in one line, never retry. */
export class UserInputError extends WebtrailError {}

export { SchemaError } from '../schemas/index.ts';

/** An outside dependency (LLM endpoint, browser, blob store) failed; usually worth retrying. */
export class DependencyError extends WebtrailError {
  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, { retriable: options.retriable ?? true, cause: options.cause });
  }
}

/** A deadline or an abort signal ended the work. */
export class TimeoutError extends WebtrailError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { retriable: true, cause: options.cause });
  }
}

/** Operating-system errors that say the machine is out of something, not that the message is bad. */
const EXHAUSTED_CODES: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  EIO: 'an I/O error on the device',
  EMFILE: 'too many open files in this process',
  ENFILE: 'too many open files on the machine',
  ENOMEM: 'out of memory',
  EROFS: 'the file system went read-only',
};
/** Object-store answers that mean "slow down" or "full", never "this object is wrong". */
const EXHAUSTED_S3_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'RequestThrottled',
  'ServiceUnavailable',
  'QuotaExceeded',
  'InsufficientStorage',
]);

/**
 * Why an error means a resource ran out (a full disk, a quota, open files, an object store throttling
 * or full), looking through its causes; null when it does not. Such an error is the machine's, not the
 * message's: the stage pauses until the resource is back instead of dead-lettering what it holds.
 */
export function resourceExhaustion(error: unknown): string | null {
  for (const e of causeChain(error)) {
    const { code, name, $metadata } = e as { code?: unknown; name?: unknown; $metadata?: { httpStatusCode?: number } };
    if (typeof code === 'string' && code in EXHAUSTED_CODES) return `${code}: ${EXHAUSTED_CODES[code]}`;
    if (typeof name === 'string' && EXHAUSTED_S3_NAMES.has(name)) return `the object store answered ${name}`;
    const status = $metadata?.httpStatusCode;
    if (status === 429 || status === 503 || status === 507) return `the object store answered HTTP ${status}`;
  }
  return null;
}

/** An error and the causes under it, outermost first (at most 8: a cycle of causes ends too). */
function* causeChain(error: unknown): Generator<object> {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 8; depth += 1) {
    yield e;
    e = (e as { cause?: unknown }).cause;
  }
}

/** kafkajs errors that mean the cluster did not answer (down, restarting, electing a leader), not that the record is bad. */
const KAFKA_AWAY_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
]);

/**
 * Why an error means the Kafka cluster was away for longer than the client's own retries, looking through
 * its causes; null when it does not. kafkajs gives up with KafkaJSNumberOfRetriesExceeded (not retriable)
 * after about ten seconds; a broker restart or a leader election can take longer, and a record is never
 * the worse for it: the stage pauses and tries again instead of dead-lettering it.
 */
export function kafkaAway(error: unknown): string | null {
  for (const e of causeChain(error)) {
    const { name, message, retriable, cause } = e as {
      name?: unknown;
      message?: unknown;
      retriable?: unknown;
      cause?: { retriable?: unknown };
    };
    const gaveUp = name === 'KafkaJSNumberOfRetriesExceeded';
    // Retries used up on an error that was itself retriable (not leader, leader not available, ...) count too.
    if ((typeof name === 'string' && KAFKA_AWAY_NAMES.has(name)) || (gaveUp && cause?.retriable === true))
      return `the Kafka cluster did not answer: ${typeof message === 'string' ? message : ''}`;
    // An error someone decided is not worth retrying wins over a connection error that caused it.
    if (retriable === false && !gaveUp) return null;
  }
  return null;
}

/** Why the stage should wait rather than dead-letter: a resource ran out, or the Kafka cluster is away. */
export function outageOf(error: unknown): string | null {
  return resourceExhaustion(error) ?? kafkaAway(error);
}

/** Whether an error of any origin is worth another attempt. Unknown errors are retried. */
export function isRetriable(error: unknown): boolean {
  if (error instanceof WebtrailError) return error.retriable;
  if (error && typeof error === 'object' && 'retriable' in error)
    return Boolean((error as { retriable: unknown }).retriable);
  return true;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
