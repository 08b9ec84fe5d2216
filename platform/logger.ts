// Structured JSON logs (pino) with secrets redacted wherever they appear in a logged object.
import { pino, type Logger } from 'pino';
import { UserInputError } from './errors.ts';
import { printable } from './printable.ts';

export type { Logger };

const REDACT = [
  'apiKey',
  '*.apiKey',
  '*.*.apiKey',
  'password',
  '*.password',
  '*.*.password',
  'authorization',
  '*.authorization',
  'headers.authorization',
];

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  if (!LEVELS.includes(level))
    throw new UserInputError(
      `invalid configuration: LOG_LEVEL: expected one of ${LEVELS.join(', ')} (got '${printable(level, 40)}')`,
    );
  return pino({ name, level, redact: { paths: REDACT, censor: '[redacted]' }, base: { service: name } });
}

/** A logger that writes nothing, for tests and library use. */
export const silentLogger: Logger = pino({ level: 'silent' });
