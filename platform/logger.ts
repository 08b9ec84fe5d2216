// Structured JSON logs (pino) with secrets redacted wherever they appear in a logged object.
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACT = ['apiKey', '*.apiKey', '*.*.apiKey', 'password', '*.password', '*.*.password', 'authorization', '*.authorization', 'headers.authorization'];

export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, redact: { paths: REDACT, censor: '[redacted]' }, base: { service: name } });
}

/** A logger that writes nothing, for tests and library use. */
export const silentLogger: Logger = pino({ level: 'silent' });
