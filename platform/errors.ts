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
