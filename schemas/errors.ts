// The error the codec raises. The contract imports nothing of ours, so it stands alone; it carries the
// same `retriable` flag as every webtrail error (platform/errors.ts), and bytes that cannot be decoded
// never decode on a second try.

/** A message whose bytes cannot be encoded or decoded with any known schema. */
export class SchemaError extends Error {
  readonly retriable = false;
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'SchemaError';
  }
}
